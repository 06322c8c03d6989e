package dataset

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kdf-tools/kdf/schema"
)

// Recovery is what recovery mended.
type Recovery struct {
	RolledBack   []int64  // commits interrupted before their commit point
	RemovedParts []string // their parts already moved into place, relative to the dataset
	Finished     []int64  // commits interrupted after it, whose replaced parts were then removed
	RemovedTmp   []string // entries of _tmp that no live writer owned
}

// Recover mends what interrupted writers left, under the ledger lock:
// every pending intent is rolled back (the parts it lists removed, then
// the intent), every commit is finished (the parts it replaced removed),
// and every entry of _tmp whose writer lock no live process holds is
// removed. NewWriter runs it; it is exported for a repair
// command. A writer's directory and its lock file go together.
func (d *Dataset) Recover(ctx context.Context) (Recovery, error) {
	lk, err := d.lockLedger(ctx)
	if err != nil {
		return Recovery{}, err
	}
	defer unlock(lk)
	return d.recoverLocked()
}

func (d *Dataset) recoverLocked() (Recovery, error) {
	var rec Recovery
	st, err := d.readLedger()
	if err != nil {
		return rec, err
	}
	for _, n := range st.pending {
		removed, err := d.rollback(n)
		if err != nil {
			return rec, err
		}
		rec.RolledBack = append(rec.RolledBack, n)
		rec.RemovedParts = append(rec.RemovedParts, removed...)
	}
	for _, e := range st.commits {
		if d.unfinished(e) {
			rec.Finished = append(rec.Finished, e.Commit)
		}
		if err := d.finishCommit(e); err != nil {
			return rec, err
		}
	}
	rec.RemovedTmp, err = d.cleanTmp()
	return rec, err
}

// unfinished reports whether a part commit e replaced is still there.
func (d *Dataset) unfinished(e *entry) bool {
	for _, p := range e.Remove {
		if _, err := os.Lstat(filepath.Join(d.root, p.rel())); err == nil {
			return true
		}
	}
	return false
}

// rollback undoes commit n, which has not reached its commit point: the
// parts its intent names, and any part file bearing its number (should
// the intent be unreadable), are removed, then the intent. Its number is
// taken again by the next commit.
func (d *Dataset) rollback(n int64) ([]string, error) {
	ledger := filepath.Join(d.root, ledgerDir)
	pending := filepath.Join(ledger, commitName(n)+".pending")
	if _, err := os.Lstat(filepath.Join(ledger, commitName(n)+".json")); err == nil {
		// Committed after all (cannot happen with this protocol): keep it.
		return nil, removeSync(pending, ledger)
	}
	rels := d.partsNumbered(n)
	if e, err := readEntry(pending, n); err == nil {
		for _, p := range e.Add {
			rels = append(rels, p.rel())
		}
	}
	slices.Sort(rels)
	rels = slices.Compact(rels)
	var removed []string
	dirs := map[string]bool{}
	for _, rel := range rels {
		if !d.realDir(filepath.Dir(rel)) {
			continue
		}
		err := os.Remove(filepath.Join(d.root, rel))
		if err == nil {
			removed = append(removed, rel)
			dirs[filepath.Join(d.root, filepath.Dir(rel))] = true
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("dataset: rolling back commit %d: %w", n, err)
		}
	}
	for dir := range dirs {
		if err := syncDir(dir); err != nil {
			return nil, err
		}
	}
	// The intent goes last: until the parts are gone it says what to remove.
	return removed, removeSync(pending, ledger)
}

// partsNumbered finds part files of commit n in every partition.
func (d *Dataset) partsNumbered(n int64) []string {
	var rels []string
	for _, t := range schema.All {
		names, _ := readDirNames(filepath.Join(d.root, t.Name))
		for _, c := range names {
			dir := filepath.Join(t.Name, c)
			files, _ := readDirNames(filepath.Join(d.root, dir))
			for _, f := range files {
				if m, _, ok := parsePartName(f); ok && m == n {
					rels = append(rels, filepath.Join(dir, f))
				}
			}
		}
	}
	return rels
}

