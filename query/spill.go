package query

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// spillPrefix names the private directories Open creates in the
// system's temporary directory: kdf-query-PID-RANDOM.
const spillPrefix = "kdf-query-"

// spillDir is a database's private directory, where DuckDB spills past
// its memory limit. Close removes it; a process killed before Close
// (SIGKILL, the OOM killer) leaves it behind, full of spilled blocks, so
// the owner holds an flock on the directory for as long as it is open,
// and each Open removes the directories whose owner is gone.
type spillDir struct {
	path string
	lock *os.File // the directory, opened and flocked
}

// newSpillDir removes what dead processes left, then creates and locks
// a directory of this process.
func newSpillDir() (*spillDir, error) {
	parent := os.TempDir()
	removeStaleSpillDirs(parent)
	path, err := os.MkdirTemp(parent, spillPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	lock, err := lockDir(path)
	if err != nil {
		os.RemoveAll(path)
		return nil, fmt.Errorf("query: locking %s: %w", path, err)
	}
	return &spillDir{path: path, lock: lock}, nil
}

// remove deletes the directory, then releases its lock; again, it
// does nothing.
func (d *spillDir) remove() error {
	if d.lock == nil {
		return nil
	}
	err := errors.Join(os.RemoveAll(d.path), d.lock.Close())
	d.lock = nil
	return err
}

// removeStaleSpillDirs removes the spill directories under parent whose
// owner is gone: its pid runs no process and nothing holds the lock.
// Both are asked: the lock alone would let a directory go between its
// owner's mkdir and flock; the pid alone would take a live directory
// from a process in another pid namespace that shares /tmp, or keep a
// dead one whose pid was reused (until that process ends too).
// Failures are skipped: what cannot be removed now is tried next time.
func removeStaleSpillDirs(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, ok := spillOwner(e.Name())
		if !ok || !e.IsDir() || processExists(pid) {
			continue
		}
		path := filepath.Join(parent, e.Name())
		lock, err := lockDir(path)
		if err != nil {
			continue // held: its owner lives, in another pid namespace
		}
		os.RemoveAll(path)
		lock.Close()
	}
}

// spillOwner reads the pid from a spill directory's name.
func spillOwner(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, spillPrefix)
	if !ok {
		return 0, false
	}
	digits, _, ok := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(digits)
	return pid, ok && err == nil && pid > 0
}

// processExists reports whether pid names a process, including one of
// another user (kill answers EPERM).
func processExists(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}

// lockDir opens the directory and takes its flock, or fails at once
// when another holds it.
func lockDir(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
