package dataset

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kdf-tools/kdf/schema"
)

// Exclusion names rows of a committed part that a later commit
// superseded (a forced re-ingest): readers must skip them.
type Exclusion struct {
	Part string // absolute path, as Parts returns it
	// ByRunID: skip the part's rows whose run_id is RunID (tables with a
	// run_id column: runs, records, calls). Otherwise skip its rows whose
	// source and path are Source and Path (rejects).
	ByRunID      bool
	RunID        int64
	Source, Path string
}

// Parts returns the committed parts of the table, as absolute paths in
// commit order: what readers read instead of globbing the directory,
// which may hold the parts of a commit in progress or interrupted. Parts
// whose rows were all superseded are left out; the rows of the others
// that were superseded are listed by Excluded. A table without a run_id
// or source and path (functions) is never filtered: its rows are shared
// by the runs of a commit and readers deduplicate them.
func (l *Ledger) Parts(table string) ([]string, error) {
	t, err := lookupTable(table)
	if err != nil {
		return nil, err
	}
	filtered := filterOf(t) != noFilter
	var out []string
	for _, e := range l.commits {
		if filtered && l.dead[e.Commit] {
			continue
		}
		for _, p := range e.Parts {
			if p.Table == table {
				out = append(out, filepath.Join(l.root, p.rel()))
			}
		}
	}
	return out, nil
}

// Excluded returns the superseded rows of the table's Parts: empty
// unless some input was re-ingested with Force while rows of its earlier
// commit share parts with inputs that are still live.
func (l *Ledger) Excluded(table string) ([]Exclusion, error) {
	t, err := lookupTable(table)
	if err != nil {
		return nil, err
	}
	f := filterOf(t)
	var out []Exclusion
	for _, e := range l.commits {
		sup := l.superseded[e.Commit]
		if f == noFilter || len(sup) == 0 || l.dead[e.Commit] {
			continue
		}
		for _, p := range e.Parts {
			if p.Table != table {
				continue
			}
			part := filepath.Join(l.root, p.rel())
			for _, in := range sup {
				switch {
				case f == byRunID && in.Outcome == OutcomeRun:
					out = append(out, Exclusion{Part: part, ByRunID: true, RunID: in.RunID})
				case f == bySourcePath && in.Outcome == OutcomeReject:
					out = append(out, Exclusion{Part: part, Source: in.Source, Path: in.Path})
				}
			}
		}
	}
	return out, nil
}

// Commits returns the number of commits in the snapshot.
func (l *Ledger) Commits() int { return len(l.commits) }

// Check verifies the dataset on disk against its ledger: no intent
// pending, every committed part present, no part file the ledger does
// not name, no temporary directory of a dead writer. Recovery (run by
// NewWriter) mends all of these but a missing part. Run it when no
// writer is committing: a commit in progress is, to Check, a damage.
func (d *Dataset) Check() error {
	st, err := d.readLedger()
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range st.pending {
		errs = append(errs, fmt.Errorf("commit %d is pending (interrupted)", n))
	}
	named := map[string]bool{}
	for _, e := range st.commits {
		for _, p := range e.Parts {
			name := filepath.Join(d.root, p.rel())
			named[name] = true
			if fi, err := os.Lstat(name); err != nil || !fi.Mode().IsRegular() {
				errs = append(errs, fmt.Errorf("commit %d: part %s is missing or not a regular file", e.Commit, p.rel()))
			}
		}
	}
	for _, t := range schema.All {
		errs = append(errs, d.checkTableDir(t.Name, named)...)
	}
	errs = append(errs, d.checkTmp()...)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("dataset: %s: %w", d.root, err)
	}
	return nil
}

// checkTableDir reports files under the table's directory that no
// committed entry names.
func (d *Dataset) checkTableDir(table string, named map[string]bool) []error {
	var errs []error
	err := filepath.WalkDir(filepath.Join(d.root, table), func(path string, de fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == filepath.Join(d.root, table) {
			return filepath.SkipDir
		}
		if err != nil {
			return err
		}
		if !de.IsDir() && !named[path] {
			rel, _ := filepath.Rel(d.root, path)
			errs = append(errs, fmt.Errorf("%s is not in the ledger", rel))
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	return errs
}

// checkTmp reports temporary files no live writer owns.
func (d *Dataset) checkTmp() []error {
	dir := filepath.Join(d.root, tmpDir)
	names, err := readDirNames(dir)
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, name := range names {
		id, _ := strings.CutSuffix(name, ".lock")
		alive, err := writerAlive(dir, id)
		if err != nil {
			errs = append(errs, err)
		} else if !alive {
			errs = append(errs, fmt.Errorf("%s/%s is left by a dead writer", tmpDir, name))
		}
	}
	return errs
}
