package report

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/kdf-tools/kdf/query"
	"github.com/kdf-tools/kdf/query/plot"
	"github.com/kdf-tools/kdf/query/stats"
	"github.com/kdf-tools/kdf/query/table"
)

// overheadSummary finishes the overhead table: it names the group
// column after --by and replaces the per-run lists (ratios, extra_ns,
// ns_per_record) by their summaries from package stats.
func overheadSummary(_ context.Context, _ *query.DB, t *table.Table, vars query.Vars) (*table.Table, error) {
	lists := map[string]int{"ratios": -1, "extra_ns": -1, "ns_per_record": -1}
	for name := range lists {
		if lists[name] = t.Index(name); lists[name] < 0 {
			return nil, fmt.Errorf("the overhead query has no column %s", name)
		}
	}
	var keep []int
	out := &table.Table{}
	for i, c := range t.Columns {
		if _, ok := lists[c.Name]; ok {
			continue
		}
		if c.Name == "group" {
			c.Name = groupName(vars, "campaign")
		}
		keep = append(keep, i)
		out.Columns = append(out.Columns, c)
	}
	for _, name := range []string{"overhead_median", "overhead_lo", "overhead_hi", "overhead_geomean", "overhead_p90", "extra_ns", "ns_per_record"} {
		out.Columns = append(out.Columns, table.Column{Name: name, Kind: table.KindFloat, Type: "DOUBLE"})
	}
	for _, row := range t.Rows {
		ratios, err := floats(row[lists["ratios"]])
		if err != nil {
			return nil, fmt.Errorf("ratios: %w", err)
		}
		extra, err := floats(row[lists["extra_ns"]])
		if err != nil {
			return nil, fmt.Errorf("extra_ns: %w", err)
		}
		perRecord, err := floats(row[lists["ns_per_record"]])
		if err != nil {
			return nil, fmt.Errorf("ns_per_record: %w", err)
		}
		s := summarizeOverhead(ratios, extra, perRecord)
		r := make([]any, 0, len(out.Columns))
		for _, i := range keep {
			r = append(r, row[i])
		}
		for _, v := range []float64{s.median, s.ci.Lo, s.ci.Hi, s.geomean, s.p90, s.extraNS, s.nsPerRecord} {
			r = append(r, nullNaN(v))
		}
		out.Rows = append(out.Rows, r)
	}
	return out, nil
}

// overheadStats are one group's summaries of its timed runs.
type overheadStats struct {
	median, geomean, p90 float64 // of exec_ns / baseline_ns, minus 1
	ci                   stats.Interval
	extraNS, nsPerRecord float64 // medians
}

// summarizeOverhead computes the summaries from exec_ns / baseline_ns
// per run, exec_ns - baseline_ns and that per record. The ratios are
// summarized as ratios, then made overheads by subtracting 1.
func summarizeOverhead(ratios, extra, perRecord []float64) overheadStats {
	// The 95% interval from the exact bootstrap distribution: no
	// resampling error, the same interval on every run.
	ci := stats.Bootstrap{}.MedianCI(ratios)
	return overheadStats{
		median:      stats.Median(ratios) - 1,
		geomean:     stats.GeoMean(ratios) - 1,
		p90:         stats.Quantile(ratios, 0.9) - 1,
		ci:          stats.Interval{Lo: ci.Lo - 1, Hi: ci.Hi - 1},
		extraNS:     stats.Median(extra),
		nsPerRecord: stats.Median(perRecord),
	}
}

