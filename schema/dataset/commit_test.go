package dataset

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
)

func TestCommitReadBack(t *testing.T) {
	d := mustCreate(t)
	w := mustWriter(t, d)
	commitGroup(t, w, 1, 2, 5)
	commitGroup(t, w, 3)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	snap, err := d.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	runs := snap.Parts("runs")
	name := regexp.MustCompile(`^runs/campaign=c1/part-000000000[12]-` + w.ID() + `-0\.parquet$`)
	for _, p := range runs {
		if !filepath.IsAbs(p.Path) || !name.MatchString(p.Rel()) || p.Writer != w.ID() || p.Size == 0 {
			t.Errorf("part %+v", p)
		}
	}
	if len(runs) != 2 || runs[0].Commit != 1 || runs[1].Commit != 2 || snap.Last != 2 {
		t.Errorf("runs parts = %+v, last %d", runs, snap.Last)
	}
	if rej := snap.Parts("rejects"); len(rej) != 1 {
		t.Errorf("rejects parts = %v", rej)
	}
	if got := snap.Since(1); len(got) != 2 || got[0].Commit != 2 {
		t.Errorf("Since(1) = %+v", got)
	}
	if got := snap.Campaigns(); !slices.Equal(got, []string{"c1"}) {
		t.Errorf("campaigns %v", got)
	}
	if got := logical(t, d); !strings.HasPrefix(got, "runs: 3 rows") || got != globbed(t, d) {
		t.Errorf("logical view:\n%s\nglobbed:\n%s", got, globbed(t, d))
	}
	// The ledger keeps the latest commit only, whatever the history.
	if got := tree(t, filepath.Join(d.Dir(), ledgerDir)); !slices.Equal(got, []string{"0000000002.json", historyName, "lock"}) {
		t.Errorf("_ledger holds %v", got)
	}
	mustCheck(t, d)
}

// A writer's Prepare sees what others committed since it looked, and
// can refuse the group or add to it.
func TestPrepare(t *testing.T) {
	d := mustCreate(t)
	w1, w2 := mustWriter(t, d), mustWriter(t, d)
	defer w1.Close()
	defer w2.Close()
	parts2 := writeGroup(t, w2, []int{1, 2})
	commitGroup(t, w1, 1)
	afterW1 := logical(t, d)
	var since []Part
	err := w2.Commit(context.Background(), Group{Parts: parts2, Prepare: func(s []Part) ([]*PartFile, error) {
		since = s
		return refuseTaken([]int{1, 2})(s)
	}})
	if !errors.Is(err, errTaken) || !strings.Contains(err.Error(), testKey(1)) {
		t.Fatalf("Commit: %v", err)
	}
	if len(since) != 2 || since[0].Writer != w1.ID() || since[0].Commit != 1 {
		t.Errorf("Prepare saw %+v", since)
	}
	if got := logical(t, d); got != afterW1 {
		t.Errorf("the refused group shows:\n%s", got)
	}
	// The refused group's parts are the caller's again: it can commit
	// them, or abort them.
	if got := tree(t, w2.dir); len(got) != 2 {
		t.Errorf("the refused group's parts: %v", got)
	}
	for _, p := range parts2 {
		if err := p.Abort(); err != nil {
			t.Fatal(err)
		}
	}
	// Redone without input 1, with a part Prepare writes under the lock.
	w2.SetSeen(1)
	err = w2.Commit(context.Background(), Group{Parts: writeGroup(t, w2, []int{2}), Prepare: func(s []Part) ([]*PartFile, error) {
		if len(s) != 0 {
			t.Errorf("Prepare saw %+v after SetSeen", s)
		}
		return writeRows(w2, "c1", map[string][]string{"rejects": {testKey(10) + "\treject"}})
	}})
	if err != nil {
		t.Fatal(err)
	}
	if keys, _ := held(d); len(keys) != 3 || !keys[testKey(10)] {
		t.Errorf("held %v", keys)
	}
	if w2.Seen() != 2 {
		t.Errorf("seen %d after committing 2", w2.Seen())
	}
	mustCheck(t, d)
}

