package buf

import "testing"

func TestReserve(t *testing.T) {
	var s []int
	allocs := 0
	for i := range 1 << 20 {
		if len(s) == cap(s) {
			allocs++
		}
		s = Append(s, i)
	}
	for i, v := range s {
		if v != i {
			t.Fatalf("s[%d] = %d", i, v)
		}
	}
	// Doubling from one element: 21 allocations for a million; append's
	// growth takes about twice as many.
	if allocs > 21 {
		t.Errorf("%d allocations to grow to %d elements", allocs, len(s))
	}
	r := Reserve(s[:10], 5)
	if &r[0] != &s[0] {
		t.Error("Reserve moved a slice that had room")
	}
	if r = Reserve([]int(nil), 7); cap(r) != 7 || len(r) != 0 {
		t.Errorf("Reserve(nil, 7): len %d, cap %d", len(r), cap(r))
	}
}
