package report

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kdf-tools/kdf/query/stats"
	"github.com/kdf-tools/kdf/query/table"
)

// trialsTable is a per-trial table as compare.sql makes it, from
// per-group metrics (the same value for functions and records).
func trialsTable(baseline string, groups map[string][]int64, functions map[string][]int64) *table.Table {
	t := table.New(
		table.Column{Name: "group", Kind: table.KindString}, table.Column{Name: "campaign", Kind: table.KindString},
		table.Column{Name: "trial", Kind: table.KindString}, table.Column{Name: "baseline", Kind: table.KindBool},
		table.Column{Name: "runs", Kind: table.KindInt}, table.Column{Name: "value_coverage", Kind: table.KindInt},
		table.Column{Name: "functions", Kind: table.KindInt}, table.Column{Name: "records", Kind: table.KindInt},
	)
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	slices.Sort(names)
	for _, g := range names {
		for i, v := range groups[g] {
			t.Add(g, "c", fmt.Sprint(i+1), g == baseline, int64(10), v, functions[g][i], v*100)
		}
	}
	return t
}

// TestCompareKnown: compare's summary of trials with known answers.
// Against b (20, 22, 24), arm a (10, 12, 14) is below in every pair:
// U = 0, A12 = 0, and the exact two-sided p-value is 2/20 = 0.1. Arm c
// (15, 21, 30) wins 4 of the 9 pairs: A12 = 4/9, negligible, and as
// U' = 5 has P(U >= 5) = 10/20, p = 1. Functions tie throughout for a,
// which no test can tell apart: p = 1, A12 = 0.5.
func TestCompareKnown(t *testing.T) {
	in := trialsTable("b",
		map[string][]int64{"a": {10, 12, 14}, "b": {20, 22, 24}, "c": {15, 21, 30}},
		map[string][]int64{"a": {5, 5, 5}, "b": {5, 5, 5}, "c": {6, 7, 6}})
	r, _ := Lookup("compare")
	vars, _ := r.Vars(map[string]string{"baseline": "b"})
	got, err := compareSummary(context.Background(), nil, in, vars)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Check(); err != nil {
		t.Fatal(err)
	}
	r.style(got)
	checkPaper(t, "compare", "compare", got)
	want := []struct {
		metric, arm, cell string
		p, a12            any
		effect            string
	}{
		{"value_coverage", "b", "22 [20-24]", nil, nil, "baseline"},
		{"value_coverage", "a", "12 [10-14]", 0.1, 0.0, "large"},
		{"value_coverage", "c", "21 [15-30]", 1.0, 4.0 / 9, "negligible"},
		{"functions", "b", "5 [5-5]", nil, nil, "baseline"},
		{"functions", "a", "5 [5-5]", 1.0, 0.5, "negligible"},
	}
	for i, w := range want {
		row := got.Rows[i]
		g := fmt.Sprint([]any{row[0], row[1], row[3], row[4], row[5], row[6]})
		if e := fmt.Sprint([]any{w.metric, w.arm, w.cell, w.p, w.a12, w.effect}); g != e {
			t.Errorf("row %d: %s, want %s", i, g, e)
		}
	}
	if p := got.Rows[1][4].(float64); math.Abs(p-0.1) > 1e-15 {
		t.Errorf("p of a: %v", p)
	}
	// Every test is package stats' own (c's functions tie among
	// themselves, so theirs is the normal approximation).
	for i, row := range got.Rows {
		if row[6] == "baseline" {
			continue
		}
		m, arm := row[0].(string), row[1].(string)
		x, y := column(in, arm, m), column(in, "b", m)
		u := stats.MannWhitney(x, y)
		if row[4] != u.P || row[5] != u.A12 || row[6] != u.Magnitude().String() {
			t.Errorf("row %d (%s %s): %v, stats %v %v %v", i, m, arm, row[4:], u.P, u.A12, u.Magnitude())
		}
	}
	vars["baseline"] = "nope"
	if _, err := compareSummary(context.Background(), nil, trialsTable("nope", map[string][]int64{"a": {1}}, map[string][]int64{"a": {1}}), vars); err == nil || !strings.Contains(err.Error(), "no arm nope") {
		t.Errorf("an unknown baseline: %v", err)
	}
}

// column is one group's values of a metric in a per-trial table.
func column(t *table.Table, group, metric string) []float64 {
	var out []float64
	for _, r := range t.Rows {
		if r[t.Index("group")] == group {
			out = append(out, float64(r[t.Index(metric)].(int64)))
		}
	}
	return out
}

// trialStats is one trial's sample point, in Go.
type trialStats struct {
	group, trial  any
	campaign      string
	runs, records int64
	values, funcs map[string]bool
	order         []runRow
}

