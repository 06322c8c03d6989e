package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/kdf-tools/kdf/query"
	"github.com/kdf-tools/kdf/query/plot"
	"github.com/kdf-tools/kdf/query/stats"
	"github.com/kdf-tools/kdf/query/table"
)

// metricParam adds metrics to compare, or chooses among the built-in
// ones (see Metric).
var metricParam = Param{Name: "metric", Type: Strings, Go: true,
	Check: func(text string) error { _, err := ParseMetric(text); return err },
	Doc: "compare `NAME=SQL` per trial: an aggregate over the trial's runs, or FROM records, calls, args, arg_fields or rets, " +
		"WHERE narrows them (distinct_pcs='count(DISTINCT pc) FROM records'); a built-in by NAME alone: value_coverage, functions, records, runs"}

// metricsOf returns the metrics the variables ask for: those of
// --metric in order, or the first three built-in ones.
func metricsOf(vars query.Vars) []Metric {
	specs, _ := vars["metric"].([]string)
	if len(specs) == 0 {
		specs = builtinMetrics[:3]
	}
	var out []Metric
	for _, s := range specs {
		m, err := ParseMetric(s)
		if err != nil {
			panic(err) // Vars checked every one
		}
		if !slices.ContainsFunc(out, func(o Metric) bool { return o.Name == m.Name }) {
			out = append(out, m)
		}
	}
	return out
}

// hasMetrics: compare_trials is its SQL alone without --metric.
func hasMetrics(vars query.Vars) bool {
	specs, _ := vars["metric"].([]string)
	return slices.ContainsFunc(specs, func(s string) bool { return strings.Contains(s, "=") })
}

// compareTrials is compare_trials: compare.sql's table with a column
// per metric defined with --metric.
func compareTrials(ctx context.Context, db *query.DB, t *table.Table, vars query.Vars) (*table.Table, error) {
	if err := addMetrics(ctx, db, t, metricsOf(vars), vars); err != nil {
		return nil, err
	}
	return t, nil
}

// trialGroup is one group's trials: its per-trial value of each metric.
type trialGroup struct {
	value    any // the group's value (nil: runs without the attribute)
	baseline bool
	metrics  map[string][]float64
}

// compareSummary turns the per-trial table into compare's: per metric
// and group, median [min-max] across trials and, for every group but
// the baseline, the two-sided Mann-Whitney U p-value and the Vargha-
// Delaney A12 of the group's trials over the baseline's. The baseline
// comes first in each metric's rows, the others follow by name. A
// trial where a metric is NULL is left out of that metric's numbers
// (trials says how many count).
func compareSummary(ctx context.Context, db *query.DB, t *table.Table, vars query.Vars) (*table.Table, error) {
	metrics := metricsOf(vars)
	if err := addMetrics(ctx, db, t, metrics, vars); err != nil {
		return nil, err
	}
	groups, err := trialGroups(t, metrics)
	if err != nil {
		return nil, err
	}
	by := groupName(vars, "arm")
	out := table.New(
		table.Column{Name: "metric", Kind: table.KindString, Type: "VARCHAR"},
		table.Column{Name: by, Kind: table.KindString, Type: "VARCHAR"},
		table.Column{Name: "trials", Kind: table.KindInt, Type: "BIGINT"},
		table.Column{Name: "median [min-max]", Kind: table.KindString, Type: "VARCHAR"},
		table.Column{Name: "p", Kind: table.KindFloat, Type: "DOUBLE"},
		table.Column{Name: "a12", Kind: table.KindFloat, Type: "DOUBLE"},
		table.Column{Name: "effect", Kind: table.KindString, Type: "VARCHAR"},
	)
	if len(groups) == 0 {
		return out, nil
	}
	base := groups[0]
	if !base.baseline {
		var names []string
		for _, g := range groups {
			names = append(names, groupLabel(g.value))
		}
		return nil, fmt.Errorf("no %s %v to compare with: the %ss are %s", by, vars["baseline"], by, strings.Join(names, ", "))
	}
	for _, m := range metrics {
		for _, g := range groups {
			x := g.metrics[m.Name]
			row := []any{m.Name, g.value, int64(len(x)), stats.Summarize(x).MedianRange(digits(x)), nil, nil, "baseline"}
			if len(x) == 0 {
				row[3] = nil
			}
			if g != base {
				u := stats.MannWhitney(x, base.metrics[m.Name])
				row[4], row[5], row[6] = nullNaN(u.P), nullNaN(u.A12), u.Magnitude().String()
				if len(x) == 0 || len(base.metrics[m.Name]) == 0 {
					row[6] = nil
				}
			}
			out.Rows = append(out.Rows, row)
		}
	}
	return out, nil
}

