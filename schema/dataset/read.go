package dataset

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/kdf-tools/kdf/schema"
)

// Check verifies the dataset on disk: no intent pending, every commit
// finished, no file in a table directory that is not a committed part,
// no temporary directory of a dead writer. Recovery (run by NewWriter
// and Recover) mends all of these. Run it when no writer is committing:
// a commit in progress is, to Check, a damage.
func (d *Dataset) Check() error {
	st, err := d.readLedger()
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range st.pending {
		errs = append(errs, fmt.Errorf("commit %d is pending (interrupted)", n))
	}
	for _, e := range st.commits {
		if d.unfinished(e) {
			errs = append(errs, fmt.Errorf("commit %d did not remove the parts it replaced", e.Commit))
		}
	}
	snap, err := d.list(st)
	if err != nil {
		return err
	}
	named := map[string]bool{}
	for _, p := range snap.parts {
		named[p.Path] = true
	}
	for _, t := range schema.All {
		errs = append(errs, d.checkTableDir(t.Name, named)...)
	}
	errs = append(errs, d.checkTmp()...)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("dataset: %s: %w (any kdf ingest into it, or kdf check --repair, mends what an interrupted writer left)", d.root, err)
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
			errs = append(errs, fmt.Errorf("%s is not a committed part", rel))
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