// TestCompareAgainstGo recomputes the per-trial table, the growth table
// and the summary from the runs, args and calls rows in Go.
func TestCompareAgainstGo(t *testing.T) {
	db := openDataset(t, "arms", genSources(t, armsCampaign()))
	ctx := context.Background()
	trials := map[string]*trialStats{}
	trialOf := map[int64]*trialStats{}
	for _, r := range runRows(t, db, "arm") {
		k := fmt.Sprint(r.group, "/", r.campaign, "/", r.trial)
		ts := trials[k]
		if ts == nil {
			ts = &trialStats{group: r.group, trial: r.trial, campaign: r.campaign, values: map[string]bool{}, funcs: map[string]bool{}}
			trials[k] = ts
		}
		ts.runs++
		ts.records += r.records
		ts.order = append(ts.order, r)
		trialOf[r.runID] = ts
	}
	firstSeen := map[int64][]string{} // per run, the tuples it saw
	args, err := db.Query(ctx, "SELECT run_id, module, func, arg_idx, value FROM args WHERE func IS NOT NULL", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range args.Rows {
		tuple := fmt.Sprint(r[1:])
		trialOf[r[0].(int64)].values[tuple] = true
		firstSeen[r[0].(int64)] = append(firstSeen[r[0].(int64)], tuple)
	}
	calls, err := db.Query(ctx, "SELECT run_id, module, func FROM calls WHERE func IS NOT NULL", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range calls.Rows {
		trialOf[r[0].(int64)].funcs[fmt.Sprint(r[1:])] = true
	}

	got := run(t, db, "compare_trials", nil)
	if len(got.Rows) != len(trials) || len(trials) != 6 {
		t.Fatalf("%d trials, Go finds %d, want 6", len(got.Rows), len(trials))
	}
	for _, r := range got.Rows {
		col := func(name string) any { return r[got.Index(name)] }
		ts := trials[fmt.Sprint(col("group"), "/", col("campaign"), "/", col("trial"))]
		if ts == nil {
			t.Fatalf("trial %v is not in the runs", r)
		}
		g := fmt.Sprint([]any{col("runs"), col("value_coverage"), col("functions"), col("records"), col("baseline")})
		if w := fmt.Sprint([]any{ts.runs, int64(len(ts.values)), int64(len(ts.funcs)), ts.records, ts.group == "coverage"}); g != w {
			t.Errorf("trial %v/%v:\n report %s\n     go %s", ts.group, ts.trial, g, w)
		}
	}

	// Growth: runs by timestamp (to the microsecond, as TIMESTAMPTZ
	// holds it), then text, then path.
	growth := run(t, db, "compare_growth", nil)
	var want []string
	keys := make([]string, 0, len(trials))
	for k := range trials {
		keys = append(keys, k)
	}
	slices.Sort(keys) // group/campaign/trial: one-digit trials sort as numbers
	for _, k := range keys {
		ts := trials[k]
		slices.SortFunc(ts.order, func(a, b runRow) int {
			return cmp.Or(micros(t, a.timestamp).Compare(micros(t, b.timestamp)), cmp.Compare(a.timestamp.(string), b.timestamp.(string)),
				cmp.Compare(a.path, b.path), cmp.Compare(a.runID, b.runID))
		})
		seen := map[string]bool{}
		var execNS int64
		for i, r := range ts.order {
			n := 0
			for _, tuple := range firstSeen[r.runID] {
				if !seen[tuple] {
					seen[tuple] = true
					n++
				}
			}
			// No round; seconds since the trial's first run; execution
			// so far.
			execNS += r.exec.(int64)
			elapsed := float64(micros(t, r.timestamp).Sub(micros(t, ts.order[0].timestamp)).Microseconds()) / 1e6
			want = append(want, fmt.Sprint([]any{ts.group, ts.campaign, ts.trial, int64(i + 1), r.runID, nil,
				elapsed, float64(execNS) / 1e9, int64(n), int64(len(seen))}))
		}
		if len(seen) != len(ts.values) {
			t.Errorf("trial %s: growth ends at %d, the trial saw %d", k, len(seen), len(ts.values))
		}
	}
	if len(growth.Rows) != len(want) {
		t.Fatalf("%d growth rows, Go finds %d", len(growth.Rows), len(want))
	}
	for i, r := range growth.Rows {
		if g := fmt.Sprint(r); g != want[i] {
			t.Errorf("growth row %d:\n report %s\n     go %s", i, g, want[i])
		}
	}

	// The summary is package stats over the trials' values.
	for _, baseline := range []string{"", "random"} {
		given := map[string]string{}
		if baseline != "" {
			given["baseline"] = baseline
		}
		sum := run(t, db, "compare", given)
		trialsTab := run(t, db, "compare_trials", given)
		base := cmp.Or(baseline, "coverage")
		if sum.Rows[0][1] != base || sum.Rows[0][6] != "baseline" {
			t.Errorf("--baseline %q: the first row is %v", baseline, sum.Rows[0])
		}
		for _, r := range sum.Rows {
			m, arm := r[0].(string), r[1].(string)
			x := column(trialsTab, arm, m)
			w := []any{m, arm, int64(len(x)), stats.Summarize(x).MedianRange(-1), nil, nil, "baseline"}
			if arm != base {
				u := stats.MannWhitney(x, column(trialsTab, base, m))
				w[4], w[5], w[6] = u.P, u.A12, u.Magnitude().String()
			}
			if g, w := fmt.Sprint(r), fmt.Sprint(w); g != w {
				t.Errorf("--baseline %q:\n report %s\n  stats %s", baseline, g, w)
			}
		}
	}
	if r, _ := Lookup("compare"); func() error {
		_, err := r.Run(ctx, db, map[string]any{"group_by": "arm", "baseline": "nope"})
		return err
	}() == nil {
		t.Error("compare with a baseline no run has: no error")
	}
}

func micros(t testing.TB, ts any) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, ts.(string))
	if err != nil {
		t.Fatal(err)
	}
	return tm.Truncate(time.Microsecond)
}
