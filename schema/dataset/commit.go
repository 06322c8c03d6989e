package dataset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Group is one commit: new parts, the committed parts they replace
// (rewritten without superseded rows, or merged by compaction), and a
// check that runs under the ledger lock.
type Group struct {
	Parts  []*PartFile
	Remove []Part
	Inputs int    // inputs the group settles, for the history
	Note   string // what the commit is, for the history: "ingest", "force", "compact", ...
	// Prepare, if set, runs under the ledger lock with the parts
	// committed since the writer last looked (Writer.Seen): it checks
	// the group against them (an error refuses the commit, and nothing
	// of it is published) and may return more parts to publish with the
	// group, written there and then (rows that depend on what the
	// dataset already holds, such as functions not yet in it).
	Prepare func(since []Part) ([]*PartFile, error)
}

// ErrConflict is matched (errors.Is) by the error Commit returns when a
// part the group replaces was replaced by another commit meanwhile:
// nothing was committed; redo the group from a new snapshot.
var ErrConflict = errors.New("dataset: a part this commit replaces was replaced meanwhile by another writer")

// ErrCommitted is matched (errors.Is) by an error that came after the
// commit point: the group is in the dataset, but what followed (making
// it durable, removing the parts it replaced) failed. Readers skip the
// replaced parts until the next writer's recovery removes them.
var ErrCommitted = errors.New("dataset: the commit is visible, but finishing it failed")

// Commit publishes a group of closed parts and removes the parts it
// replaces, atomically for readers that list the dataset through
// Snapshot; the package doc gives the protocol step by step. A group
// Commit refuses (ErrConflict, or its Prepare's error) leaves its parts
// to the caller, closed, to commit again or Abort. Otherwise Commit
// consumes them: on success they belong to the dataset, on any error
// they are removed. Every error but those matching ErrCommitted leaves
// nothing of the group committed.
func (w *Writer) Commit(ctx context.Context, g Group) (err error) {
	if len(g.Parts) == 0 && len(g.Remove) == 0 && g.Prepare == nil {
		return nil
	}
	if err := w.take(g.Parts); err != nil {
		return err
	}
	var extra []*PartFile
	refused := false
	defer func() {
		switch {
		case refused: // the caller's again, to commit or abort
			w.untake(g.Parts)
			w.finish(extra)
		case !errors.Is(err, errCrash): // a simulated crash leaves them where a killed process would
			w.finish(g.Parts)
			w.finish(extra)
		}
	}()
	lk, err := w.d.lockLedger(ctx)
	if err != nil {
		return err
	}
	defer unlock(lk)
	if err := w.d.hooks.step(stepLocked, 0); err != nil {
		return err
	}
	snap, err := w.d.recoverAndList()
	if err != nil {
		return err
	}
	if err := checkRemovals(snap, g.Remove); err != nil {
		refused = true
		return err
	}
	if g.Prepare != nil {
		if extra, err = g.Prepare(snap.Since(w.Seen())); err != nil {
			refused = true
			return err
		}
		if err := w.take(extra); err != nil {
			return err
		}
	}
	return w.commitLocked(snap.Last+1, append(g.Parts[:len(g.Parts):len(g.Parts)], extra...), g)
}

// Seen returns the highest commit number the writer's user has taken
// into account: Prepare is given the parts of later commits.
func (w *Writer) Seen() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seen
}

// SetSeen sets what Seen returns: the Last of the snapshot the caller
// built its view of the dataset from.
func (w *Writer) SetSeen(n int64) {
	w.mu.Lock()
	w.seen = n
	w.mu.Unlock()
}

// take checks that the parts are this writer's, closed without error,
// and listed once, and marks them as being committed.
func (w *Writer) take(parts []*PartFile) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	seen := map[*PartFile]bool{}
	for _, p := range parts {
		switch {
		case p.w != w || !w.parts[p]:
			return fmt.Errorf("dataset: part %s is not an open part of writer %s", p.tmp, w.id)
		case seen[p]:
			return fmt.Errorf("dataset: part %s listed twice", p.tmp)
		case p.err != nil:
			return fmt.Errorf("dataset: part %s cannot be committed: %w", p.tmp, p.err)
		case p.state != partClosed:
			return fmt.Errorf("dataset: part %s is not closed", p.tmp)
		}
		seen[p] = true
	}
	for _, p := range parts {
		p.state = partCommitting
	}
	return nil
}

