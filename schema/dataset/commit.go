package dataset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Commit publishes a group of closed parts and records the group's
// inputs in the ledger, atomically for readers that honour the ledger
// (Parts, Committed). The package doc gives the protocol step by step.
//
// If another writer committed some of the inputs first (or an input
// supersedes a committed one without Force), Commit returns a
// *ConflictError (errors.Is(err, ErrConflict)) and commits nothing.
// Commit consumes its parts, unless it refuses them (another writer's,
// not closed, failed to write): on success they belong to the dataset,
// on any error they are removed and the caller redoes the group. Every
// error but one leaves nothing of the group committed: a failure to sync
// the ledger after the commit point says that the commit is visible.
func (w *Writer) Commit(ctx context.Context, parts []*PartFile, inputs []Input) (err error) {
	if len(parts) == 0 && len(inputs) == 0 {
		return nil
	}
	if err := w.take(parts); err != nil {
		return err
	}
	defer func() {
		// A simulated crash leaves the parts where a killed process would.
		if !errors.Is(err, errCrash) {
			w.finish(parts)
		}
	}()
	if err := checkGroup(inputs); err != nil {
		return err
	}
	lk, err := w.d.lockLedger(ctx)
	if err != nil {
		return err
	}
	defer unlock(lk)
	return w.commitLocked(parts, inputs)
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

// finish forgets the parts after a commit, removing the temporary files
// of those not moved into place.
func (w *Writer) finish(parts []*PartFile) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range parts {
		p.close()
	}
}

// checkGroup validates the inputs and refuses a group in which one
// input would supersede another: that is a caller's bug, not a race.
func checkGroup(inputs []Input) error {
	runs := map[string]bool{}
	files := map[[2]string]bool{}
	for _, in := range inputs {
		if err := in.check(); err != nil {
			return fmt.Errorf("dataset: %w", err)
		}
		file := [2]string{in.Source, in.Path}
		if files[file] || in.Outcome == OutcomeRun && runs[in.SHA256] {
			return fmt.Errorf("dataset: input %s appears twice in one commit group", in.name())
		}
		files[file] = true
		if in.Outcome == OutcomeRun {
			runs[in.SHA256] = true
		}
	}
	return nil
}

// commitLocked runs the protocol's steps (b) to (e) under the lock.
func (w *Writer) commitLocked(parts []*PartFile, inputs []Input) error {
	d := w.d
	if err := d.hooks.step(stepLocked, 0); err != nil {
		return err
	}
	st, err := d.readLedger()
	if err != nil {
		return err
	}
	if len(st.pending) > 0 { // a writer died committing since we recovered
		if _, err := d.recoverLocked(); err != nil {
			return err
		}
		if st, err = d.readLedger(); err != nil {
			return err
		}
	}
	if ce := newLedger(d.root, st.commits).conflicts(inputs); ce != nil {
		return ce
	}
	n := st.last + 1
	e := &entry{Commit: n, Writer: w.id, Time: time.Now().UTC(), Inputs: inputs}
	for k, p := range parts {
		e.Parts = append(e.Parts, partRef{Table: p.table, Campaign: p.campaign, Name: partName(n, w.id, k)})
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
	return d.publish(n)
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
		ref := e.Parts[k]
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
	if err := d.hooks.step(stepCommitted, 0); err != nil {
		return err
	}
	if err := syncDir(ledger); err != nil {
		return fmt.Errorf("dataset: commit %d is visible but may not survive a power loss: %w", n, err)
	}
	return d.hooks.step(stepDurable, 0)
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
	stepChecked                  // (b) the ledger is read, no conflict
	stepIntent                   // (c) the intent is written and synced
	stepIntentSynced             // (c) ... and its directory synced
	stepMoved                    // (d) part k is renamed into place
	stepMovedSynced              // (d) the partition directories are synced
	stepCommitted                // (e) the intent is renamed: the commit point
	stepDurable                  // (e) ... and the ledger directory synced
	numSteps
)

var stepNames = [...]string{"locked", "checked", "intent", "intent-synced", "moved", "moved-synced", "committed", "durable"}

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
