package plot

import (
	"errors"
	"fmt"
	"slices"

	"github.com/kdf-tools/kdf/query/stats"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Panel is one metric's trials, per group: each Series holds one
// group's trial values.
type Panel struct {
	Title  string
	Groups []Series
}

// panelsPerRow is how many panels of Trials share a row: three fill a
// page's width, each wide enough for its groups' names.
const panelsPerRow = 3

// Trials draws panels, one per metric, three to a row: for each group
// a dot per trial (spread sideways when they would overlap), a bar at
// the median and a line from the lowest to the highest trial, the
// picture of a median [min-max] cell. A group without trials is left
// empty. The figure is as wide as a page (7 inches) with more than one
// panel, and 2.6 inches tall per row.
func Trials(title string, panels ...Panel) (*Figure, error) {
	if len(panels) == 0 {
		return nil, errors.New("trials: no panels")
	}
	cols := min(len(panels), panelsPerRow)
	rows := (len(panels) + cols - 1) / cols
	f := &Figure{title: title, Height: max(DefaultHeight, 2.6*float64(rows))}
	if cols > 1 {
		f.Width = 7
	}
	f.tiles = make([][]*gplot.Plot, rows)
	for r := range f.tiles {
		f.tiles[r] = make([]*gplot.Plot, cols) // nil: an empty tile
	}
	for i, pn := range panels {
		p, err := trialsPanel(pn)
		if err != nil {
			return nil, err
		}
		f.tiles[i/cols][i%cols] = p
	}
	return f, nil
}

func trialsPanel(pn Panel) (*gplot.Plot, error) {
	if len(pn.Groups) == 0 {
		return nil, fmt.Errorf("trials: panel %q has no groups", pn.Title)
	}
	p := newFigure(Labels{Title: pn.Title}).plot
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil
	p.Add(grid)
	names := make([]string, len(pn.Groups))
	for i, g := range pn.Groups {
		names[i] = g.Name
		if err := checkFinite(fmt.Sprintf("trials: %s, group %q", pn.Title, g.Name), g.Values); err != nil {
			return nil, err
		}
		if len(g.Values) == 0 {
			continue
		}
		x := float64(i)
		v := slices.Sorted(slices.Values(g.Values))
		style := draw.LineStyle{Color: colorOf(i), Width: vg.Points(1.5)}
		span, _ := plotter.NewLine(plotter.XYs{{X: x, Y: v[0]}, {X: x, Y: v[len(v)-1]}})
		span.LineStyle = style
		span.LineStyle.Width = vg.Points(0.75)
		med := stats.QuantileSorted(v, 0.5)
		bar, _ := plotter.NewLine(plotter.XYs{{X: x - 0.3, Y: med}, {X: x + 0.3, Y: med}})
		bar.LineStyle = style
		dots, _ := plotter.NewScatter(spread(x, v))
		dots.GlyphStyle = draw.GlyphStyle{Color: colorOf(i), Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}
		p.Add(span, bar, dots)
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.5, float64(len(names))-0.5 // every group, with trials or not
	p.X.Padding = vg.Points(8)
	p.Y.Tick.Marker = siTicks{}
	return p, nil
}

// spread places the sorted values at x, nudging runs of equal values
// apart sideways so that every trial shows.
func spread(x float64, sorted []float64) plotter.XYs {
	out := make(plotter.XYs, len(sorted))
	for i := 0; i < len(sorted); {
		j := i
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		for k := i; k < j; k++ {
			out[k] = plotter.XY{X: x + 0.12*(float64(k-i)-float64(j-i-1)/2), Y: sorted[k]}
		}
		i = j
	}
	return out
}