// untake gives parts back to the caller after a refused commit.
func (w *Writer) untake(parts []*PartFile) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range parts {
		if p.state == partCommitting {
			p.state = partClosed
		}
	}
}

// finish forgets the parts after a commit, removing the temporary files
// of those not moved into place.
func (w *Writer) finish(parts []*PartFile) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range parts {
		p.close()
	}
}

// checkRemovals refuses a group whose replaced parts are gone: another
// commit replaced them, so the group's rewrite of them is stale.
func checkRemovals(snap *Snapshot, remove []Part) error {
	live := map[string]bool{}
	for _, p := range remove {
		live[p.Rel()] = false
	}
	for _, p := range snap.parts {
		if _, ok := live[p.Rel()]; ok {
			live[p.Rel()] = true
		}
	}
	var gone []string
	for rel, ok := range live {
		if !ok {
			gone = append(gone, rel)
		}
	}
	if len(gone) > 0 {
		return fmt.Errorf("%w: %s", ErrConflict, strings.Join(gone, ", "))
	}
	return nil
}

// recoverAndList mends what interrupted writers left, then lists the
// dataset. The caller holds the ledger lock.
func (d *Dataset) recoverAndList() (*Snapshot, error) {
	if _, err := d.recoverLocked(); err != nil {
		return nil, err
	}
	st, err := d.readLedger()
	if err != nil {
		return nil, err
	}
	return d.list(st)
}

// commitLocked runs the protocol's steps (c) to (f) under the lock.
func (w *Writer) commitLocked(n int64, parts []*PartFile, g Group) error {
	d := w.d
	e := &entry{Commit: n, Writer: w.id, Time: time.Now().UTC(), Inputs: g.Inputs, Note: g.Note}
	for k, p := range parts {
		e.Add = append(e.Add, partRef{Table: p.table, Campaign: p.campaign, Name: partName(n, w.id, k)})
	}
	for _, p := range g.Remove {
		e.Remove = append(e.Remove, p.ref())
	}
	if err := d.hooks.step(stepChecked, 0); err != nil {
		return err // nothing written yet
	}
	if err := w.writeIntent(e); err != nil {
		return d.abandon(n, err)
	}
	if err := w.moveParts(e, parts); err != nil {
		return d.abandon(n, err)
	}
	if err := d.publish(n); err != nil {
		if errors.Is(err, ErrCommitted) {
			w.SetSeen(n)
		}
		return err
	}
	w.SetSeen(n)
	d.appendHistory(e)
	if err := d.finishCommit(e); err != nil {
		if errors.Is(err, errCrash) {
			return err
		}
		return fmt.Errorf("%w: %w", ErrCommitted, err)
	}
	return nil
}

// writeIntent is step (c): the pending entry, synced with its directory,
// so that recovery knows every name step (d) may create.
func (w *Writer) writeIntent(e *entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	ledger := filepath.Join(w.d.root, ledgerDir)
	if err := writeFileSync(filepath.Join(ledger, commitName(e.Commit)+".pending"), b); err != nil {
		return err // names the intent's file
	}
	if err := w.d.hooks.step(stepIntent, 0); err != nil {
		return err
	}
	if err := syncDir(ledger); err != nil {
		return err
	}
	return w.d.hooks.step(stepIntentSynced, 0)
}

// moveParts is step (d): each part renamed to its final name (the parts
// were synced by PartFile.Close), then the partition directories synced.
func (w *Writer) moveParts(e *entry, parts []*PartFile) error {
	dirs := map[string]bool{}
	for k, p := range parts {
		ref := e.Add[k]
		dir, err := w.d.mkdirWithin(filepath.Dir(ref.rel()))
		if err != nil {
			return err
		}
		final := filepath.Join(dir, ref.Name)
		if err := os.Rename(p.tmp, final); err != nil {
			return fmt.Errorf("dataset: moving part %s to %s: %w", p.tmp, final, err)
		}
		dirs[dir] = true
		if err := w.d.hooks.step(stepMoved, k); err != nil {
			return err
		}
	}
	for dir := range dirs {
		if err := syncDir(dir); err != nil {
			return err
		}
	}
	return w.d.hooks.step(stepMovedSynced, 0)
}

