package report

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kdf-tools/kdf/query"
	"github.com/kdf-tools/kdf/query/plot"
	"github.com/kdf-tools/kdf/query/stats"
	"github.com/kdf-tools/kdf/query/table"
)

// compareMetrics are the per-trial columns compare summarizes, in the
// order of its rows.
var compareMetrics = []string{"value_coverage", "functions", "records"}

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
// comes first in each metric's rows, the others follow by name.
func compareSummary(_ context.Context, _ *query.DB, t *table.Table, vars query.Vars) (*table.Table, error) {
	groups, err := trialGroups(t)
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
	for _, m := range compareMetrics {
		for _, g := range groups {
			x := g.metrics[m]
			row := []any{m, g.value, int64(len(x)), stats.Summarize(x).MedianRange(-1), nil, nil, "baseline"}
			if g != base {
				u := stats.MannWhitney(x, base.metrics[m])
				row[4], row[5], row[6] = nullNaN(u.P), nullNaN(u.A12), u.Magnitude().String()
			}
			out.Rows = append(out.Rows, row)
		}
	}
	return out, nil
}

// trialGroups reads the per-trial table into groups, the baseline first
// and the others in the table's order.
func trialGroups(t *table.Table) ([]*trialGroup, error) {
	g, b := t.Index("group"), t.Index("baseline")
	cols := make([]int, len(compareMetrics))
	for i, m := range compareMetrics {
		cols[i] = t.Index(m)
	}
	if g < 0 || b < 0 || cols[0] < 0 || cols[1] < 0 || cols[2] < 0 {
		return nil, errors.New("the compare query lacks group, baseline or a metric")
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
		for i, m := range compareMetrics {
			n, ok := row[cols[i]].(int64)
			if !ok {
				return nil, fmt.Errorf("%s of a trial is %T, not an integer", m, row[cols[i]])
			}
			tg.metrics[m] = append(tg.metrics[m], float64(n))
		}
	}
	return groups, nil
}

// growthFigure draws value coverage growth: per group, the median over
// its trials with the band from the lowest to the highest trial, from
// the compare_growth table (the report's own, or one made with the
// same variables).
func growthFigure(ctx context.Context, db *query.DB, t *table.Table, vars query.Vars) (*plot.Figure, error) {
	if t.Index("new_values") < 0 {
		var err error
		if t, err = runWith(ctx, db, "compare_growth", vars); err != nil {
			return nil, err
		}
	}
	g, c, tr, run, cov := t.Index("group"), t.Index("campaign"), t.Index("trial"), t.Index("run"), t.Index("value_coverage")
	if g < 0 || c < 0 || tr < 0 || run < 0 || cov < 0 {
		return nil, errors.New("the compare_growth table lacks group, campaign, trial, run or value_coverage")
	}
	var arms []plot.Arm
	armAt, trialAt := map[string]int{}, map[string]int{}
	for _, row := range t.Rows {
		name := groupLabel(row[g])
		a, ok := armAt[name]
		if !ok {
			a = len(arms)
			armAt[name] = a
			arms = append(arms, plot.Arm{Name: name})
		}
		trial := fmt.Sprint(name, "\x00", row[c], "\x00", row[tr])
		i, ok := trialAt[trial]
		if !ok {
			i = len(arms[a].Trials)
			trialAt[trial] = i
			arms[a].Trials = append(arms[a].Trials, plot.Curve{})
		}
		x, _ := row[run].(int64)
		y, _ := row[cov].(int64)
		curve := &arms[a].Trials[i]
		curve.X = append(curve.X, float64(x))
		curve.Y = append(curve.Y, float64(y))
	}
	if len(arms) == 0 {
		return nil, errors.New("no runs: no growth to draw")
	}
	by := groupName(vars, "arm")
	return plot.Growth(plot.Labels{Title: "value coverage growth, by " + by, X: "run", Y: "distinct (function, argument, value)"}, plot.MinMax, arms...)
}
