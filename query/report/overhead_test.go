package report

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/internal/golden"
	"github.com/kdf-tools/kdf/internal/synth"
	"github.com/kdf-tools/kdf/query"
	"github.com/kdf-tools/kdf/query/plot"
	"github.com/kdf-tools/kdf/query/stats"
	"github.com/kdf-tools/kdf/query/table"
)

// armsCampaign is the default campaign's 3 arms x 2 trials x 2 boots
// with 6 programs a boot: 72 runs, timed, with buffers that overflow.
func armsCampaign() synth.Config {
	cfg := synth.DefaultConfig()
	cfg.Programs = 6
	return cfg
}

// handTimes are the times the timed campaign's manifests are given:
// per arm, (exec_ns, baseline_ns) of trial 1's programs 1 and 2, then
// trial 2's. Arm a's ratios are 1.1, 1.2, 1.3 and 1.5, b's 1.05, 1.05,
// 1.25 and 2.
var handTimes = map[string][][2]int64{
	"a": {{1_100_000, 1_000_000}, {1_200_000, 1_000_000}, {1_300_000, 1_000_000}, {1_500_000, 1_000_000}},
	"b": {{2_100_000, 2_000_000}, {2_100_000, 2_000_000}, {2_500_000, 2_000_000}, {4_000_000, 2_000_000}},
}

// timedSources writes a campaign of 2 arms x 2 trials x 1 boot x 2
// programs and rewrites its manifests with handTimes, and with more.
func timedSources(t testing.TB, more ...func(arm string, trial, i int, m map[string]any)) string {
	t.Helper()
	return handSources(t, func(arm string, trial, i int, m map[string]any) {
		tt := handTimes[arm][(trial-1)*2+i]
		m["exec_ns"], m["baseline_ns"] = tt[0], tt[1]
		for _, f := range more {
			f(arm, trial, i, m)
		}
	})
}

// handSources writes a campaign of arms a and b x 2 trials x 1 boot x 2
// programs, whose manifests edit rewrites.
func handSources(t testing.TB, edit func(arm string, trial, i int, m map[string]any)) string {
	t.Helper()
	cfg := synth.DefaultConfig()
	cfg.Arms, cfg.Trials, cfg.Boots, cfg.Programs = []string{"a", "b"}, 2, 1, 2
	dir := genSources(t, cfg)
	rewriteManifests(t, dir, edit)
	return dir
}

