package report

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/internal/golden"
	"github.com/kdf-tools/kdf/query/plot"
	"github.com/kdf-tools/kdf/query/stats"
	"github.com/kdf-tools/kdf/query/table"
)

func TestParseMetric(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want string // the metric's fields, or what the error says
	}{
		{"distinct_pcs=count(DISTINCT pc) FROM records", "{distinct_pcs count(DISTINCT pc) records }"},
		{"cmds = count(DISTINCT value) from args where func = 'do_vfs_ioctl' AND arg_idx = 1",
			"{cmds count(DISTINCT value) args func = 'do_vfs_ioctl' AND arg_idx = 1}"},
		{"exec_s=sum(exec_ns) / 1e9", "{exec_s sum(exec_ns) / 1e9 runs }"},
		{"c=max(attrs['from']::BIGINT) WHERE attrs['where'] = 'it''s FROM'", "{c max(attrs['from']::BIGINT) runs attrs['where'] = 'it''s FROM'}"},
		{`cmps=count(*) FILTER (WHERE kind = 'cmp') FROM records`, "{cmps count(*) FILTER (WHERE kind = 'cmp') records }"},
		{"value_coverage", "{value_coverage   }"},
		{"runs", "{runs   }"},
		{"nope", "no built-in metric nope (they are value_coverage, functions, records, runs)"},
		{"records=count(*)", "records is a column of compare's trials already"},
		{"9x=count(*)", "NAME letters, digits and _"},
		{"x=1; DROP VIEW runs", "no ;"},
		{"x=count(*) -- all", "no comments"},
		{"x=count(*) FROM rejects", "FROM rejects: a metric aggregates one of runs, records, calls, args, arg_fields, rets"},
		{"x=count(*) FROM records JOIN calls USING (run_id)", "one table, and only WHERE after it"},
		{"x=count(*)) FROM records", "a ) closes nothing"},
		{"x=max(value", "a ( is not closed"},
		{"x='abc", "not closed"},
		{"x=FROM records", "no expression before FROM"},
		{"x=count(*) WHERE", "WHERE without a condition"},
		{"x=count(*) WHERE a = 1 FROM records", "FROM after WHERE"},
	} {
		m, err := ParseMetric(tc.spec)
		got := fmt.Sprint(m)
		if err != nil {
			got = err.Error()
			if !strings.Contains(got, tc.want) {
				t.Errorf("%q: %s, want %s", tc.spec, got, tc.want)
			}
			continue
		}
		if got = fmt.Sprintf("{%s %s %s %s}", m.Name, m.Expr, m.Table, m.Where); got != tc.want {
			t.Errorf("%q: %s, want %s", tc.spec, got, tc.want)
		}
	}
}

