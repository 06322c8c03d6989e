package plot

import (
	"errors"
	"fmt"
	"slices"

	"github.com/kdf-tools/kdf/query/stats"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"
)

// Curve is one trial's growth: after the run at X[i] (a run index in
// campaign order, or a time), Y[i] distinct values had been seen. X
// must not decrease.
type Curve struct {
	X, Y []float64
}

// Arm is the trials of one fuzzer configuration.
type Arm struct {
	Name   string
	Trials []Curve
}

// Band selects the shading drawn around an arm's median line.
type Band int

const (
	NoBand Band = iota
	MinMax      // from the lowest to the highest trial
	IQR         // from the 25th to the 75th percentile of the trials
)

// maxGrowthPoints caps the points per arm, as maxCDFSteps does.
const maxGrowthPoints = 1000

// Growth draws coverage growth: per arm, the median over its trials
// with an optional shaded band, or the single curve of a one-trial
// arm. Trials are compared at the union of their X values (thinned to
// 1000 points); a trial's value at x is its Y at the last X <= x, 0
// before its first run, and a trial that ended before x is left out
// there, so the median of trials of unequal length never extends a
// short trial's last value.
func Growth(l Labels, band Band, arms ...Arm) (*Figure, error) {
	if len(arms) == 0 {
		return nil, errors.New("growth: no arms")
	}
	f := newFigure(l)
	p := f.plot
	p.Add(plotter.NewGrid())
	for i, arm := range arms {
		if err := checkArm(arm); err != nil {
			return nil, err
		}
		med, lo, hi := summarizeTrials(arm.Trials, band)
		line, err := plotter.NewLine(med)
		if err != nil {
			return nil, fmt.Errorf("growth: arm %q: %w", arm.Name, err)
		}
		line.LineStyle = lineStyle(i)
		thumbs := []gplot.Thumbnailer{line}
		if band != NoBand && len(arm.Trials) > 1 {
			poly, err := bandPolygon(lo, hi, i)
			if err != nil {
				return nil, fmt.Errorf("growth: arm %q: %w", arm.Name, err)
			}
			p.Add(poly)
			thumbs = append([]gplot.Thumbnailer{poly}, thumbs...)
		}
		p.Add(line)
		p.Legend.Add(arm.Name, thumbs...)
	}
	p.Y.Min = 0
	p.Y.Tick.Marker = siTicks{}
	// Growth saturates, so the upper left is the emptiest corner.
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = legendInset, -legendInset
	return f, nil
}

func checkArm(arm Arm) error {
	if len(arm.Trials) == 0 {
		return fmt.Errorf("growth: arm %q has no trials", arm.Name)
	}
	for t, c := range arm.Trials {
		what := fmt.Sprintf("growth: arm %q trial %d", arm.Name, t)
		switch {
		case len(c.X) == 0:
			return fmt.Errorf("%s has no points", what)
		case len(c.X) != len(c.Y):
			return fmt.Errorf("%s has %d X and %d Y values", what, len(c.X), len(c.Y))
		case !slices.IsSorted(c.X):
			return fmt.Errorf("%s: X decreases", what)
		}
		if err := checkFinite(what+" X", c.X); err != nil {
			return err
		}
		if err := checkFinite(what+" Y", c.Y); err != nil {
			return err
		}
	}
	return nil
}

// summarizeTrials evaluates the trials on a common grid and returns the
// median and the band's lower and upper edges there.
func summarizeTrials(trials []Curve, band Band) (med, lo, hi plotter.XYs) {
	var vals []float64
	for _, x := range grid(trials) {
		vals = vals[:0]
		for _, c := range trials {
			if x <= c.X[len(c.X)-1] {
				vals = append(vals, valueAt(c, x))
			}
		}
		slices.Sort(vals)
		med = append(med, plotter.XY{X: x, Y: stats.QuantileSorted(vals, 0.5)})
		loQ, hiQ := 0.0, 1.0
		if band == IQR {
			loQ, hiQ = 0.25, 0.75
		}
		lo = append(lo, plotter.XY{X: x, Y: stats.QuantileSorted(vals, loQ)})
		hi = append(hi, plotter.XY{X: x, Y: stats.QuantileSorted(vals, hiQ)})
	}
	return med, lo, hi
}

// grid returns the sorted distinct X values of all trials, thinned
// evenly to maxGrowthPoints while keeping the first and last.
func grid(trials []Curve) []float64 {
	var xs []float64
	for _, c := range trials {
		xs = append(xs, c.X...)
	}
	slices.Sort(xs)
	xs = slices.Compact(xs)
	if len(xs) <= maxGrowthPoints {
		return xs
	}
	thin := make([]float64, maxGrowthPoints)
	for j := range thin {
		thin[j] = xs[j*(len(xs)-1)/(maxGrowthPoints-1)]
	}
	return thin
}

// valueAt is the step function of c at x: Y at the last X <= x.
func valueAt(c Curve, x float64) float64 {
	i, found := slices.BinarySearch(c.X, x)
	if found {
		for i+1 < len(c.X) && c.X[i+1] == x { // equal X: the last one counts
			i++
		}
		return c.Y[i]
	}
	if i == 0 {
		return 0 // before the trial's first run
	}
	return c.Y[i-1]
}

// bandPolygon shades between lo and hi in a light tint of colour i.
func bandPolygon(lo, hi plotter.XYs, i int) (*plotter.Polygon, error) {
	ring := slices.Clone(hi)
	for j := len(lo) - 1; j >= 0; j-- {
		ring = append(ring, lo[j])
	}
	poly, err := plotter.NewPolygon(ring)
	if err != nil {
		return nil, err
	}
	c := colorOf(i)
	c.A = 0x40
	poly.Color = c
	poly.LineStyle = draw.LineStyle{} // no outline
	return poly, nil
}
