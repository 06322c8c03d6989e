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
	runs, err := d.Parts("runs")
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`^runs/campaign=c1/part-000000000[12]-` + w.ID() + `-0\.parquet$`)
	for _, p := range runs {
		rel, _ := filepath.Rel(d.Dir(), p)
		if !filepath.IsAbs(p) || !name.MatchString(rel) {
			t.Errorf("part %s", p)
		}
	}
	if len(runs) != 2 || runs[0] > runs[1] {
		t.Errorf("runs parts = %v", runs)
	}
	if rej, _ := d.Parts("rejects"); len(rej) != 1 {
		t.Errorf("rejects parts = %v", rej)
	}
	l, err := d.Committed()
	if err != nil {
		t.Fatal(err)
	}
	if li, ok := l.Run(testInput(3).SHA256); !ok || li.Commit != 2 || li.Path != testInput(3).Path {
		t.Errorf("Run(3) = %+v, %v", li, ok)
	}
	if li, ok := l.Lookup(testSource, testInput(5).Path); !ok || li.Outcome != OutcomeReject {
		t.Errorf("Lookup(5) = %+v, %v", li, ok)
	}
	if _, ok := l.Run(testInput(5).SHA256); ok {
		t.Error("a reject is a run")
	}
	if len(l.Inputs()) != 4 || l.Commits() != 2 {
		t.Errorf("inputs %d commits %d", len(l.Inputs()), l.Commits())
	}
	want := "runs: 3 rows"
	if got := logical(t, d); !strings.HasPrefix(got, want) {
		t.Errorf("logical view:\n%s", got)
	}
	mustCheck(t, d)
}

// Two writers race for one input: the second gets ErrConflict, nothing
// of its group shows, and it redoes the group without the input.
func TestConflict(t *testing.T) {
	d := mustCreate(t)
	w1, w2 := mustWriter(t, d), mustWriter(t, d)
	defer w1.Close()
	defer w2.Close()
	before := logical(t, d)
	parts2, inputs2 := writeGroup(t, w2, "c1", []int{1, 2})
	commitGroup(t, w1, 1)
	afterW1 := logical(t, d)
	err := w2.Commit(context.Background(), parts2, inputs2)
	var ce *ConflictError
	if !errors.Is(err, ErrConflict) || !errors.As(err, &ce) {
		t.Fatalf("Commit: %v", err)
	}
	if h := ce.Hashes(); len(h) != 1 || h[0] != testInput(1).SHA256 || !strings.Contains(err.Error(), h[0]) {
		t.Errorf("conflict hashes %v (%v)", h, err)
	}
	if got := logical(t, d); got != afterW1 || got == before {
		t.Errorf("the conflicting group shows:\n%s", got)
	}
	if got := tree(t, w2.dir); len(got) != 0 {
		t.Errorf("the conflicting group's parts stay: %v", got)
	}
	commitGroup(t, w2, 2)
	mustCheck(t, d)
}

// Force re-ingests: the new commit supersedes the old rows, partly
// (Excluded) then wholly (the old parts drop out).
func TestForce(t *testing.T) {
	d := mustCreate(t)
	w := mustWriter(t, d)
	defer w.Close()
	commitGroup(t, w, 1, 2, 5)
	want := logical(t, d)
	force := func(ids ...int) {
		parts, inputs := writeGroup(t, w, "c1", ids)
		for i := range inputs {
			inputs[i].Force = true
		}
		if err := w.Commit(context.Background(), parts, inputs); err != nil {
			t.Fatal(err)
		}
	}
	force(1, 5)
	l, _ := d.Committed()
	ex, _ := l.Excluded("runs")
	if len(ex) != 1 || !ex[0].ByRunID || ex[0].RunID != testInput(1).RunID {
		t.Errorf("runs excluded = %+v", ex)
	}
	if ex, _ := l.Excluded("rejects"); len(ex) != 1 || ex[0].Path != testInput(5).Path {
		t.Errorf("rejects excluded = %+v", ex)
	}
	if li, _ := l.Run(testInput(1).SHA256); li.Commit != 2 {
		t.Errorf("input 1 in commit %d", li.Commit)
	}
	if got := logical(t, d); got != want {
		t.Errorf("after a forced re-ingest:\n%s\nwant\n%s", got, want)
	}
	force(2)
	l, _ = d.Committed()
	runs, _ := l.Parts("runs")
	if len(runs) != 2 || strings.Contains(runs[0], "part-0000000001-") {
		t.Errorf("runs parts = %v", runs)
	}
	if ex, _ := l.Excluded("runs"); len(ex) != 0 {
		t.Errorf("runs excluded = %+v", ex)
	}
	if got := logical(t, d); got != want {
		t.Errorf("after forcing every input:\n%s\nwant\n%s", got, want)
	}
}

func TestCommitRefusesBadGroups(t *testing.T) {
	d := mustCreate(t)
	w := mustWriter(t, d)
	defer w.Close()
	ctx := context.Background()
	open, _ := w.CreatePart("runs", "c1")
	for name, tc := range map[string]struct {
		parts  []*PartFile
		inputs []Input
	}{
		"part open":     {[]*PartFile{open}, nil},
		"twice":         {nil, []Input{testInput(1), testInput(1)}},
		"no outcome":    {nil, []Input{{SHA256: testInput(1).SHA256, Path: "x"}}},
		"bad hash":      {nil, []Input{{SHA256: "ABC", Path: "x", Outcome: OutcomeRun}}},
		"run no hash":   {nil, []Input{{Path: "x", Outcome: OutcomeRun}}},
		"reject reason": {nil, []Input{{Path: "x", Outcome: OutcomeReject}}},
	} {
		if err := w.Commit(ctx, tc.parts, tc.inputs); err == nil {
			t.Errorf("%s: committed", name)
		}
	}
	// An unreadable file has no hash: it is a reject known by its path.
	unreadable := Input{Source: testSource, Path: "x", Outcome: OutcomeReject, Reason: "unreadable"}
	if err := w.Commit(ctx, nil, []Input{unreadable}); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx, nil, []Input{unreadable}); !errors.Is(err, ErrConflict) {
		t.Errorf("second commit of %s: %v", unreadable.Path, err)
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
	err = w.Commit(context.Background(), []*PartFile{p}, []Input{testInput(1)})
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
				in := testInput(100*g + i + 1)
				if err := w.Commit(context.Background(), nil, []Input{in}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	l, _ := d.Committed()
	if l.Commits() != 20 || len(l.Inputs()) != 20 {
		t.Errorf("%d commits, %d inputs", l.Commits(), len(l.Inputs()))
	}
	mustCheck(t, d)
	if _, err := os.Stat(filepath.Join(d.Dir(), tmpDir)); err != nil {
		t.Error(err)
	}
}
