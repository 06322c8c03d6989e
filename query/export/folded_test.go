package export

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// foldedLine is the folded format: frames joined by semicolons, none
// empty, then a space and a positive count.
var foldedLine = regexp.MustCompile(`^([^;\n]+(?:;[^;\n]+)*) ([1-9][0-9]*)$`)

// TestFoldedTotals: every line is a folded stack, each stack once, and
// the lines add up to the records in calls (--value records) and to
// the calls (--value calls).
func TestFoldedTotals(t *testing.T) {
	db := campaignDataset(t)
	s, err := ReadStacks(context.Background(), db, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for v, q := range map[Value]string{
		Records: "SELECT CAST(sum(records) AS BIGINT) FROM calls WHERE parent_id = -1",
		Calls:   "SELECT count(*) FROM calls",
	} {
		var buf bytes.Buffer
		if err := s.WriteFolded(&buf, v); err != nil {
			t.Fatal(err)
		}
		stacks := readFolded(t, buf.String())
		var sum int64
		for _, n := range stacks {
			sum += n
		}
		if want := count(t, db, q, nil); sum != want || len(stacks) != len(s.Stacks) {
			t.Errorf("--value %s: %d stacks total %d; want %d stacks, %d", v, len(stacks), sum, len(s.Stacks), want)
		}
		if !hasModuleFrame(stacks) {
			t.Errorf("--value %s: no frame names its module", v)
		}
	}
}

func readFolded(t *testing.T, text string) map[string]int64 {
	t.Helper()
	stacks := map[string]int64{}
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		m := foldedLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("not a folded stack: %q", line)
		}
		if _, dup := stacks[m[1]]; dup {
			t.Fatalf("stack %q twice", m[1])
		}
		stacks[m[1]], _ = strconv.ParseInt(m[2], 10, 64)
	}
	return stacks
}

func hasModuleFrame(stacks map[string]int64) bool {
	for s := range stacks {
		if strings.HasSuffix(s, "]") && strings.Contains(s, " [") {
			return true
		}
	}
	return false
}

// TestFoldedFrameNames: a semicolon or newline in a name (Rust array
// types) cannot split a frame or a line, and stacks of no value are
// left out.
func TestFoldedFrameNames(t *testing.T) {
	s := &Stacks{
		Frames: []Frame{{Name: "sys_call"}, {Name: "<[u8; 4] as m::T>::f", Module: "m"}, {Name: "odd\nname"}},
		Stacks: []Stack{
			{Frames: []int{0, 1}, Records: 3, Calls: 1},
			{Frames: []int{0, 2}, Records: 0, Calls: 2},
		},
	}
	var buf bytes.Buffer
	if err := s.WriteFolded(&buf, Records); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "sys_call;<[u8: 4] as m::T>::f [m] 3\n"; got != want {
		t.Errorf("records:\n%q, want\n%q", got, want)
	}
	buf.Reset()
	if err := s.WriteFolded(&buf, Calls); err != nil {
		t.Fatal(err)
	}
	readFolded(t, buf.String())
}
