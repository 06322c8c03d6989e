package dataset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// point is a place where the commit protocol can stop: a step, and for
// stepMoved the part just moved.
type point struct {
	s step
	k int
}

func (p point) String() string { return fmt.Sprintf("%s-%d", p.s, p.k) }

// points lists every place the scenario's second commit can stop: it
// adds five parts and removes two.
func points() []point {
	var pts []point
	for s := range numSteps {
		n := map[step]int{stepMoved: 5, stepRemoved: 2}[s]
		n = max(n, 1)
		for k := range n {
			pts = append(pts, point{s, k})
		}
	}
	return pts
}

// stopAt makes the protocol fail with err at p.
func stopAt(d *Dataset, p point, err error) {
	d.hooks.onStep = func(s step, k int) error {
		if s == p.s && k == p.k {
			return err
		}
		return nil
	}
}

// second is the scenario's second commit: inputs 3, 4 and 5 (runs,
// records, rejects), and input 1 again, which replaces the runs and
// records parts of the first commit with rewritten ones.
func second(t testing.TB, w *Writer) Group {
	t.Helper()
	snap, err := w.d.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	g, err := replacement(w, snap, []int{1})
	if err != nil {
		t.Fatal(err)
	}
	more := writeGroup(t, w, []int{3, 4, 5})
	g.Parts = append(g.Parts, more...)
	if len(g.Parts) != 5 || len(g.Remove) != 2 {
		t.Fatalf("the second commit adds %d parts and removes %d", len(g.Parts), len(g.Remove))
	}
	return g
}

// uninterrupted is the logical view of the scenario run without a crash.
func uninterrupted(t *testing.T) string {
	d := mustCreate(t)
	w := mustWriter(t, d)
	defer w.Close()
	commitGroup(t, w, 1, 2)
	if err := w.Commit(context.Background(), second(t, w)); err != nil {
		t.Fatal(err)
	}
	return logical(t, d)
}

