package plot

import (
	"errors"
	"fmt"
	"slices"

	"gonum.org/v1/plot/plotter"
)

// Series is a named sample, such as the overhead ratios of one arm.
type Series struct {
	Name   string
	Values []float64
}

// maxCDFSteps caps the steps drawn per series: a figure cannot show
// more, and a million-point SVG is useless in a paper.
const maxCDFSteps = 2000

// CDF draws the empirical cumulative distribution of each series as a
// step line: at x, the fraction of the series' values that are <= x.
// A series of more than 2000 values is drawn through 2000 of its order
// statistics, evenly spaced in rank, which is exact to the figure's
// resolution. The Y label defaults to "fraction".
func CDF(l Labels, series ...Series) (*Figure, error) {
	if len(series) == 0 {
		return nil, errors.New("cdf: no series")
	}
	if l.Y == "" {
		l.Y = "fraction"
	}
	f := newFigure(l)
	p := f.plot
	p.Add(plotter.NewGrid())
	for i, s := range series {
		if len(s.Values) == 0 {
			return nil, fmt.Errorf("cdf: series %q has no values", s.Name)
		}
		if err := checkFinite(fmt.Sprintf("cdf: series %q", s.Name), s.Values); err != nil {
			return nil, err
		}
		line, err := plotter.NewLine(ecdf(s.Values))
		if err != nil {
			return nil, fmt.Errorf("cdf: series %q: %w", s.Name, err)
		}
		line.StepStyle = plotter.PostStep
		line.LineStyle = lineStyle(i)
		p.Add(line)
		p.Legend.Add(s.Name, line)
	}
	p.Y.Min, p.Y.Max = 0, 1
	// A CDF rises from lower left to upper right; lower right is free.
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.XOffs, p.Legend.YOffs = -legendInset, legendInset
	return f, nil
}

// ecdf returns the corners of the step function: (x_(1), 0), then
// (x_(i), i/n) for the kept ranks i.
func ecdf(values []float64) plotter.XYs {
	s := slices.Clone(values)
	slices.Sort(s)
	n := len(s)
	steps := min(n, maxCDFSteps)
	xys := make(plotter.XYs, 0, steps+1)
	xys = append(xys, plotter.XY{X: s[0], Y: 0})
	for j := range steps {
		i := n // rank of the j-th kept order statistic, 1-based
		if steps > 1 {
			i = 1 + j*(n-1)/(steps-1)
		}
		xys = append(xys, plotter.XY{X: s[i-1], Y: float64(i) / float64(n)})
	}
	return xys
}
