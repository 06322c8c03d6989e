package report

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/kdf-tools/kdf/query"
	"github.com/kdf-tools/kdf/query/plot"
	"github.com/kdf-tools/kdf/query/table"
)

// axisParam chooses what value coverage grows over in a figure.
var axisParam = Param{Name: "axis", Go: true, Default: "run",
	Check: func(text string) error {
		if _, ok := growthAxes[text]; !ok {
			return fmt.Errorf("%q: the growth figure's axis is run, round, time or exec", text)
		}
		return nil
	},
	Doc: "draw growth over `AXIS`: run (the run's place in its trial), round (the manifest's round), " +
		"time (since the trial's first run, by timestamp) or exec (cumulative exec_ns)"}

// growthAxis is one axis of the growth figure: a column of
// compare_growth, and what it is.
type growthAxis struct {
	column, label string
	seconds       bool // a time in seconds, drawn in the unit that suits it
	needs         string
}

var growthAxes = map[string]growthAxis{
	"run":   {column: "run", label: "run"},
	"round": {column: "round", label: "round", needs: "a round attribute (manifest field round)"},
	"time":  {column: "elapsed_s", label: "time since the trial's first run", seconds: true, needs: "a timestamp that reads as a time"},
	"exec":  {column: "exec_s", label: "execution time, cumulative", seconds: true, needs: "exec_ns (and so do all the runs before it)"},
}

// timeUnit picks the unit a span of seconds reads best in.
func timeUnit(seconds float64) (name string, per float64) {
	for _, u := range []struct {
		name string
		per  float64
	}{{"hours", 3600}, {"minutes", 60}, {"seconds", 1}, {"ms", 1e-3}} {
		if seconds >= 2*u.per {
			return u.name, u.per
		}
	}
	return "µs", 1e-6
}

// growthFigure draws value coverage growth: per group, the median over
// its trials with the band from the lowest to the highest trial, over
// the axis chosen, from the compare_growth table (the report's own, or
// one made with the same variables).
func growthFigure(ctx context.Context, db *query.DB, t *table.Table, vars query.Vars) (*plot.Figure, error) {
	if t.Index("new_values") < 0 {
		var err error
		if t, err = runWith(ctx, db, "compare_growth", vars); err != nil {
			return nil, err
		}
	}
	name, _ := vars["axis"].(string)
	axis, ok := growthAxes[name]
	if !ok {
		name, axis = "run", growthAxes["run"]
	}
	g, c, tr, x, cov := t.Index("group"), t.Index("campaign"), t.Index("trial"), t.Index(axis.column), t.Index("value_coverage")
	if g < 0 || c < 0 || tr < 0 || x < 0 || cov < 0 {
		return nil, fmt.Errorf("the compare_growth table lacks group, campaign, trial, %s or value_coverage", axis.column)
	}
	var arms []plot.Arm
	armAt, trialAt := map[string]int{}, map[string]int{}
	missing, largest := 0, 0.0
	for _, row := range t.Rows {
		xv, err := number(row[x])
		if err != nil {
			return nil, err
		}
		if xv == nil {
			missing++
			continue
		}
		label := groupLabel(row[g])
		a, ok := armAt[label]
		if !ok {
			a = len(arms)
			armAt[label] = a
			arms = append(arms, plot.Arm{Name: label})
		}
		trial := fmt.Sprint(label, "\x00", row[c], "\x00", row[tr])
		i, ok := trialAt[trial]
		if !ok {
			i = len(arms[a].Trials)
			trialAt[trial] = i
			arms[a].Trials = append(arms[a].Trials, plot.Curve{})
		}
		y, _ := row[cov].(int64)
		curve := &arms[a].Trials[i]
		if n := len(curve.X); n > 0 && xv.(float64) < curve.X[n-1] {
			return nil, fmt.Errorf("--axis %s: %s goes down from %v to %v within trial %v of %s %s: runs are ordered by timestamp",
				name, axis.column, curve.X[n-1], xv, row[tr], groupName(vars, "arm"), label)
		}
		curve.X = append(curve.X, xv.(float64))
		curve.Y = append(curve.Y, float64(y))
		largest = math.Max(largest, xv.(float64))
	}
	if missing > 0 {
		return nil, fmt.Errorf("--axis %s: %d of %d runs lack %s; --axis run draws growth over the runs", name, missing, len(t.Rows), axis.needs)
	}
	if len(arms) == 0 {
		return nil, errors.New("no runs: no growth to draw")
	}
	label := axis.label
	if axis.seconds {
		unit, per := timeUnit(largest)
		for a := range arms {
			for i := range arms[a].Trials {
				for j := range arms[a].Trials[i].X {
					arms[a].Trials[i].X[j] /= per
				}
			}
		}
		label += " (" + unit + ")"
	}
	by := groupName(vars, "arm")
	return plot.Growth(plot.Labels{Title: "value coverage growth, by " + by, X: label, Y: "distinct (function, argument, value)"}, plot.MinMax, arms...)
}