// realDir reports whether every segment of rel under the dataset is a
// directory, not a symbolic link: recovery removes nothing through a link.
func (d *Dataset) realDir(rel string) bool {
	p := d.root
	for _, seg := range strings.Split(filepath.Clean(rel), string(filepath.Separator)) {
		if seg == ".." {
			return false
		}
		p = filepath.Join(p, seg)
		if st, err := os.Lstat(p); err != nil || !st.IsDir() {
			return false
		}
	}
	return true
}

func removeSync(name, dir string) error {
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("dataset: %w", err)
	}
	return syncDir(dir)
}

// cleanTmp removes the entries of _tmp that no live writer owns: the
// directory <id> and lock file <id>.lock of every writer whose lock can
// be taken. Writers register under the ledger lock, which the caller
// holds, so none can be half-registered.
func (d *Dataset) cleanTmp() ([]string, error) {
	tmp, err := d.mkdirWithin(tmpDir)
	if err != nil {
		return nil, err
	}
	names, err := readDirNames(tmp)
	if err != nil {
		return nil, err
	}
	has := map[string]bool{}
	for _, name := range names {
		has[name] = true
	}
	var removed []string
	for _, name := range names {
		id, isLock := strings.CutSuffix(name, ".lock")
		if isLock && has[id] {
			continue // handled with its directory
		}
		alive, err := writerAlive(tmp, id)
		if err != nil {
			return removed, err
		}
		if alive {
			continue
		}
		if err := os.RemoveAll(filepath.Join(tmp, id)); err != nil {
			return removed, fmt.Errorf("dataset: removing a dead writer's files: %w", err)
		}
		if err := os.Remove(filepath.Join(tmp, id+".lock")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("dataset: %w", err)
		}
		removed = append(removed, filepath.Join(tmpDir, id))
	}
	return removed, nil
}

// writerAlive reports whether some process holds the lock of writer id:
// a process that dies releases its flocks, so a lock that can be taken
// belongs to a writer that is gone.
func writerAlive(tmp, id string) (bool, error) {
	f, err := os.OpenFile(filepath.Join(tmp, id+".lock"), os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	held, err := flockNB(f)
	if err != nil {
		return false, fmt.Errorf("dataset: testing writer %s: %w", id, err)
	}
	return held, nil
}

// DefaultLockWait bounds the wait for the ledger lock when the caller's
// context has no deadline. Commits hold the lock for a few renames and
// fsyncs, and a holder that dies releases it, so a long wait means a
// stuck process, which deserves an error rather than a silent hang.
const DefaultLockWait = 5 * time.Minute

// lockName is the ledger lock. It is never removed: removing a file
// someone has flocked would let a second process lock a new file of the
// same name.
const lockName = "lock"

// flockNB tries to take an exclusive flock without waiting. held reports
// that another open file description has it.
func flockNB(f *os.File) (held bool, err error) {
	err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return true, nil
	}
	return false, err
}

// lockLedger takes the dataset lock _ledger/lock, waiting until ctx is
// done (or DefaultLockWait without a deadline). flock cannot be
// interrupted, so it polls with a growing pause instead of blocking in a
// goroutine that could take the lock after the caller gave up.
func (d *Dataset) lockLedger(ctx context.Context) (*os.File, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultLockWait)
		defer cancel()
	}
	dir, err := d.mkdirWithin(ledgerDir)
	if err != nil {
		return nil, err
	}
	name := filepath.Join(dir, lockName)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("dataset: opening the ledger lock: %w", err)
	}
	pause := time.Millisecond
	for {
		held, err := flockNB(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("dataset: locking %s: %w", name, err)
		}
		if !held {
			return f, nil
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			if errors.Is(ctx.Err(), context.Canceled) {
				return nil, fmt.Errorf("dataset: interrupted while waiting for the ledger lock %s: %w", name, ctx.Err())
			}
			return nil, fmt.Errorf("dataset: gave up waiting for the ledger lock %s, which another kdf process holds (one committing, or stuck: see which with fuser %s): %w", name, name, ctx.Err())
		case <-t.C:
		}
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// unlock releases a lock taken by lockLedger. Closing the descriptor
// releases the flock, as a process's death does.
func unlock(f *os.File) { f.Close() }
