package pipeline

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// A run read from several commits' parts is what the latest says; runs
// changed after loading override the sorted slice, and one removed is
// gone.
func TestRunTable(t *testing.T) {
	tab := runTable{recent: map[int64]heldRun{}}
	for _, r := range []struct {
		id     int64
		commit int64
	}{{7, 2}, {-3, 1}, {7, 5}, {9, 1}, {7, 3}, {1 << 62, 4}} {
		tab.add(r.id, heldRun{commit: r.commit, bytes: r.id * 10})
	}
	tab.put(9, heldRun{gone: true, commit: 6})
	tab.seal()
	if r, ok := tab.get(7); !ok || r.commit != 5 {
		t.Errorf("run 7: %+v, %v; want commit 5", r, ok)
	}
	if _, ok := tab.get(9); ok {
		t.Error("run 9 removed, still held")
	}
	if len(tab.ids) != 3 || tab.ids[0] != -3 || tab.ids[2] != 1<<62 {
		t.Errorf("sealed ids %v", tab.ids)
	}
	tab.put(-3, heldRun{commit: 8})
	tab.put(1<<62, heldRun{gone: true})
	if r, ok := tab.get(-3); !ok || r.commit != 8 {
		t.Errorf("run -3 after a change: %+v, %v", r, ok)
	}
	if _, ok := tab.get(1 << 62); ok {
		t.Error("a run removed after loading is still held")
	}
	if _, ok := tab.get(4); ok {
		t.Error("a run never read is held")
	}
}

// Runs put after loading are merged into the sorted slices as they
// accumulate: whatever the merges, the table answers as a map of the
// latest puts would, and its map stays small.
func TestRunTableMerges(t *testing.T) {
	tab := runTable{recent: map[int64]heldRun{}, mergeRuns: 8}
	want := map[int64]heldRun{}
	rng := rand.New(rand.NewPCG(1, 2))
	id := func() int64 { return rng.Int64N(3000) - 1500 }
	for range 500 {
		k, r := id(), heldRun{commit: rng.Int64N(10), bytes: rng.Int64()}
		if old, ok := want[k]; !ok || old.commit <= r.commit {
			want[k] = r
		}
		tab.add(k, r)
	}
	tab.seal()
	for i := range 50000 {
		k := id()
		switch rng.IntN(3) {
		case 0:
			tab.put(k, heldRun{gone: true})
			delete(want, k)
		case 1:
			r := heldRun{commit: int64(100 + i), bytes: rng.Int64()}
			tab.put(k, r)
			want[k] = r
		}
		if got, ok := tab.get(k); ok != (want[k] != heldRun{}) || ok && got != want[k] {
			t.Fatalf("op %d: run %d is %+v, %v; want %+v", i, k, got, ok, want[k])
		}
		if limit := max(tab.mergeRuns, len(tab.ids)/4); len(tab.recent) >= limit {
			t.Fatalf("op %d: %d runs in the map, %d in the slices", i, len(tab.recent), len(tab.ids))
		}
	}
	for k := int64(-1500); k < 1500; k++ {
		if got, ok := tab.get(k); ok != (want[k] != heldRun{}) || ok && got != want[k] {
			t.Fatalf("run %d is %+v, %v; want %+v", k, got, ok, want[k])
		}
	}
	if !slices.IsSorted(tab.ids) || len(tab.ids) != len(tab.base) {
		t.Errorf("%d ids (sorted: %v), %d runs", len(tab.ids), slices.IsSorted(tab.ids), len(tab.base))
	}
}
