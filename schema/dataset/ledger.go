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
	"time"
)

// maxEntryLen bounds a ledger file read back: a damaged or hostile
// ledger must not exhaust memory.
const maxEntryLen = 64 << 20

// historyName is the ledger's append-only log, one JSON line per commit,
// for people; nothing reads it back.
const historyName = "history.jsonl"

// entry is one ledger file: a commit intent (<n>.pending) or a commit
// (<n>.json). The commit point is the rename of the first into the
// second; what Remove names is removed after it.
type entry struct {
	Commit int64     `json:"commit"`
	Writer string    `json:"writer"`
	Time   time.Time `json:"time"`
	Add    []partRef `json:"add"`
	Remove []partRef `json:"remove,omitempty"`
	Inputs int       `json:"inputs"`
	Note   string    `json:"note,omitempty"`
}

// check validates an entry read back from the ledger before recovery
// removes, or readers skip, what it names: a damaged or hostile ledger
// must not point outside the dataset.
func (e *entry) check(n int64) error {
	if e.Commit != n {
		return fmt.Errorf("entry says commit %d", e.Commit)
	}
	for _, p := range e.Add {
		if err := p.check(); err != nil {
			return err
		}
		if p.commit() != n {
			return fmt.Errorf("commit %d adds part %q, not one of its own", n, p.Name)
		}
	}
	for _, p := range e.Remove {
		if err := p.check(); err != nil {
			return err
		}
		if p.commit() >= n {
			return fmt.Errorf("commit %d removes part %q of a later commit", n, p.Name)
		}
	}
	return nil
}

// ledgerState is one listing of _ledger: the commits whose files are
// still there (the latest, and any whose removals may be unfinished),
// the intents left pending, and the highest number used.
type ledgerState struct {
	commits []*entry
	pending []int64
	last    int64
}

// readLedger lists _ledger and parses its commit files. The ledger keeps
// only the latest commit (and intents): it is read in constant time
// however many commits the dataset has seen.
func (d *Dataset) readLedger() (*ledgerState, error) {
	dir := filepath.Join(d.root, ledgerDir)
	names, err := readDirNames(dir)
	if err != nil {
		return nil, err
	}
	var st ledgerState
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
		e, err := readEntry(filepath.Join(dir, name), n)
		if errors.Is(err, fs.ErrNotExist) {
			continue // a later commit finished and removed it since the listing
		}
		if err != nil {
			return nil, err
		}
		st.commits = append(st.commits, e)
		st.last = max(st.last, n)
	}
	slices.SortFunc(st.commits, func(a, b *entry) int { return cmp.Compare(a.Commit, b.Commit) })
	slices.Sort(st.pending)
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
		return nil, fmt.Errorf("dataset: ledger file %s is not a regular file of at most %d bytes: %s", name, maxEntryLen, remedyLedger)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	e := new(entry)
	if err := json.Unmarshal(b, e); err != nil {
		return nil, fmt.Errorf("dataset: ledger file %s is damaged (%v): %s", name, err, remedyLedger)
	}
	if err := e.check(n); err != nil {
		return nil, fmt.Errorf("dataset: ledger file %s: %w: %s", name, err, remedyLedger)
	}
	return e, nil
}

// remedyLedger is what to do about a damaged ledger file. The parts are
// the truth: the ledger only sequences commits, so a damaged file costs
// at most the unfinished commit it describes.
const remedyLedger = "move it out of _ledger and run kdf check DATASET, which says what the directory holds; the parts themselves are the dataset"

// appendHistory adds the commit's line to the ledger's history.
func (d *Dataset) appendHistory(e *entry) {
	b, err := json.Marshal(struct {
		Commit  int64     `json:"commit"`
		Writer  string    `json:"writer"`
		Time    time.Time `json:"time"`
		Added   []string  `json:"added"`
		Removed []string  `json:"removed,omitempty"`
		Inputs  int       `json:"inputs"`
		Note    string    `json:"note,omitempty"`
	}{e.Commit, e.Writer, e.Time, rels(e.Add), rels(e.Remove), e.Inputs, e.Note})
	if err != nil {
		return
	}
	f, err := os.OpenFile(filepath.Join(d.root, ledgerDir, historyName), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	f.Write(append(b, '\n'))
	f.Close()
}

func rels(ps []partRef) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.rel()
	}
	return out
}

// readDirEntries lists dir with file types; a missing directory is empty.
func readDirEntries(dir string) ([]fs.DirEntry, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	return entries, nil
}
