package plot

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Default figure size: a two-column paper's full text width is about 7
// inches, a column about 3.3; 5 x 3.5 scales well to both.
const (
	DefaultWidth  = 5.0 // inches
	DefaultHeight = 3.5 // inches
	DefaultDPI    = 150 // PNG pixels per inch
)

const (
	margin      = vg.Length(4) // points of white around the figure
	legendInset = vg.Length(6) // points between the legend and the axes
)

// Labels are the texts around a figure's data.
type Labels struct {
	Title string
	X, Y  string // axis labels
}

// Figure is a plot ready to be written. Width and Height may be
// changed before writing; zero means the default.
type Figure struct {
	Width, Height float64 // inches
	DPI           int     // PNG resolution; 0 means DefaultDPI

	plot  *gplot.Plot
	tiles [][]*gplot.Plot // instead of plot: panels, aligned
	title string          // the figure's, for the SVG's <title>
	// layout, when set, fits the plot to the width it is drawn at.
	layout func(width vg.Length)
}

// Format is an output file format.
type Format string

const (
	SVG Format = "svg"
	PNG Format = "png"
	PDF Format = "pdf"
)

// FormatOf returns the format named by path's extension, case
// insensitively, or an error for any extension but .svg, .png and .pdf.
func FormatOf(path string) (Format, error) {
	ext := strings.ToLower(filepath.Ext(path))
	switch f := Format(strings.TrimPrefix(ext, ".")); f {
	case SVG, PNG, PDF:
		return f, nil
	}
	if ext == "" {
		return "", fmt.Errorf("plot file %q has no extension: want .svg, .png or .pdf", path)
	}
	return "", fmt.Errorf("plot file %q: unsupported format %q: want .svg, .png or .pdf", path, ext)
}

// Save writes the figure to path in the format its extension names.
// The file appears complete or not at all: it is written to a
// temporary file in the same directory and renamed.
func (f *Figure) Save(path string) error {
	format, err := FormatOf(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if err := f.Write(tmp, format); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Write draws the figure to w in the given format.
func (f *Figure) Write(w io.Writer, format Format) error {
	width, height := f.size()
	var c interface {
		vg.CanvasSizer
		io.WriterTo
	}
	switch format {
	case SVG:
		c = vgsvg.New(width, height)
	case PDF:
		pdf := vgpdf.New(width, height)
		pdf.EmbedFonts(true)
		c = pdf
	case PNG:
		dpi := f.DPI
		if dpi <= 0 {
			dpi = DefaultDPI
		}
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi))}
	default:
		return fmt.Errorf("unsupported plot format %q: want svg, png or pdf", format)
	}
	if f.layout != nil {
		f.layout(width)
	}
	var draws vg.CanvasSizer = c
	text := &outlined{CanvasSizer: c}
	if format == SVG {
		draws = text
	}
	dc := draw.New(draws)
	dc.SetColor(color.White) // the margin too, not only the plot
	dc.Fill(dc.Rectangle.Path())
	area := draw.Crop(dc, margin, -margin, margin, -margin)
	if f.tiles != nil {
		tiles := draw.Tiles{Rows: len(f.tiles), Cols: len(f.tiles[0]), PadX: vg.Points(12), PadY: vg.Points(12)}
		canvases := gplot.Align(f.tiles, tiles, area)
		for i := range f.tiles {
			for j, p := range f.tiles[i] {
				if p != nil {
					p.Draw(canvases[i][j])
				}
			}
		}
	} else {
		f.plot.Draw(area)
	}
	if format != SVG {
		_, err := c.WriteTo(w)
		return err
	}
	var svg bytes.Buffer
	if _, err := c.WriteTo(&svg); err != nil {
		return err
	}
	out, err := describe(svg.Bytes(), f.title, text.texts)
	if err == nil {
		_, err = w.Write(out)
	}
	return err
}

func (f *Figure) size() (w, h vg.Length) {
	wi, hi := f.Width, f.Height
	if !(wi > 0) {
		wi = DefaultWidth
	}
	if !(hi > 0) {
		hi = DefaultHeight
	}
	return vg.Length(wi) * vg.Inch, vg.Length(hi) * vg.Inch
}

// newFigure starts a figure with the labels and the house style.
func newFigure(l Labels) *Figure {
	p := gplot.New()
	p.Title.Text = l.Title
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = l.X
	p.Y.Label.Text = l.Y
	p.Legend.ThumbnailWidth = vg.Points(24)
	return &Figure{plot: p, title: l.Title}
}

// palette is Okabe and Ito's colour-blind-safe set, reordered so that
// the first lines are the most distinct on white; yellow comes last.
var palette = []color.NRGBA{
	{0x00, 0x72, 0xB2, 0xff}, // blue
	{0xD5, 0x5E, 0x00, 0xff}, // vermillion
	{0x00, 0x9E, 0x73, 0xff}, // bluish green
	{0xCC, 0x79, 0xA7, 0xff}, // reddish purple
	{0xE6, 0x9F, 0x00, 0xff}, // orange
	{0x56, 0xB4, 0xE9, 0xff}, // sky blue
	{0x00, 0x00, 0x00, 0xff}, // black
	{0xF0, 0xE4, 0x42, 0xff}, // yellow
}

func colorOf(i int) color.NRGBA { return palette[i%len(palette)] }

// dashes tells lines apart in greyscale print.
var dashes = [][]vg.Length{
	nil,
	{vg.Points(6), vg.Points(3)},
	{vg.Points(1.5), vg.Points(2)},
	{vg.Points(6), vg.Points(2), vg.Points(1.5), vg.Points(2)},
	{vg.Points(10), vg.Points(3)},
}

func lineStyle(i int) draw.LineStyle {
	return draw.LineStyle{Color: colorOf(i), Width: vg.Points(1.5), Dashes: dashes[i%len(dashes)]}
}

// siTicks labels the default ticks with SI suffixes, so a count axis
// reads "250k" rather than "250000".
type siTicks struct{}

func (siTicks) Ticks(min, max float64) []gplot.Tick {
	ticks := gplot.DefaultTicks{}.Ticks(min, max)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = formatSI(t.Value)
		}
	}
	return ticks
}

// formatSI writes v with at most four significant digits and a k, M, G,
// T, P or E suffix when |v| >= 1000.
func formatSI(v float64) string {
	const suffixes = "kMGTPE"
	suffix := ""
	for i := 0; math.Abs(v) >= 1000 && i < len(suffixes); i++ {
		v /= 1000
		suffix = suffixes[i : i+1]
	}
	return strconv.FormatFloat(v, 'g', 4, 64) + suffix
}

// checkFinite returns an error naming what if any value is NaN or ±Inf.
func checkFinite(what string, values []float64) error {
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s: value %d is %v", what, i, v)
		}
	}
	return nil
}