// digits is the precision of a median [min-max] cell: every digit of
// counts (-1), four significant ones of the largest value otherwise.
func digits(x []float64) int {
	largest := 0.0
	whole := true
	for _, v := range x {
		whole = whole && v == math.Trunc(v)
		largest = max(largest, math.Abs(v))
	}
	if whole || largest == 0 {
		return -1
	}
	return max(0, 3-int(math.Floor(math.Log10(largest))))
}

// trialGroups reads the per-trial table into groups, the baseline first
// and the others in the table's order, with each metric's values of
// the trials where it is not NULL.
func trialGroups(t *table.Table, metrics []Metric) ([]*trialGroup, error) {
	g, b := t.Index("group"), t.Index("baseline")
	if g < 0 || b < 0 {
		return nil, errors.New("the compare query lacks group or baseline")
	}
	cols := make([]int, len(metrics))
	for i, m := range metrics {
		if cols[i] = t.Index(m.Name); cols[i] < 0 {
			return nil, fmt.Errorf("the per-trial table has no metric %s", m.Name)
		}
	}
	var groups []*trialGroup
	byKey := map[string]*trialGroup{}
	for _, row := range t.Rows {
		key := "\x00"
		if row[g] != nil {
			key = fmt.Sprint(row[g])
		}
		tg := byKey[key]
		if tg == nil {
			base, _ := row[b].(bool)
			tg = &trialGroup{value: row[g], baseline: base, metrics: map[string][]float64{}}
			byKey[key] = tg
			if base {
				groups = append([]*trialGroup{tg}, groups...)
			} else {
				groups = append(groups, tg)
			}
		}
		for i, m := range metrics {
			v, err := number(row[cols[i]])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", m.Name, err)
			}
			if v != nil {
				tg.metrics[m.Name] = append(tg.metrics[m.Name], v.(float64))
			}
		}
	}
	return groups, nil
}

// compareFigure draws, with --metric, each metric's trials per group
// (trialsFigure); without, value coverage growth (growthFigure).
func compareFigure(ctx context.Context, db *query.DB, t *table.Table, vars query.Vars) (*plot.Figure, error) {
	if specs, _ := vars["metric"].([]string); len(specs) > 0 {
		return trialsFigure(ctx, db, vars)
	}
	return growthFigure(ctx, db, t, vars)
}

// trialsFigure draws a panel per metric: each group's trials, with
// their median and range, from the compare_trials table made with the
// same variables.
func trialsFigure(ctx context.Context, db *query.DB, vars query.Vars) (*plot.Figure, error) {
	t, err := runWith(ctx, db, "compare_trials", vars)
	if err != nil {
		return nil, err
	}
	metrics := metricsOf(vars)
	groups, err := trialGroups(t, metrics)
	if err != nil {
		return nil, err
	}
	if len(groups) == 0 {
		return nil, errors.New("no runs: no trials to draw")
	}
	slices.SortStableFunc(groups, func(a, b *trialGroup) int { return strings.Compare(groupLabel(a.value), groupLabel(b.value)) })
	var panels []plot.Panel
	for _, m := range metrics {
		pn := plot.Panel{Title: m.Name}
		for _, g := range groups {
			pn.Groups = append(pn.Groups, plot.Series{Name: groupLabel(g.value), Values: g.metrics[m.Name]})
		}
		panels = append(panels, pn)
	}
	return plot.Trials("trials by "+groupName(vars, "arm"), panels...)
}