// publish is step (e): renaming the intent to its committed name is the
// commit point; syncing the ledger directory makes it durable.
func (d *Dataset) publish(n int64) error {
	ledger := filepath.Join(d.root, ledgerDir)
	pending := filepath.Join(ledger, commitName(n)+".pending")
	if err := os.Rename(pending, filepath.Join(ledger, commitName(n)+".json")); err != nil {
		return d.abandon(n, fmt.Errorf("dataset: committing %s: %w", pending, err))
	}
	err := d.hooks.step(stepCommitted, 0)
	if err == nil {
		err = syncDir(ledger)
	}
	if err == nil {
		err = d.hooks.step(stepDurable, 0)
	}
	if err != nil && !errors.Is(err, errCrash) {
		return fmt.Errorf("%w: commit %d may not survive a power loss: %w", ErrCommitted, n, err)
	}
	return err
}

// finishCommit is step (f), after the commit point: the replaced parts
// are removed, then the ledger files of earlier commits, whose work is
// done. Recovery redoes it for a commit a crash interrupted here; until
// then readers skip the parts it names.
func (d *Dataset) finishCommit(e *entry) error {
	dirs := map[string]bool{}
	for k, p := range e.Remove {
		rel := p.rel()
		if !d.realDir(filepath.Dir(rel)) {
			continue
		}
		if err := os.Remove(filepath.Join(d.root, rel)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("dataset: commit %d: removing the part it replaced, %s: %w", e.Commit, rel, err)
		}
		dirs[filepath.Join(d.root, filepath.Dir(rel))] = true
		if err := d.hooks.step(stepRemoved, k); err != nil {
			return err // a crash: recovery finishes the removals
		}
	}
	for dir := range dirs {
		if err := syncDir(dir); err != nil {
			return err
		}
	}
	return d.dropOlderCommits(e.Commit)
}

// dropOlderCommits removes the ledger files of commits before n: their
// removals are done (n's own are, or recovery will finish them first).
func (d *Dataset) dropOlderCommits(n int64) error {
	dir := filepath.Join(d.root, ledgerDir)
	names, err := readDirNames(dir)
	if err != nil {
		return err
	}
	for _, name := range names {
		if m, ok := parseCommitName(name, ".json"); ok && m < n {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("dataset: %w", err)
			}
		}
	}
	return nil
}

// abandon rolls back commit n after a failure before its commit point,
// as recovery would. A simulated crash is left for recovery to mend.
func (d *Dataset) abandon(n int64, cause error) error {
	if errors.Is(cause, errCrash) {
		return cause
	}
	if _, err := d.rollback(n); err != nil {
		return fmt.Errorf("%w (rolling back commit %d also failed, the next writer will: %v)", cause, n, err)
	}
	return cause
}

// step names a point of the commit protocol at which tests inject a
// crash or a failure.
type step int

const (
	stepLocked       step = iota // (a) the ledger lock is taken
	stepChecked                  // (b) the ledger is read, the group checked
	stepIntent                   // (c) the intent is written and synced
	stepIntentSynced             // (c) ... and its directory synced
	stepMoved                    // (d) part k is renamed into place
	stepMovedSynced              // (d) the partition directories are synced
	stepCommitted                // (e) the intent is renamed: the commit point
	stepDurable                  // (e) ... and the ledger directory synced
	stepRemoved                  // (f) a replaced part is removed
	numSteps
)

var stepNames = [...]string{"locked", "checked", "intent", "intent-synced", "moved", "moved-synced", "committed", "durable", "removed"}

func (s step) String() string { return stepNames[s] }

// errCrash, returned by a step hook, stops the protocol as a SIGKILL
// would: nothing is rolled back or cleaned, the locks are released.
var errCrash = errors.New("simulated crash")

// hooks inject faults in tests. The zero value injects nothing.
type hooks struct {
	// onStep runs after each step; an error is the failure of what
	// follows (errCrash: the process's death).
	onStep func(s step, k int) error
	// onWrite runs before each write to a part; an error is the write's.
	onWrite func(name string, n int) error
}

func (h *hooks) step(s step, k int) error {
	if h.onStep == nil {
		return nil
	}
	return h.onStep(s, k)
}

func (h *hooks) write(name string, n int) error {
	if h.onWrite == nil {
		return nil
	}
	return h.onWrite(name, n)
}
