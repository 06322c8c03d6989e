package main

import (
	"math"
	"os"
	"path/filepath"
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

// TestReadFloor reads every buffer of a campaign, and says so when one
// cannot be read rather than timing fewer.
func TestReadFloor(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.kcdf", "b.kcdf", "manifest.jsonl"} {
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, 3<<20), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if s, err := readFloor(dir); err != nil || s <= 0 {
		t.Errorf("readFloor: %g s, %v", s, err)
	}
	// A buffer that is a link to nothing: listed, but not opened.
	if err := os.Symlink(filepath.Join(dir, "gone"), filepath.Join(dir, "c.kcdf")); err != nil {
		t.Fatal(err)
	}
	if _, err := readFloor(dir); err == nil {
		t.Error("readFloor timed a campaign with an unreadable buffer")
	}
}
