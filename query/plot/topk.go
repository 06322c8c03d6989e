package plot

import (
	"errors"
	"fmt"
	"strconv"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Item is one bar of a top-K chart, such as a function and the records
// it cost.
type Item struct {
	Name  string
	Value float64
}

// maxNameLen keeps long kernel symbol names from eating the chart.
const maxNameLen = 40

// TopK draws items as horizontal bars, the first at the top, each
// labelled with its share of total: pass the total over all items, not
// only the K shown, or 0 to use the sum of the items. Names longer than
// 40 characters are cut with "...". The figure grows taller with more
// than about 12 items.
func TopK(l Labels, items []Item, total float64) (*Figure, error) {
	if len(items) == 0 {
		return nil, errors.New("top-k: no items")
	}
	values := make([]float64, len(items))
	for i, it := range items {
		values[i] = it.Value
	}
	if err := checkFinite("top-k", values); err != nil {
		return nil, err
	}
	var sum float64
	for i, v := range values {
		if v < 0 {
			return nil, fmt.Errorf("top-k: item %q has negative value %v", items[i].Name, v)
		}
		sum += v
	}
	if total <= 0 {
		total = sum
	}
	f := newFigure(l)
	f.Height = max(DefaultHeight, 1.2+0.2*float64(len(items)))
	p := f.plot
	// Position 0 is the bottom of a nominal Y axis: the first item
	// goes last.
	n := len(items)
	rev := make([]float64, n)
	names := make([]string, n)
	shares := plotter.XYLabels{XYs: make(plotter.XYs, n), Labels: make([]string, n)}
	for i, it := range items {
		j := n - 1 - i
		rev[j], names[j] = it.Value, shortName(it.Name)
		shares.XYs[j] = plotter.XY{X: it.Value, Y: float64(j)}
		shares.Labels[j] = shareText(it.Value, total)
	}
	labels, err := plotter.NewLabels(shares)
	if err != nil {
		return nil, fmt.Errorf("top-k: %w", err)
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].YAlign = draw.YCenter
		labels.TextStyle[i].Font.Size = vg.Points(9)
	}
	labels.Offset = vg.Point{X: vg.Points(3)}
	grid := plotter.NewGrid()
	grid.Horizontal.Color = nil // items are nominal; only values get lines
	p.Add(grid, &bars{values: rev, horizontal: true, color: colorOf(0)}, labels)
	p.NominalY(names...)
	p.X.Min = 0
	if m := maxOf(values); m > 0 {
		p.X.Max = 1.25 * m // room for the share labels
	}
	p.X.Tick.Marker = siTicks{}
	return f, nil
}

// shareText formats v as a percentage of total.
func shareText(v, total float64) string {
	switch share := 100 * v / total; {
	case total <= 0:
		return "n/a"
	case share > 0 && share < 0.05: // would print as 0.0%
		return "<0.1%"
	default:
		return strconv.FormatFloat(share, 'f', 1, 64) + "%"
	}
}

func shortName(s string) string {
	r := []rune(s)
	if len(r) <= maxNameLen {
		return s
	}
	return string(r[:maxNameLen-3]) + "..."
}

func maxOf(x []float64) float64 {
	var m float64
	for _, v := range x {
		m = max(m, v)
	}
	return m
}