// overheadCDF draws the CDF of the per-run overhead of each group, from
// the overhead_runs table (the report's own, or one made with the same
// variables).
func overheadCDF(ctx context.Context, db *query.DB, t *table.Table, vars query.Vars) (*plot.Figure, error) {
	per := "run"
	if t.Index("overhead") < 0 {
		from := "overhead_runs"
		if vars["per"] == "program" {
			from, per = "overhead_programs", "program"
		}
		var err error
		if t, err = runWith(ctx, db, from, vars); err != nil {
			return nil, err
		}
	} else if t.Index("program_id") >= 0 {
		per = "program"
	}
	g, o := t.Index("group"), t.Index("overhead")
	if g < 0 || o < 0 {
		return nil, errors.New("the overhead_runs table has no group or overhead column")
	}
	var series []plot.Series
	at := map[string]int{}
	for _, row := range t.Rows {
		v, ok := row[o].(float64)
		if !ok {
			continue // not timed
		}
		name := groupLabel(row[g])
		i, seen := at[name]
		if !seen {
			i = len(series)
			at[name] = i
			series = append(series, plot.Series{Name: name})
		}
		series[i].Values = append(series[i].Values, 100*v) // percent, as the tables show it
	}
	if len(series) == 0 {
		return nil, errors.New("no run has both exec_ns and baseline_ns (with baseline_ns > 0): no overhead to draw")
	}
	by := groupName(vars, "campaign")
	if per == "program" {
		return plot.CDF(plot.Labels{Title: "overhead per program, best of N, by " + by, X: "overhead (%): fastest exec_ns / fastest baseline_ns - 1", Y: "fraction of programs"}, series...)
	}
	return plot.CDF(plot.Labels{Title: "overhead per run, by " + by, X: "overhead (%): exec_ns / baseline_ns - 1", Y: "fraction of runs"}, series...)
}

// functionsTopK draws the listed functions' records as bars with their
// shares of every record. With several groups, each bar is named with
// its group too.
func functionsTopK(_ context.Context, _ *query.DB, t *table.Table, vars query.Vars) (*plot.Figure, error) {
	g, f, m, n, s := t.Index("group"), t.Index("function"), t.Index("module"), t.Index("records"), t.Index("share")
	if g < 0 || f < 0 || m < 0 || n < 0 || s < 0 {
		return nil, errors.New("the overhead_functions table lacks group, function, module, records or share")
	}
	groups := map[string]float64{} // group -> its records, from a row's share
	for _, row := range t.Rows {
		records, _ := row[n].(int64)
		if share, ok := row[s].(float64); ok && share > 0 {
			groups[groupLabel(row[g])] = float64(records) / share
		}
	}
	var items []plot.Item
	total := 0.0
	for _, v := range groups {
		total += v
	}
	for _, row := range t.Rows {
		name := "(unresolved)"
		if fn, ok := row[f].(string); ok {
			name = fn
		}
		if mod, _ := row[m].(string); mod != "" {
			name = mod + ":" + name
		}
		if len(groups) > 1 {
			name = groupLabel(row[g]) + " " + name
		}
		records, _ := row[n].(int64)
		items = append(items, plot.Item{Name: name, Value: float64(records)})
	}
	title := "records per function"
	if len(groups) > 1 {
		title += ", by " + groupName(vars, "campaign")
	}
	return plot.TopK(plot.Labels{Title: title, X: "records"}, items, math.Round(total))
}

// lookup is Lookup, for the hooks that run other reports: the hooks
// are in the reports list, which Lookup reads.
var lookup func(string) (*Report, error)

func init() { lookup = Lookup }

// runWith runs another report with the variables of vars it declares.
func runWith(ctx context.Context, db *query.DB, name string, vars query.Vars) (*table.Table, error) {
	r, err := lookup(name)
	if err != nil {
		return nil, err
	}
	own, err := r.Vars(nil)
	if err != nil {
		return nil, err
	}
	for k := range own {
		if v, ok := vars[k]; ok {
			own[k] = v
		}
	}
	return r.Run(ctx, db, own)
}

// groupName is the name of the --by grouping: the group_by variable,
// or the report's default.
func groupName(vars query.Vars, def string) string {
	if s, ok := vars["group_by"].(string); ok && s != "" {
		return s
	}
	return def
}

// groupLabel is a group's name in a figure's legend.
func groupLabel(v any) string {
	if v == nil {
		return "(none)"
	}
	return fmt.Sprint(v)
}

// floats reads a list of numbers.
func floats(v any) ([]float64, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%T is not a list", v)
	}
	out := make([]float64, 0, len(list))
	for _, e := range list {
		switch e := e.(type) {
		case float64:
			out = append(out, e)
		case int64:
			out = append(out, float64(e))
		default:
			return nil, fmt.Errorf("list element %T is not a number", e)
		}
	}
	return out, nil
}

// nullNaN makes NaN, what package stats returns for no data, a NULL.
func nullNaN(v float64) any {
	if math.IsNaN(v) {
		return nil
	}
	return v
}