// TestMetricKnown: a manifest field as a metric, with answers worked
// out by hand. bugs is set per program; a trial's metric is their sum:
// arm a's trials find 1+2 = 3 and 2+3 = 5, arm b's 4+3 = 7 and 5+4 =
// 9. Every trial of b beats every trial of a: A12 = 1, U = 0, and of
// the 6 equally likely ways to split 4 trials 2 and 2, b holding the
// top two is 1, so the exact two-sided p is 2/6. corpus is given by
// trial 1 of each arm only: trial 2 is missing, so it counts one trial
// each, 21 and 21: a tie, A12 = 0.5 and p = 1.
func TestMetricKnown(t *testing.T) {
	bugs := map[string][]int{"a": {1, 2, 2, 3}, "b": {4, 3, 5, 4}}
	db := openDataset(t, "hand", handSources(t, func(arm string, trial, i int, m map[string]any) {
		m["bugs"] = bugs[arm][(trial-1)*2+i]
		if trial == 1 {
			m["corpus"] = fmt.Sprint(10*(i+1) + len(arm))
		}
	}))
	given := map[string]string{"group_by": "arm", "metric": strings.Join([]string{
		"bugs=sum(attrs['bugs']::BIGINT)", "corpus=max(attrs['corpus']::BIGINT)", "runs"}, ListSep)}
	tab := run(t, db, "compare", given)
	checkPaper(t, "compare_metric", "compare", tab)
	want := []string{
		"[bugs a 2 4 [3-5] <nil> <nil> baseline]",
		"[bugs b 2 8 [7-9] 0.3333333333333333 1 large]",
		"[corpus a 1 21 [21-21] <nil> <nil> baseline]",
		"[corpus b 1 21 [21-21] 1 0.5 negligible]",
		"[runs a 2 2 [2-2] <nil> <nil> baseline]",
		"[runs b 2 2 [2-2] 1 0.5 negligible]",
	}
	if len(tab.Rows) != len(want) {
		t.Fatalf("%d rows:\n%s", len(tab.Rows), tab)
	}
	for i, w := range want {
		if g := fmt.Sprint(tab.Rows[i]); g != w {
			t.Errorf("row %d: %s, want %s", i, g, w)
		}
	}
	if p := tab.Rows[1][4].(float64); math.Abs(p-2.0/6) > 1e-15 {
		t.Errorf("p of bugs: %v, by hand 1/3", p)
	}
	// The figure: a panel per metric, each arm's trials in it.
	r, _ := Lookup("compare")
	vars, _ := r.Vars(given)
	fig, err := r.Plot(context.Background(), db, tab, vars)
	if err != nil {
		t.Fatal(err)
	}
	var svg bytes.Buffer
	if err := fig.Write(&svg, plot.SVG); err != nil {
		t.Fatal(err)
	}
	if desc := svg.String(); !strings.Contains(desc, "<title>trials by arm</title>") || !strings.Contains(desc, "<desc>bugs\n") ||
		!strings.Contains(desc, "\ncorpus\n") || strings.Count(desc, "\na\nb\n") != 3 {
		t.Errorf("the metrics' figure: %s", desc[strings.Index(desc, "<title>"):strings.Index(desc, "</desc>")])
	}
	trials := run(t, db, "compare_trials", given)
	golden.Check(t, filepath.Join("testdata", "known", "compare_trials_metric.table"), render(t, trials, table.Text))
	if g := fmt.Sprint(floatColumn(trials, "b", "bugs")); g != "[7 9]" {
		t.Errorf("compare_trials: b's bugs %s, want [7 9]", g)
	}
}

