// Package golden compares test output with expected files kept in
// testdata, and rewrites them when the test runs with -update.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files with the output the tests produce")

// Check compares got with the file path; with -update it writes got
// there instead. On a mismatch it fails the test with a line diff.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (- want, + got; run with -update to accept):\n%s", path, Diff(string(want), string(got)))
	}
}

// Diff returns a line diff of a and b: lines only in a are marked -,
// lines only in b +, common lines near a change are kept for context.
func Diff(a, b string) string {
	x, y := strings.SplitAfter(a, "\n"), strings.SplitAfter(b, "\n")
	// lcs[i][j] is the length of the longest common subsequence of
	// x[i:] and y[j:]; golden files are small enough for the table.
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []string
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			ops = append(ops, "  "+x[i])
			i, j = i+1, j+1
		case j < len(y) && (i == len(x) || lcs[i][j+1] >= lcs[i+1][j]):
			ops = append(ops, "+ "+y[j])
			j++
		default:
			ops = append(ops, "- "+x[i])
			i++
		}
	}
	return context(ops, 3)
}

// context keeps the changed lines and n lines around each.
func context(ops []string, n int) string {
	var b strings.Builder
	last := -1
	for k, op := range ops {
		near := false
		for d := -n; d <= n && !near; d++ {
			near = k+d >= 0 && k+d < len(ops) && ops[k+d][0] != ' '
		}
		if !near {
			continue
		}
		if last >= 0 && k > last+1 {
			b.WriteString("  ...\n")
		}
		line := op
		if !strings.HasSuffix(line, "\n") {
			line += "\n"
		}
		b.WriteString(line)
		last = k
	}
	return b.String()
}
