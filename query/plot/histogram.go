package plot

import (
	"errors"
	"math"
	"strconv"

	"github.com/kdf-tools/kdf/query/stats"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Log2Histogram draws the distribution of values over power-of-two
// buckets: counts[k] is the number of values in stats.Log2Bucket k,
// that is 0 for k = 0 and [2^(k-1), 2^k) otherwise (stats.Log2Histogram
// builds counts from raw values). Empty buckets before the first and
// after the last non-empty one are left out.
//
// A bar is labelled with its range, "0", "1", "2-3", ... "512-1023",
// and from 2^10 on with its lower bound, "2^10", so that labels stay
// short. Labels turn 45 degrees when there are more than 12 bars.
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
	names := make([]string, 0, last-first+1)
	for k := first; k <= last; k++ {
		values = append(values, float64(counts[k]))
		names = append(names, bucketLabel(k))
	}
	f := newFigure(l)
	p := f.plot
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil // bars are nominal; only values get lines
	p.Add(grid, &bars{values: values, color: colorOf(0)})
	p.NominalX(names...)
	p.Y.Tick.Marker = siTicks{}
	if len(names) > 12 {
		p.X.Tick.Label.Rotation = math.Pi / 4
		p.X.Tick.Label.XAlign = draw.XRight // the label ends under its bar
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	p.X.Padding = vg.Points(2)
	return f, nil
}

// bucketLabel names stats.Log2Bucket k for an axis.
func bucketLabel(k int) string {
	lo, hi := stats.Log2BucketBounds(k)
	switch {
	case k <= 1:
		return strconv.FormatUint(lo, 10)
	case k <= 10:
		return strconv.FormatUint(lo, 10) + "-" + strconv.FormatUint(hi, 10)
	}
	return "2^" + strconv.Itoa(k-1)
}