// rewriteManifests changes the manifest line of every program of a
// generated campaign's boot 1: edit gets its arm, trial, index in the
// boot (from 0) and fields.
func rewriteManifests(t testing.TB, dir string, edit func(arm string, trial, i int, m map[string]any)) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "arm=*", "trial=*", "boot=1", "manifest.jsonl"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no manifests in %s: %v", dir, err)
	}
	for _, path := range paths {
		rel, _ := filepath.Rel(dir, path)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		arm := strings.TrimPrefix(parts[0], "arm=")
		trial, err := strconv.Atoi(strings.TrimPrefix(parts[1], "trial="))
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for i := 0; sc.Scan(); i++ {
			var m map[string]any
			dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
			dec.UseNumber()
			if err := dec.Decode(&m); err != nil {
				t.Fatal(err)
			}
			edit(arm, trial, i, m)
			line, _ := json.Marshal(m)
			out.Write(append(line, '\n'))
		}
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOverheadKnown: over runs with hand-made times, the overhead
// summaries are the numbers worked out by hand, and exactly what
// package stats computes from the ratios.
func TestOverheadKnown(t *testing.T) {
	db := openDataset(t, "hand", timedSources(t))
	tab := run(t, db, "overhead", map[string]string{"group_by": "arm"})
	checkPaper(t, "overhead", "overhead", tab)
	records := map[string][]float64{} // per arm, in path order
	rows, err := db.Query(context.Background(), "SELECT arm, records FROM runs ORDER BY arm, path", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows.Rows {
		records[r[0].(string)] = append(records[r[0].(string)], float64(r[1].(int64)))
	}
	want := map[string]struct{ median, geomean, p90, extra float64 }{
		"a": {0.25, math.Pow(1.1*1.2*1.3*1.5, 0.25) - 1, 0.44, 250_000},
		"b": {0.15, math.Pow(1.05*1.05*1.25*2, 0.25) - 1, 0.775, 300_000},
	}
	if len(tab.Rows) != 2 || tab.Index("arm") != 0 {
		t.Fatalf("want arms a and b in a column arm:\n%s", tab)
	}
	for _, r := range tab.Rows {
		col := func(name string) any { return r[tab.Index(name)] }
		arm := col("arm").(string)
		var ratios, extra, perRecord []float64
		for i, tt := range handTimes[arm] {
			ratios = append(ratios, float64(tt[0])/float64(tt[1]))
			extra = append(extra, float64(tt[0]-tt[1]))
			perRecord = append(perRecord, float64(tt[0]-tt[1])/records[arm][i])
		}
		ci := stats.Bootstrap{}.MedianCI(ratios)
		exact := map[string]float64{
			"overhead_median": stats.Median(ratios) - 1, "overhead_geomean": stats.GeoMean(ratios) - 1,
			"overhead_p90": stats.Quantile(ratios, 0.9) - 1, "overhead_lo": ci.Lo - 1, "overhead_hi": ci.Hi - 1,
			"extra_ns": stats.Median(extra), "ns_per_record": stats.Median(perRecord),
		}
		for name, w := range exact {
			if g := col(name); g != w {
				t.Errorf("%s %s: %v, package stats: %v", arm, name, g, w)
			}
		}
		w := want[arm]
		for name, v := range map[string]float64{"overhead_median": w.median, "overhead_geomean": w.geomean, "overhead_p90": w.p90, "extra_ns": w.extra} {
			if g := col(name).(float64); math.Abs(g-v) > 1e-12 {
				t.Errorf("%s %s: %v, by hand %v", arm, name, g, v)
			}
		}
		if lo, hi, m := col("overhead_lo").(float64), col("overhead_hi").(float64), col("overhead_median").(float64); !(lo <= m && m <= hi && lo >= ratios[0]-1-1e-12) {
			t.Errorf("%s: interval [%v, %v] around %v", arm, lo, hi, m)
		}
		if col("runs") != int64(4) || col("timed") != int64(4) {
			t.Errorf("%s: %v runs, %v timed, want 4 and 4", arm, col("runs"), col("timed"))
		}
	}
	// The cost per callback scales the estimate, and nothing else.
	cheap := run(t, db, "overhead", map[string]string{"group_by": "arm", "cost_ns": "10"})
	for i, r := range cheap.Rows {
		if got, want := r[cheap.Index("callback_ns")], float64(r[cheap.Index("records")].(int64))*10; got != want {
			t.Errorf("--cost-ns 10: %v ns, want %v", got, want)
		}
		if a, b := fmt.Sprint(r[cheap.Index("overhead_median")]), fmt.Sprint(tab.Rows[i][tab.Index("overhead_median")]); a != b {
			t.Errorf("--cost-ns changed the overhead: %s, %s", a, b)
		}
	}
	// The figure's overhead is in percent, as the tables': arm b's
	// runs reach 100%, and the axis is labelled in percent.
	r, _ := Lookup("overhead")
	fig, err := r.Plot(context.Background(), db, tab, map[string]any{"group_by": "arm"})
	if err != nil {
		t.Fatal(err)
	}
	var svg bytes.Buffer
	if err := fig.Write(&svg, plot.SVG); err != nil {
		t.Fatal(err)
	}
	desc := svg.String()[strings.Index(svg.String(), "<desc>"):strings.Index(svg.String(), "</desc>")]
	if !strings.Contains(desc, "\n100\n") || !strings.Contains(desc, "overhead (%)") {
		t.Errorf("the overhead CDF is not in percent: %s", desc)
	}
	// Per run: the ratio minus one, in the order of the times.
	runs := run(t, db, "overhead_runs", map[string]string{"group_by": "arm"})
	golden.Check(t, filepath.Join("testdata", "known", "overhead_runs.table"), render(t, runs, table.Text))
	for i, r := range runs.Rows {
		arm := r[runs.Index("group")].(string)
		tt := handTimes[arm][i%4]
		if got, want := r[runs.Index("overhead")], float64(tt[0])/float64(tt[1])-1; got != want {
			t.Errorf("run %d of %s: overhead %v, want %v", i%4, arm, got, want)
		}
	}
}

// runRow is what the overhead reports read of one run.
type runRow struct {
	group              any
	records, words     int64
	fill               any
	saturated, torn    bool
	exec, baseline     any
	campaign, path, ts string
	runID              int64
	trial              any
	timestamp          any
}

func runRows(t testing.TB, db *query.DB, by string) []runRow {
	t.Helper()
	attr := "attrs['" + by + "']"
	if by == "campaign" {
		attr = "campaign"
	}
	tab, err := db.Query(context.Background(), "SELECT "+attr+", records, words, fill, saturated, torn, exec_ns, baseline_ns, campaign, path, run_id, trial, timestamp FROM runs", nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []runRow
	for _, r := range tab.Rows {
		out = append(out, runRow{group: r[0], records: r[1].(int64), words: r[2].(int64), fill: r[3], saturated: r[4].(bool), torn: r[5].(bool),
			exec: r[6], baseline: r[7], campaign: r[8].(string), path: r[9].(string), runID: r[10].(int64), trial: r[11], timestamp: r[12]})
	}
	return out
}

// TestOverheadAgainstGo recomputes the overhead report from the runs
// table in Go, with package stats, and checks every column of every
// group.
func TestOverheadAgainstGo(t *testing.T) {
	db := openDataset(t, "arms", genSources(t, armsCampaign()))
	for _, by := range []string{"arm", "campaign", "trial"} {
		want := map[string][]any{}
		var order []string
		groups := map[string][]runRow{}
		for _, r := range runRows(t, db, by) {
			k := fmt.Sprint(r.group)
			if groups[k] == nil {
				order = append(order, k)
			}
			groups[k] = append(groups[k], r)
		}
		for _, k := range order {
			var records, words, saturated, torn, timed int64
			var fills, ratios, extra, perRecord []float64
			for _, r := range groups[k] {
				records += r.records
				if r.words >= 0 {
					words += r.words
				}
				if f, ok := r.fill.(float64); ok {
					fills = append(fills, f)
				}
				saturated += b2i(r.saturated)
				torn += b2i(r.torn)
				e, eok := r.exec.(int64)
				b, bok := r.baseline.(int64)
				if eok && bok && b > 0 {
					timed++
					ratios = append(ratios, float64(e)/float64(b))
					extra = append(extra, float64(e-b))
					if r.records > 0 {
						perRecord = append(perRecord, float64(e-b)/float64(r.records))
					}
				}
			}
			slices.Sort(ratios)
			s := summarizeOverhead(ratios, extra, perRecord)
			want[k] = []any{int64(len(groups[k])), records, words, words * 8, nullNaN(stats.Median(fills)), nullNaN(stats.Max(fills)),
				saturated, torn, float64(records) * 27, timed, nullNaN(s.median), nullNaN(s.ci.Lo), nullNaN(s.ci.Hi), nullNaN(s.geomean),
				nullNaN(s.p90), nullNaN(s.extraNS), nullNaN(s.nsPerRecord)}
		}
		got := run(t, db, "overhead", map[string]string{"group_by": by})
		if len(got.Rows) != len(want) || got.Columns[0].Name != by {
			t.Errorf("--by %s: %d groups in a column %s, Go finds %d", by, len(got.Rows), got.Columns[0].Name, len(want))
		}
		for _, r := range got.Rows {
			k := fmt.Sprint(r[0])
			if g, w := fmt.Sprint(r[1:]), fmt.Sprint(want[k]); g != w {
				t.Errorf("--by %s, %s:\n report %s\n     go %s", by, k, g, w)
			}
		}
	}
}

// TestOverheadFunctionsAgainstGo recomputes the functions table from
// the records and calls rows, by campaign and by arm: own records,
// calls, and the records of the calls that no call of the same function
// encloses, found by walking up the parents.
func TestOverheadFunctionsAgainstGo(t *testing.T) {
	db := openDataset(t, "arms", genSources(t, armsCampaign()))
	for _, by := range []string{"campaign", "arm"} {
		runs, err := db.Query(context.Background(), "SELECT run_id, CASE WHEN getvariable('by') = 'campaign' THEN campaign ELSE attrs[getvariable('by')] END FROM runs", query.Vars{"by": by})
		if err != nil {
			t.Fatal(err)
		}
		groupOf := map[int64]any{}
		for _, r := range runs.Rows {
			groupOf[r[0].(int64)] = r[1]
		}
		want := functionsByGo(t, db, groupOf)
		got := run(t, db, "overhead_functions", map[string]string{"top": "0", "group_by": by})
		if len(got.Rows) != len(want) {
			t.Fatalf("--by %s: %d rows, Go finds %d", by, len(got.Rows), len(want))
		}
		for i, w := range want {
			if g := fmt.Sprint(got.Rows[i]); g != w {
				t.Errorf("--by %s, row %d:\n report %s\n     go %s", by, i+1, g, w)
			}
		}
		groups := map[any]bool{}
		for _, r := range got.Rows {
			if r[1] == int64(1) {
				groups[r[0]] = true
			}
		}
		if top := run(t, db, "overhead_functions", map[string]string{"group_by": by}); len(top.Rows) != 10*len(groups) {
			t.Errorf("--by %s: the default lists %d functions for %d groups, want 10 each", by, len(top.Rows), len(groups))
		}
	}
}

// functionsByGo returns the overhead_functions rows, all of them, of
// the runs grouped by groupOf (run_id to group), formatted for
// comparison.
func functionsByGo(t *testing.T, db *query.DB, groupOf map[int64]any) []string {
	type fn struct {
		group           any
		module          string
		name, demangled any
		records, calls  int64
		inCalls         int64
	}
	funcs := map[string]*fn{}
	key := func(group, module, name any) string { return fmt.Sprint(group, "\x00", module, "\x00", name) }
	recs, err := db.Query(context.Background(), "SELECT run_id, module, func, demangled FROM records", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs.Rows {
		g := groupOf[r[0].(int64)]
		k := key(g, r[1], r[2])
		if funcs[k] == nil {
			funcs[k] = &fn{group: g, module: r[1].(string), name: r[2], demangled: r[3]}
		}
		funcs[k].records++
	}
	calls, err := db.Query(context.Background(), "SELECT run_id, call_id, parent_id, module, func, records FROM calls", nil)
	if err != nil {
		t.Fatal(err)
	}
	type callKey struct{ run, id int64 }
	byID := map[callKey][]any{}
	for _, r := range calls.Rows {
		byID[callKey{r[0].(int64), r[1].(int64)}] = r
	}
	for _, r := range calls.Rows {
		run := r[0].(int64)
		k := key(groupOf[run], r[3], r[4])
		funcs[k].calls++
		nested := false
		for p := byID[callKey{run, r[2].(int64)}]; p != nil && !nested; p = byID[callKey{run, p[2].(int64)}] {
			nested = p[3] == r[3] && p[4] == r[4]
		}
		if !nested {
			funcs[k].inCalls += r[5].(int64)
		}
	}
	var list []*fn
	totals := map[any]int64{}
	for _, f := range funcs {
		list = append(list, f)
		totals[f.group] += f.records
	}
	nullsLast := func(a, b any) int {
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return 1
		case b == nil:
			return -1
		}
		return cmp.Compare(a.(string), b.(string))
	}
	slices.SortFunc(list, func(a, b *fn) int {
		return cmp.Or(nullsLast(a.group, b.group), cmp.Compare(b.records, a.records), cmp.Compare(a.module, b.module),
			nullsLast(a.demangled, b.demangled), nullsLast(a.name, b.name))
	})
	var out []string
	var rank, cum int64
	for i, f := range list {
		if i == 0 || f.group != list[i-1].group {
			rank, cum = 0, 0
		}
		rank++
		cum += f.records
		total := float64(totals[f.group])
		out = append(out, fmt.Sprint([]any{f.group, rank, f.module, f.demangled, f.calls, f.records, float64(f.records) / total,
			cum, float64(cum) / total, f.inCalls, float64(f.inCalls) / total}))
		if i == len(list)-1 || list[i+1].group != f.group {
			if cum != totals[f.group] {
				t.Fatalf("group %v: ranks add up to %d records of %d", f.group, cum, totals[f.group])
			}
		}
	}
	return out
}

// TestOverheadBestOfN: each trial's two runs are one program, run
// twice, and their times are totals of 2 executions (iters; the
// iterations kdf record writes divide nothing). Per run, the
// ratios are handTimes' and the extra time halves: arm a's 100k, 200k,
// 300k and 500k extra ns are 50k, 100k, 150k and 250k per iteration,
// median 125k. Per program, best of 2: a's first program runs in 1.1M
// and 1.2M ns against 1M twice, so its best is 1.1M / 1M, 10% and 50k
// ns an iteration; its second 1.3M / 1M, 30% and 150k: median 20% and
// 100k. b's are 2.1M / 2M (5%, 50k) and 2.5M / 2M (25%, 250k): median
// 15% and 150k.
func TestOverheadBestOfN(t *testing.T) {
	db := openDataset(t, "best", timedSources(t, func(arm string, trial, i int, m map[string]any) {
		m["program"], m["iters"] = fmt.Sprintf("p%d", trial), 2
		m["iterations"] = 9 // as kdf record writes it: its times are medians, one execution's
	}))
	col := func(tab *table.Table, row int, name string) any { return tab.Rows[row][tab.Index(name)] }
	for _, tc := range []struct {
		per           string
		timed         int64
		median, extra [2]float64 // arms a and b
	}{
		{"run", 4, [2]float64{0.25, 0.15}, [2]float64{125_000, 150_000}},
		{"program", 2, [2]float64{0.2, 0.15}, [2]float64{100_000, 150_000}},
	} {
		tab := run(t, db, "overhead", map[string]string{"group_by": "arm", "per": tc.per})
		for i := range 2 {
			if col(tab, i, "timed") != tc.timed || col(tab, i, "runs") != int64(4) {
				t.Errorf("--per %s, arm %v: %v timed of %v runs, want %d of 4", tc.per, col(tab, i, "arm"), col(tab, i, "timed"), col(tab, i, "runs"), tc.timed)
			}
			for name, want := range map[string]float64{"overhead_median": tc.median[i], "extra_ns": tc.extra[i]} {
				if got := col(tab, i, name).(float64); math.Abs(got-want) > 1e-9*math.Max(1, want) {
					t.Errorf("--per %s, arm %v: %s %v, by hand %v", tc.per, col(tab, i, "arm"), name, got, want)
				}
			}
		}
	}
	programs := run(t, db, "overhead_programs", map[string]string{"group_by": "arm"})
	golden.Check(t, filepath.Join("testdata", "known", "overhead_programs.table"), render(t, programs, table.Text))
	want := []string{"a 2 2 550000 500000 50000", "a 2 2 650000 500000 150000", "b 2 2 1.05e+06 1e+06 50000", "b 2 2 1.25e+06 1e+06 250000"}
	if len(programs.Rows) != len(want) {
		t.Fatalf("%d programs:\n%s", len(programs.Rows), programs)
	}
	for i, w := range want {
		g := fmt.Sprintf("%v %v %v %v %v %v", col(programs, i, "group"), col(programs, i, "runs"), col(programs, i, "timed"), col(programs, i, "exec_ns"),
			col(programs, i, "baseline_ns"), col(programs, i, "extra_ns"))
		if g != w {
			t.Errorf("program %d: %s, want %s", i, g, w)
		}
	}
	// Per run, the extra time is per iteration too.
	runs := run(t, db, "overhead_runs", map[string]string{"group_by": "arm"})
	for i := range runs.Rows {
		tt := handTimes[col(runs, i, "group").(string)][i%4]
		if got, want := col(runs, i, "extra_ns"), float64(tt[0]-tt[1])/2; got != want || col(runs, i, "iters") != 2.0 {
			t.Errorf("run %d: extra_ns %v over %v iters, want %v over 2", i, got, col(runs, i, "iters"), want)
		}
	}
	r, _ := Lookup("overhead")
	vars, _ := r.Vars(map[string]string{"group_by": "arm", "per": "program"})
	fig, err := r.Plot(context.Background(), db, run(t, db, "overhead", map[string]string{"group_by": "arm", "per": "program"}), vars)
	if err != nil {
		t.Fatal(err)
	}
	var svg bytes.Buffer
	if err := fig.Write(&svg, plot.SVG); err != nil {
		t.Fatal(err)
	}
	if text := svgText(t, svg.Bytes()); !strings.Contains(text, "overhead per program, best of N, by arm") {
		t.Errorf("--per program --plot:\n%s", text)
	}
	if _, err := r.Vars(map[string]string{"per": "boot"}); err == nil {
		t.Error("--per boot accepted")
	}
}

// TestItersOf: the macro reads iters, else 1, and not kdf record's
// iterations; a value that is no positive number gives no time per
// execution.
func TestItersOf(t *testing.T) {
	db := openDataset(t, "seed", seedSources(t, "eight_args_c"))
	got, err := db.Query(context.Background(), `SELECT iters_of(MAP {'iters': '10'}), iters_of(MAP {'iterations': '4'}),
       iters_of(MAP {'iterations': '3', 'iters': '4'}), iters_of(MAP {'arm': 'a'}),
       iters_of(MAP {'iters': '0'}), iters_of(MAP {'iters': 'many'})`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := fmt.Sprint(got.Rows[0]), "[10 1 4 1 <nil> <nil>]"; g != w {
		t.Errorf("iters_of: %s, want %s", g, w)
	}
}
