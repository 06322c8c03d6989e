package report

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/kdf-tools/kdf/query/stats"
	"github.com/kdf-tools/kdf/query/table"
	"github.com/kdf-tools/kdf/transform/errno"

	"github.com/kdf-tools/kdf/internal/synth"
)

// argStats is the values report's row for one argument, computed in Go.
type argStats struct {
	calls, zero, faults int64
	runs                map[int64]bool
	counts              map[uint64]int64
	min, max            uint64
	minS, maxS          int64
}

// TestValuesAgainstGo recomputes the values report in Go from the rows
// of args, with package stats' entropy and log2 histogram, and checks
// every column of every row.
func TestValuesAgainstGo(t *testing.T) {
	db := openDataset(t, "gen", genSources(t, synth.SmallConfig()))
	rows, err := db.Query(context.Background(), "SELECT module, demangled, arg_idx, value, size, run_id FROM args", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]*argStats{}
	for _, r := range rows.Rows {
		key := fmt.Sprint(r[0], "/", r[1], "/", r[2])
		a := want[key]
		if a == nil {
			a = &argStats{runs: map[int64]bool{}, counts: map[uint64]int64{}, min: math.MaxUint64, minS: math.MaxInt64, maxS: math.MinInt64}
			want[key] = a
		}
		v, s := r[3].(uint64), errno.SignExtend(r[3].(uint64), uint8(r[4].(uint64)))
		a.calls++
		a.runs[r[5].(int64)] = true
		a.counts[v]++
		a.zero += b2i(v == 0)
		a.faults += b2i(v == 0xbadadd85)
		a.min, a.max, a.minS, a.maxS = min(a.min, v), max(a.max, v), min(a.minS, s), max(a.maxS, s)
	}
	if len(want) == 0 {
		t.Fatal("the generated dataset has no arguments")
	}
	got := run(t, db, "values", map[string]string{"top": "4"})
	if len(got.Rows) != len(want) {
		t.Errorf("%d rows, Go finds %d arguments", len(got.Rows), len(want))
	}
	for _, r := range got.Rows {
		col := func(name string) any { return r[got.Index(name)] }
		key := fmt.Sprint(col("module"), "/", col("function"), "/", col("arg_idx"))
		a := want[key]
		if a == nil {
			t.Errorf("%s: not an argument of args", key)
			continue
		}
		if g, w := describe(got, r), a.describe(4); g != w {
			t.Errorf("%s:\n report %s\n     go %s", key, g, w)
		}
		if e := col("entropy_bits").(float64); math.Abs(e-a.entropy()) > 1e-9 {
			t.Errorf("%s: entropy %v, stats.Entropy %v", key, e, a.entropy())
		}
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// describe prints a report row's columns but entropy.
func describe(t *table.Table, r []any) string {
	col := func(name string) any { return r[t.Index(name)] }
	var hist []string
	for i, k := range col("log2_hist").(table.Map).Keys {
		hist = append(hist, fmt.Sprintf("%v:%v", k, col("log2_hist").(table.Map).Values[i]))
	}
	return fmt.Sprint(col("calls"), col("runs"), col("distinct_values"), col("zero_share"), col("fault_share"),
		col("min"), col("max"), col("min_s"), col("max_s"), col("top_values"), col("top_shares"), hist)
}

func (a *argStats) describe(top int) string {
	values := make([]uint64, 0, len(a.counts))
	for v := range a.counts {
		values = append(values, v)
	}
	slices.SortFunc(values, func(x, y uint64) int { return cmp.Or(cmp.Compare(a.counts[y], a.counts[x]), cmp.Compare(x, y)) })
	var topV, topS []any
	for _, v := range values[:min(top, len(values))] {
		topV = append(topV, v)
		topS = append(topS, float64(a.counts[v])/float64(a.calls))
	}
	var all []uint64
	for v, n := range a.counts {
		for range n {
			all = append(all, v)
		}
	}
	var hist []string
	for k, n := range stats.Log2Histogram(all) {
		if n > 0 {
			hist = append(hist, fmt.Sprintf("%d:%d", k, n))
		}
	}
	n := float64(a.calls)
	return fmt.Sprint(a.calls, int64(len(a.runs)), int64(len(a.counts)), float64(a.zero)/n, float64(a.faults)/n,
		a.min, a.max, a.minS, a.maxS, topV, topS, hist)
}

func (a *argStats) entropy() float64 {
	counts := make([]int64, 0, len(a.counts))
	for _, n := range a.counts {
		counts = append(counts, n)
	}
	return stats.Entropy(counts)
}