// TestMetricsAgainstGo: metrics over records, args and runs, per
// trial, recomputed in Go from the rows, and the summary of each is
// package stats' over those values.
func TestMetricsAgainstGo(t *testing.T) {
	db := openDataset(t, "arms", genSources(t, armsCampaign()))
	ctx := context.Background()
	metrics := []string{
		"distinct_pcs=count(DISTINCT pc) FROM records",
		"write_counts=count(DISTINCT value) FROM args WHERE func = 'vfs_write' AND arg_idx = 2",
		"exec_s=sum(exec_ns) / 1e9",
		"errors=count(*) FROM rets WHERE errno IS NOT NULL",
	}
	given := map[string]string{"metric": strings.Join(append(metrics, "value_coverage"), ListSep)}
	trials := run(t, db, "compare_trials", given)
	type key struct{ group, trial any }
	sets := map[key]map[string]map[string]bool{} // trial -> metric -> distinct things
	sums := map[key]map[string]float64{}
	add := func(q, metric string, distinct bool) {
		rows, err := db.Query(ctx, "SELECT r.arm, r.trial, x.v FROM runs r JOIN ("+q+") x USING (run_id)", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows.Rows {
			k := key{row[0], row[1]}
			if sets[k] == nil {
				sets[k], sums[k] = map[string]map[string]bool{}, map[string]float64{}
			}
			if sets[k][metric] == nil {
				sets[k][metric] = map[string]bool{}
			}
			if distinct {
				sets[k][metric][fmt.Sprint(row[2])] = true
				sums[k][metric] = float64(len(sets[k][metric]))
			} else {
				v, _ := number(row[2])
				sums[k][metric] += v.(float64)
			}
		}
	}
	add("SELECT run_id, pc AS v FROM records", "distinct_pcs", true)
	add("SELECT run_id, value AS v FROM args WHERE func = 'vfs_write' AND arg_idx = 2", "write_counts", true)
	add("SELECT run_id, exec_ns / 1e9 AS v FROM runs", "exec_s", false)
	add("SELECT run_id, 1 AS v FROM rets WHERE errno IS NOT NULL", "errors", false)
	if len(trials.Rows) != 6 {
		t.Fatalf("%d trials", len(trials.Rows))
	}
	for _, row := range trials.Rows {
		k := key{row[trials.Index("group")], row[trials.Index("trial")]}
		for _, m := range []string{"distinct_pcs", "write_counts", "exec_s", "errors"} {
			got, want := row[trials.Index(m)].(float64), sums[k][m]
			if math.Abs(got-want) > 1e-9*math.Max(1, want) {
				t.Errorf("trial %v: %s = %v, Go finds %v", k, m, got, want)
			}
		}
	}
	sum := run(t, db, "compare", given)
	if len(sum.Rows) != 5*3 {
		t.Fatalf("%d rows, want 5 metrics x 3 arms", len(sum.Rows))
	}
	for _, r := range sum.Rows {
		m, arm := r[0].(string), r[1].(string)
		x := floatColumn(trials, arm, m)
		w := []any{m, arm, int64(len(x)), stats.Summarize(x).MedianRange(digits(x)), nil, nil, "baseline"}
		if arm != "coverage" {
			u := stats.MannWhitney(x, floatColumn(trials, "coverage", m))
			w[4], w[5], w[6] = u.P, u.A12, u.Magnitude().String()
		}
		if g, w := fmt.Sprint(r), fmt.Sprint(w); g != w {
			t.Errorf("\n report %s\n  stats %s", g, w)
		}
	}
}

// floatColumn is one group's values of a metric of any number type.
func floatColumn(t *table.Table, group, metric string) []float64 {
	var out []float64
	for _, r := range t.Rows {
		if r[t.Index("group")] == group {
			if v, _ := number(r[t.Index(metric)]); v != nil {
				out = append(out, v.(float64))
			}
		}
	}
	return out
}

// TestMetricErrors: a metric that is no number per trial, or whose SQL
// DuckDB refuses, fails with its name.
func TestMetricErrors(t *testing.T) {
	db := openDataset(t, "arms", genSources(t, armsCampaign()))
	r, _ := Lookup("compare")
	for spec, want := range map[string]string{
		"names=string_agg(func, ',') FROM calls": "--metric names: the metric is VARCHAR per trial, not a number",
		"pcs=pc FROM records":                    "--metric pcs: pc gives several values per trial: aggregate them",
		"x=count(nope) FROM records":             "nope",
	} {
		vars, err := r.Vars(map[string]string{"metric": spec})
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Run(context.Background(), db, vars)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", spec, err, want)
		}
	}
}

// TestDigits: counts keep every digit, other numbers four significant
// ones of the largest.
func TestDigits(t *testing.T) {
	for _, tc := range []struct {
		x    []float64
		want int
		cell string
	}{
		{[]float64{3, 5, 4}, -1, "4 [3-5]"},
		{[]float64{962, 963}, -1, "962.5 [962-963]"},
		{[]float64{0.0008018, 0.000658, 0.001021}, 6, "0.000802 [0.000658-0.001021]"},
		{[]float64{12.5, 3.25}, 2, "7.88 [3.25-12.50]"},
		{[]float64{1234.5, 1000}, 0, "1117 [1000-1234]"},
		{[]float64{0, 0}, -1, "0 [0-0]"},
	} {
		if got := digits(tc.x); got != tc.want {
			t.Errorf("digits(%v) = %d, want %d", tc.x, got, tc.want)
		}
		if got := stats.Summarize(tc.x).MedianRange(digits(tc.x)); got != tc.cell {
			t.Errorf("%v: %q, want %q", tc.x, got, tc.cell)
		}
	}
}
