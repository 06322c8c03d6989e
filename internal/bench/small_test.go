package main

import (
	"math"
	"testing"
)

// TestSplit recovers the cost per million records and the cost paid
// once from two runs of different sizes.
func TestSplit(t *testing.T) {
	at := func(records int64) float64 { return 0.5 + 0.3*float64(records)/1e6 }
	per, once := split(6_000_000, 1_500_000, at(6_000_000), at(1_500_000))
	if math.Abs(per-0.3) > 1e-9 || math.Abs(once-0.5) > 1e-9 {
		t.Errorf("split: %g per million, %g once; want 0.3 and 0.5", per, once)
	}
}

// TestQuarterNotACase: the quarter-size huge buffers only split the
// huge case's time; they are not compared with it, nor held to the
// targets.
func TestQuarterNotACase(t *testing.T) {
	b := &bench{}
	for _, s := range smallShapes(4_000_000, 0, 0) {
		b.results = append(b.results, &result{Name: ingestName, Case: s.name, Records: 1, Seconds: []float64{1}})
	}
	cases, huge := b.smallCases()
	if huge == nil || len(cases) != 3 {
		t.Fatalf("%d cases, huge %v", len(cases), huge)
	}
	for _, r := range cases {
		if r.Case == hugeQuarter {
			t.Errorf("%q is a case", hugeQuarter)
		}
	}
}