// A process killed at any point of a commit, then run again, ends with
// the dataset of an uninterrupted run; before recovery, readers that
// list the dataset see the commit wholly or not at all, and after it a
// plain glob sees the same.
func TestCrashAtEveryStep(t *testing.T) {
	want := uninterrupted(t)
	for _, pt := range points() {
		t.Run(pt.String(), func(t *testing.T) {
			d := mustCreate(t)
			w := mustWriter(t, d)
			commitGroup(t, w, 1, 2)
			before := logical(t, d)
			g := second(t, w)
			stopAt(d, pt, errCrash)
			if err := w.Commit(context.Background(), g); !errors.Is(err, errCrash) {
				t.Fatalf("Commit: %v", err)
			}
			w.kill()

			// The next process.
			d2, err := Open(d.Dir())
			if err != nil {
				t.Fatal(err)
			}
			committed := pt.s >= stepCommitted
			seen := logical(t, d2)
			if committed && seen != want || !committed && seen != before {
				t.Fatalf("before recovery, readers see:\n%s", seen)
			}
			err = d2.Check()
			if pending := pt.s >= stepIntent && !committed; err == nil || pending != strings.Contains(err.Error(), "pending") {
				t.Errorf("Check before recovery: %v", err)
			}
			unfinished := committed && !(pt.s == stepRemoved && pt.k == 1)
			if unfinished != strings.Contains(fmt.Sprint(err), "did not remove") {
				t.Errorf("Check before recovery: %v", err)
			}
			w2 := mustWriter(t, d2)
			rec := w2.Recovery()
			if rolled := len(rec.RolledBack) == 1; rolled != (pt.s >= stepIntent && !committed) {
				t.Errorf("recovery rolled back %v", rec.RolledBack)
			}
			if finished := len(rec.Finished) == 1; finished != unfinished {
				t.Errorf("recovery finished %v", rec.Finished)
			}
			wantParts := map[step]int{stepMoved: pt.k + 1, stepMovedSynced: 5, stepIntent: 0}[pt.s]
			if len(rec.RemovedParts) != wantParts {
				t.Errorf("recovery removed parts %v, want %d", rec.RemovedParts, wantParts)
			}
			if !slices.Contains(rec.RemovedTmp, filepath.Join(tmpDir, w.ID())) {
				t.Errorf("recovery removed %v, not the dead writer's directory", rec.RemovedTmp)
			}
			if got := logical(t, d2); got != seen || globbed(t, d2) != seen {
				t.Errorf("recovery changed what readers see:\n%s\nglobbed:\n%s", got, globbed(t, d2))
			}
			if !committed { // running the ingest again commits the group
				if err := w2.Commit(context.Background(), second(t, w2)); err != nil {
					t.Fatal(err)
				}
			}
			w2.Close()
			mustCheck(t, d2)
			if got := logical(t, d2); got != want {
				t.Errorf("after the re-run:\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// An I/O failure at any point of a commit is rolled back at once, or,
// past the commit point, leaves the commit whole.
func TestFailureAtEveryStep(t *testing.T) {
	want := uninterrupted(t)
	for _, pt := range points() {
		t.Run(pt.String(), func(t *testing.T) {
			d := mustCreate(t)
			w := mustWriter(t, d)
			defer w.Close()
			commitGroup(t, w, 1, 2)
			before := logical(t, d)
			g := second(t, w)
			stopAt(d, pt, syscall.EIO)
			err := w.Commit(context.Background(), g)
			if !errors.Is(err, syscall.EIO) {
				t.Fatalf("Commit: %v", err)
			}
			if committed := pt.s >= stepCommitted; committed != errors.Is(err, ErrCommitted) {
				t.Errorf("Commit after the commit point: %v", err)
			}
			d.hooks.onStep = nil
			committed := pt.s >= stepCommitted
			if got := logical(t, d); committed && got != want || !committed && got != before {
				t.Errorf("after the failure readers see:\n%s", got)
			}
			if committed && !(pt.s == stepRemoved && pt.k == 1) { // the next writer finishes it
				mustWriter(t, d).Close()
			}
			mustCheck(t, d) // no intent, no stray part
			if got := tree(t, w.dir); len(got) != 0 {
				t.Errorf("the failed group's parts stay: %v", got)
			}
		})
	}
}

// Recovery removes a dead writer's temporary files and keeps a live
// writer's, in this process or another.
func TestDeadWriterTmp(t *testing.T) {
	d := mustCreate(t)
	ctx := context.Background()
	dead := mustWriter(t, d)
	writeGroup(t, dead, []int{1})
	dead.kill()
	live := mustWriter(t, d)
	if got := live.Recovery().RemovedTmp; !slices.Equal(got, []string{"_tmp/" + dead.ID()}) {
		t.Errorf("NewWriter's recovery removed %v", got)
	}
	p, _ := live.CreatePart("runs", "c1")
	tmp := filepath.Join(d.Dir(), tmpDir)
	os.Mkdir(filepath.Join(tmp, "other"), 0o755) // another process's writer
	other, err := os.Create(filepath.Join(tmp, "other.lock"))
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Flock(int(other.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(tmp, "stray"), nil, 0o644)
	rec, err := d.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(rec.RemovedTmp)
	if want := []string{"_tmp/stray"}; !slices.Equal(rec.RemovedTmp, want) {
		t.Errorf("removed %v, want %v", rec.RemovedTmp, want)
	}
	for _, keep := range []string{p.Name(), filepath.Join(tmp, "other"), filepath.Join(tmp, live.ID()+".lock")} {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("a live writer's file is gone: %v", err)
		}
	}
	other.Close() // the other process dies
	if rec, _ := d.Recover(ctx); !slices.Equal(rec.RemovedTmp, []string{"_tmp/other"}) {
		t.Errorf("removed %v after the other writer died", rec.RemovedTmp)
	}
	live.Close()
	mustCheck(t, d)
	if got := tree(t, tmp); len(got) != 0 {
		t.Errorf("_tmp holds %v", got)
	}
}

// The lock wait ends with the context, and says who is waited for.
func TestLockTimeout(t *testing.T) {
	d := mustCreate(t)
	w := mustWriter(t, d)
	defer w.Close()
	lk, err := d.lockLedger(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock(lk)
	ctx, cancel := context.WithTimeout(context.Background(), 30e6)
	defer cancel()
	err = w.Commit(ctx, Group{Parts: writeGroup(t, w, []int{1})})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "ledger lock") {
		t.Errorf("Commit: %v", err)
	}
}

// An intent cut short (a crash while it was written) names nothing, but
// any part bearing its number is still rolled back.
func TestDamagedIntent(t *testing.T) {
	d := mustCreate(t)
	w := mustWriter(t, d)
	commitGroup(t, w, 1)
	w.Close()
	want := logical(t, d)
	os.WriteFile(filepath.Join(d.Dir(), ledgerDir, commitName(2)+".pending"), []byte(`{"commit":2,"add":[{"ta`), 0o644)
	stray := filepath.Join(d.Dir(), "calls", "campaign=c1", partName(2, "dead", 0))
	os.MkdirAll(filepath.Dir(stray), 0o755)
	os.WriteFile(stray, []byte("half"), 0o644)
	rec, err := d.Recover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.RolledBack) != 1 || len(rec.RemovedParts) != 1 {
		t.Errorf("recovery: %+v", rec)
	}
	mustCheck(t, d)
	if got := logical(t, d); got != want {
		t.Errorf("after recovery:\n%s", got)
	}
}
