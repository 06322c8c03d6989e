package plot

import (
	"image/color"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// bars draws value i as a bar centred on position i, 0.8 positions
// wide. Unlike plotter.BarChart, whose width is a fixed length, the
// width is in data units, so bars fill the axis at any figure size.
type bars struct {
	values     []float64
	horizontal bool // bars grow along X, positions on Y
	color      color.Color
}

const barWidth = 0.8

func (b *bars) Plot(c draw.Canvas, p *gplot.Plot) {
	trX, trY := p.Transforms(&c)
	c.SetColor(b.color)
	for i, v := range b.values {
		lo, hi := float64(i)-barWidth/2, float64(i)+barWidth/2
		var r vg.Rectangle
		if b.horizontal {
			r = vg.Rectangle{Min: vg.Point{X: trX(0), Y: trY(lo)}, Max: vg.Point{X: trX(v), Y: trY(hi)}}
		} else {
			r = vg.Rectangle{Min: vg.Point{X: trX(lo), Y: trY(0)}, Max: vg.Point{X: trX(hi), Y: trY(v)}}
		}
		c.Fill(r.Path())
	}
}

// DataRange makes room for half a position on either side and starts
// the value axis at zero.
func (b *bars) DataRange() (xmin, xmax, ymin, ymax float64) {
	pmin, pmax := -0.5, float64(len(b.values))-0.5
	var vmax float64
	for _, v := range b.values {
		vmax = max(vmax, v)
	}
	if vmax == 0 {
		vmax = 1 // an all-zero chart still needs a value axis
	}
	if b.horizontal {
		return 0, vmax, pmin, pmax
	}
	return pmin, pmax, 0, vmax
}
