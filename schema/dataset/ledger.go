package dataset

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/kdf-tools/kdf/schema"
)

// maxEntryLen bounds a ledger file read back: a damaged or hostile
// ledger must not exhaust memory.
const maxEntryLen = 256 << 20

// ledgerState is one listing of _ledger: the committed entries in
// commit order and the numbers of the intents left pending.
type ledgerState struct {
	commits []*entry
	pending []int64
	last    int64 // the highest number used, committed or pending
}

// readLedger lists _ledger and parses the committed entries not already
// cached. Entries are immutable once committed, so the cache stays true.
func (d *Dataset) readLedger() (*ledgerState, error) {
	dir := filepath.Join(d.root, ledgerDir)
	names, err := readDirNames(dir)
	if err != nil {
		return nil, err
	}
	var st ledgerState
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, name := range names {
		if n, ok := parseCommitName(name, ".pending"); ok {
			st.pending = append(st.pending, n)
			st.last = max(st.last, n)
			continue
		}
		n, ok := parseCommitName(name, ".json")
		if !ok {
			continue
		}
		e := d.entries[n]
		if e == nil {
			if e, err = readEntry(filepath.Join(dir, name), n); err != nil {
				return nil, err
			}
			d.entries[n] = e
		}
		st.commits = append(st.commits, e)
		st.last = max(st.last, n)
	}
	slices.SortFunc(st.commits, func(a, b *entry) int { return cmp.Compare(a.Commit, b.Commit) })
	return &st, nil
}

// readDirNames lists dir; a missing directory is empty.
func readDirNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("dataset: reading %s: %w", dir, err)
	}
	return names, nil
}

// readEntry reads and validates the ledger file name for commit n.
func readEntry(name string, n int64) (*entry, error) {
	st, err := os.Lstat(name)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	if !st.Mode().IsRegular() || st.Size() > maxEntryLen {
		return nil, fmt.Errorf("dataset: ledger file %s is not a regular file of at most %d bytes", name, maxEntryLen)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	e := new(entry)
	if err := json.Unmarshal(b, e); err != nil {
		return nil, fmt.Errorf("dataset: ledger file %s is damaged: %w", name, err)
	}
	if err := e.check(n); err != nil {
		return nil, fmt.Errorf("dataset: ledger file %s: %w", name, err)
	}
	return e, nil
}

// Ledger is a snapshot of what the dataset holds: the committed inputs
// and parts, as of one reading of the ledger. Readers take one snapshot
// and use its Parts and Excluded together so that both agree.
type Ledger struct {
	root       string
	commits    []*entry
	runs       map[string]LedgerInput // live runs by content hash
	files      map[[2]string]LedgerInput
	live       []LedgerInput
	superseded map[int64][]Input // by commit: inputs a later commit replaced
	dead       map[int64]bool    // commits whose inputs were all replaced
}

// Committed reads the ledger: what has been ingested, to skip inputs
// already committed, and the parts readers should read.
func (d *Dataset) Committed() (*Ledger, error) {
	st, err := d.readLedger()
	if err != nil {
		return nil, err
	}
	return newLedger(d.root, st.commits), nil
}

// Parts is Committed followed by Ledger.Parts.
func (d *Dataset) Parts(table string) ([]string, error) {
	l, err := d.Committed()
	if err != nil {
		return nil, err
	}
	return l.Parts(table)
}

// newLedger replays the commits in order: the latest commit of an input
// (by run content or by file) wins, the earlier one is superseded.
func newLedger(root string, commits []*entry) *Ledger {
	l := &Ledger{root: root, commits: commits, runs: map[string]LedgerInput{},
		files: map[[2]string]LedgerInput{}, superseded: map[int64][]Input{}, dead: map[int64]bool{}}
	left := map[int64]int{} // live inputs per commit
	for _, e := range commits {
		for _, in := range e.Inputs {
			for _, old := range l.replaced(in) {
				l.drop(old)
				l.superseded[old.Commit] = append(l.superseded[old.Commit], old.Input)
				if left[old.Commit]--; left[old.Commit] == 0 {
					l.dead[old.Commit] = true
				}
			}
			li := LedgerInput{Input: in, Commit: e.Commit}
			if in.Outcome == OutcomeRun {
				l.runs[in.SHA256] = li
			}
			l.files[[2]string{in.Source, in.Path}] = li
			left[e.Commit]++
		}
	}
	for _, li := range l.files {
		l.live = append(l.live, li)
	}
	slices.SortFunc(l.live, func(a, b LedgerInput) int {
		return cmp.Or(cmp.Compare(a.Commit, b.Commit), cmp.Compare(a.Source, b.Source), cmp.Compare(a.Path, b.Path))
	})
	return l
}

// replaced returns the live inputs that in supersedes (at most two: a
// run of the same content and whatever the same file was).
func (l *Ledger) replaced(in Input) []LedgerInput {
	var out []LedgerInput
	if in.Outcome == OutcomeRun {
		if old, ok := l.runs[in.SHA256]; ok {
			out = append(out, old)
		}
	}
	if old, ok := l.files[[2]string{in.Source, in.Path}]; ok && (len(out) == 0 || old != out[0]) {
		out = append(out, old)
	}
	return out
}

// drop removes a superseded input from the indexes.
func (l *Ledger) drop(old LedgerInput) {
	if old.Outcome == OutcomeRun && l.runs[old.SHA256] == old {
		delete(l.runs, old.SHA256)
	}
	key := [2]string{old.Source, old.Path}
	if l.files[key] == old {
		delete(l.files, key)
	}
}

// Run returns the committed run of the content sha256, if any.
func (l *Ledger) Run(sha256 string) (LedgerInput, bool) {
	li, ok := l.runs[sha256]
	return li, ok
}

// Lookup returns what the file source:path was committed as, if any.
func (l *Ledger) Lookup(source, path string) (LedgerInput, bool) {
	li, ok := l.files[[2]string{source, path}]
	return li, ok
}

// Inputs returns every committed input not superseded, in commit order.
func (l *Ledger) Inputs() []LedgerInput { return slices.Clone(l.live) }

// conflicts returns the inputs of a group that would supersede a
// committed input: without Force, committing them is refused.
func (l *Ledger) conflicts(inputs []Input) *ConflictError {
	var ce ConflictError
	for _, in := range inputs {
		if old := l.replaced(in); len(old) > 0 && !in.Force {
			ce.Inputs = append(ce.Inputs, in)
			ce.Held = append(ce.Held, old...)
		}
	}
	if len(ce.Inputs) == 0 {
		return nil
	}
	return &ce
}

// filter says how readers tell a superseded input's rows in a table.
type filter int

const (
	noFilter     filter = iota // rows not tied to one input (functions)
	byRunID                    // tables with a run_id column
	bySourcePath               // rejects: by source and path
)

func filterOf(t *schema.Table) filter {
	switch {
	case t.Index("run_id") >= 0:
		return byRunID
	case t.Index("source") >= 0 && t.Index("path") >= 0:
		return bySourcePath
	}
	return noFilter
}
