package plot

import (
	"errors"
	"fmt"
	"html"
	"strings"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
)

// outlined draws text as the outlines of its glyphs: a figure's SVG
// then needs no font where it is shown or printed (a LaTeX paper
// converting it with Inkscape, a browser without Liberation), and
// looks the same everywhere. It keeps the texts drawn, in order, for
// the SVG's description.
type outlined struct {
	vg.CanvasSizer
	texts []string
	buf   sfnt.Buffer
}

// FillString fills each glyph's outline, kerned as the font says,
// with the baseline starting at pt.
func (c *outlined) FillString(f font.Face, pt vg.Point, text string) {
	if f.Font.Size == 0 || text == "" {
		return
	}
	c.texts = append(c.texts, text)
	units := fixed.Int26_6(f.Face.UnitsPerEm())
	scale := f.Font.Size / vg.Length(units)
	at := func(p fixed.Point26_6, x vg.Length) vg.Point {
		return vg.Point{X: pt.X + x + vg.Length(p.X)*scale, Y: pt.Y - vg.Length(p.Y)*scale}
	}
	var x vg.Length
	var prev sfnt.GlyphIndex
	for i, r := range text {
		idx, err := f.Face.GlyphIndex(&c.buf, r)
		if err != nil || idx == 0 {
			idx, _ = f.Face.GlyphIndex(&c.buf, '?') // a rune the font lacks
		}
		if i > 0 {
			if k, err := f.Face.Kern(&c.buf, prev, idx, units, 0); err == nil {
				x += vg.Length(k) * scale
			} else if !errors.Is(err, sfnt.ErrNotFound) {
				panic(fmt.Errorf("plot: kerning %q: %w", text, err))
			}
		}
		segs, err := f.Face.LoadGlyph(&c.buf, idx, units, nil)
		if err != nil {
			panic(fmt.Errorf("plot: glyph %q of %q: %w", r, text, err))
		}
		var p vg.Path
		for _, s := range segs {
			switch s.Op {
			case sfnt.SegmentOpMoveTo:
				if len(p) > 0 {
					p.Close()
				}
				p.Move(at(s.Args[0], x))
			case sfnt.SegmentOpLineTo:
				p.Line(at(s.Args[0], x))
			case sfnt.SegmentOpQuadTo:
				p.QuadTo(at(s.Args[0], x), at(s.Args[1], x))
			case sfnt.SegmentOpCubeTo:
				p.CubeTo(at(s.Args[0], x), at(s.Args[1], x), at(s.Args[2], x))
			}
		}
		if len(p) > 0 {
			p.Close()
			c.Fill(p)
		}
		adv, err := f.Face.GlyphAdvance(&c.buf, idx, units, 0)
		if err != nil {
			panic(fmt.Errorf("plot: advance of %q: %w", r, err))
		}
		x += vg.Length(adv) * scale
		prev = idx
	}
}

// describe writes the figure's title and texts into an SVG as its
// <title> and <desc>, where screen readers, search and tests find
// what the outlines no longer spell.
func describe(svg []byte, title string, texts []string) ([]byte, error) {
	s := string(svg)
	open := strings.Index(s, "<svg")
	end := strings.Index(s[max(open, 0):], ">")
	if open < 0 || end < 0 {
		return nil, errors.New("plot: the SVG has no <svg> element")
	}
	end += open + 1
	var b strings.Builder
	b.WriteString(s[:end])
	b.WriteString("\n<title>" + html.EscapeString(title) + "</title>\n")
	b.WriteString("<desc>" + html.EscapeString(strings.Join(texts, "\n")) + "</desc>")
	b.WriteString(s[end:])
	return []byte(b.String()), nil
}
