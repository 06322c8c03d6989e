package plot

import (
	"errors"
	"math"
	"strconv"

	"github.com/kdf-tools/kdf/query/stats"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Log2Histogram draws the distribution of values over power-of-two
// buckets: counts[k] is the number of values in stats.Log2Bucket k,
// that is 0 for k = 0 and [2^(k-1), 2^k) otherwise (stats.Log2Histogram
// builds counts from raw values). Empty buckets before the first and
// after the last non-empty one are left out.
//
// A bar is labelled with its lower bound, short: 0, 1, 2, 4, ... 512,
// 1Ki, 2Ki, ... 1Mi, ... 8Ei (binary prefixes). The labels are laid
// out for the width the figure is drawn at: level while they fit side
// by side, else turned 45 degrees, and then only every second, fourth,
// ... bar is labelled (those whose bucket is a multiple of that step)
// so that no two labels overlap.
func Log2Histogram(l Labels, counts []uint64) (*Figure, error) {
	first, last := -1, -1
	for k, c := range counts {
		if c > 0 {
			if first < 0 {
				first = k
			}
			last = k
		}
	}
	if first < 0 {
		return nil, errors.New("log2 histogram: no values")
	}
	if last > 64 {
		return nil, errors.New("log2 histogram: more than 65 buckets")
	}
	values := make([]float64, 0, last-first+1)
	for k := first; k <= last; k++ {
		values = append(values, float64(counts[k]))
	}
	f := newFigure(l)
	p := f.plot
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil // bars are nominal; only values get lines
	p.Add(grid, &bars{values: values, color: colorOf(0)})
	p.NominalX(bucketLabels(first, last, 1)...)
	p.Y.Tick.Marker = siTicks{}
	p.X.Padding = vg.Points(2)
	f.layout = func(width vg.Length) {
		step, rotate := labelStep(p.X.Tick.Label, first, last, plotWidth(width))
		p.X.Tick.Marker = nominalTicks(bucketLabels(first, last, step))
		p.X.Tick.Label.Rotation, p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = 0, draw.XCenter, draw.YTop
		if rotate {
			p.X.Tick.Label.Rotation = math.Pi / 4
			p.X.Tick.Label.XAlign = draw.XRight // the label ends under its bar
			p.X.Tick.Label.YAlign = draw.YCenter
		}
	}
	return f, nil
}

// plotWidth is about the width of the data area of a figure of the
// given width: less the margins and the Y axis with its labels.
func plotWidth(figure vg.Length) vg.Length { return figure - 2*margin - vg.Points(50) }

// labelStep says which bars to label so that labels in style sty do
// not overlap on an axis of the given width: every step-th bucket,
// level (rotate false) or turned 45 degrees. Level labels need their
// width and a gap between neighbours; turned ones, their height across
// the slant, that is spacing x sin 45 degrees.
func labelStep(sty text.Style, first, last int, width vg.Length) (step int, rotate bool) {
	bars := last - first + 1
	spacing := width / vg.Length(bars)
	var widest vg.Length
	for _, s := range bucketLabels(first, last, 1) {
		widest = max(widest, sty.Width(s))
	}
	if spacing >= widest+vg.Points(4) {
		return 1, false
	}
	height := sty.Height("0") * 1.2
	step = 1
	for vg.Length(step)*spacing*math.Sqrt2/2 < height && step < 64 {
		step *= 2
	}
	return step, true
}

// bucketLabels names buckets first to last, every step-th by its lower
// bound and the others not at all.
func bucketLabels(first, last, step int) []string {
	names := make([]string, 0, last-first+1)
	for k := first; k <= last; k++ {
		name := ""
		if k%step == 0 {
			name = bucketLabel(k)
		}
		names = append(names, name)
	}
	return names
}

// nominalTicks puts a tick at each bar, labelled or not.
func nominalTicks(names []string) gplot.Ticker {
	ticks := make(gplot.ConstantTicks, len(names))
	for i, n := range names {
		ticks[i] = gplot.Tick{Value: float64(i), Label: n}
	}
	return ticks
}

// bucketLabel names stats.Log2Bucket k for an axis by its lower bound:
// 0, 1, 2, 4 ... 512, then with binary prefixes, 1Ki ... 8Ei.
func bucketLabel(k int) string {
	lo, _ := stats.Log2BucketBounds(k)
	for _, p := range []string{"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"} {
		if lo < 1024 {
			return strconv.FormatUint(lo, 10) + p
		}
		lo >>= 10
	}
	return strconv.FormatUint(lo, 10) + "Ei"
}