// A replacement removes the rows it supersedes from the directory: no
// reader, kdf or not, sees them twice.
func TestReplace(t *testing.T) {
	d := mustCreate(t)
	w := mustWriter(t, d)
	defer w.Close()
	commitGroup(t, w, 1, 2, 5)
	commitGroup(t, w, 3, 4)
	want := logical(t, d)
	replace(t, w, 1, 5)
	if got := logical(t, d); got != want || globbed(t, d) != want {
		t.Errorf("after a replacement:\n%s\nglobbed:\n%s\nwant\n%s", got, globbed(t, d), want)
	}
	snap, _ := d.Snapshot()
	for _, p := range snap.Parts("runs") {
		if p.Commit == 1 {
			t.Errorf("replaced part %s is still there", p.Rel())
		}
	}
	// A replacement built from a snapshot that another commit has since
	// replaced is refused, and nothing of it shows.
	stale, err := replacement(w, snap, []int{2})
	if err != nil {
		t.Fatal(err)
	}
	replace(t, w, 1)
	before := logical(t, d)
	if err := w.Commit(context.Background(), stale); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "runs/campaign=c1/part-") {
		t.Errorf("stale replacement: %v", err)
	}
	if got := logical(t, d); got != before || got != want {
		t.Errorf("after the refused replacement:\n%s", got)
	}
	abortAll := func(ps []*PartFile) {
		for _, p := range ps {
			p.Abort()
		}
	}
	abortAll(stale.Parts)
	if got := tree(t, w.dir); len(got) != 0 {
		t.Errorf("parts left in the writer's directory: %v", got)
	}
	mustCheck(t, d)
}

func TestCommitRefusesBadGroups(t *testing.T) {
	d := mustCreate(t)
	w, other := mustWriter(t, d), mustWriter(t, d)
	defer w.Close()
	defer other.Close()
	ctx := context.Background()
	open, _ := w.CreatePart("runs", "c1")
	twice := writeGroup(t, w, []int{1})
	theirs := writeGroup(t, other, []int{2})
	for name, parts := range map[string][]*PartFile{
		"part open":      {open},
		"twice":          {twice[0], twice[0]},
		"other writer's": theirs,
	} {
		if err := w.Commit(ctx, Group{Parts: parts}); err == nil {
			t.Errorf("%s: committed", name)
		}
	}
	if got := logical(t, d); !strings.HasPrefix(got, "runs: 0 rows") {
		t.Errorf("refused groups show:\n%s", got)
	}
}

// A write that fails leaves nothing visible and says which file and why.
func TestWriteFailure(t *testing.T) {
	d := mustCreate(t)
	d.hooks.onWrite = func(name string, n int) error { return syscall.ENOSPC }
	w := mustWriter(t, d)
	p, err := w.CreatePart("records", "c1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Write([]byte("row\n"))
	if err == nil || !strings.Contains(err.Error(), p.Name()) || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("Write: %v", err)
	}
	if cerr := p.Close(); cerr == nil || cerr.Error() != err.Error() {
		t.Errorf("Close: %v", cerr)
	}
	err = w.Commit(context.Background(), Group{Parts: []*PartFile{p}})
	if err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Errorf("Commit: %v", err)
	}
	p.Abort()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, d.Dir()); !slices.Equal(got, []string{"_ledger/lock", "kdf.json"}) {
		t.Errorf("files after a failed write: %v", got)
	}
	mustCheck(t, d)
}

// Writers of one process commit concurrently; the flock serialises them.
func TestConcurrentWriters(t *testing.T) {
	d := mustCreate(t)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			w, err := d.NewWriter(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			defer w.Close()
			for i := range 5 {
				parts, err := writeRows(w, "c1", groupRows([]int{100*g + i + 1}))
				if err == nil {
					err = w.Commit(context.Background(), Group{Parts: parts})
				}
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	snap, _ := d.Snapshot()
	if keys, _ := held(d); snap.Last != 20 || len(keys) != 20 {
		t.Errorf("%d commits, %d inputs", snap.Last, len(keys))
	}
	mustCheck(t, d)
	if _, err := os.Stat(filepath.Join(d.Dir(), tmpDir)); err != nil {
		t.Error(err)
	}
}
