package pipeline

import "testing"

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
