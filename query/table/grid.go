package table

import (
	"bufio"
	"strings"
	"unicode/utf8"
)

// grid renders the human formats: every cell is formatted as rows come,
// the columns are padded to their widest cell at Close.
type grid struct {
	w      *bufio.Writer
	f      Format
	o      Options
	cols   []Column
	header []string
	cells  [][]string
}

func newGrid(w *bufio.Writer, f Format, cols []Column, o Options) *grid {
	g := &grid{w: w, f: f, o: o, cols: cols}
	for _, c := range cols {
		g.header = append(g.header, g.escape(c.Name))
	}
	return g
}

func (g *grid) Write(row []any) error {
	if err := checkRow(row, g.cols); err != nil {
		return err
	}
	cells := make([]string, len(row))
	for i, v := range row {
		cells[i] = g.cell(v, g.cols[i])
	}
	g.cells = append(g.cells, cells)
	return nil
}

func (g *grid) cell(v any, c Column) string {
	if v == nil {
		return g.missing()
	}
	return g.escape(human(v, c.Style))
}

// missing is how the human formats show NULL, in a cell or inside a
// list: an em dash, as papers mark a value that is not there.
func (g *grid) missing() string {
	if g.f == LaTeX {
		return "---"
	}
	return Missing
}

func (g *grid) escape(s string) string {
	switch g.f {
	case Markdown:
		return escapeMarkdown(s)
	case LaTeX:
		// The em dash of a NULL inside a list becomes LaTeX's.
		return strings.ReplaceAll(escapeLaTeX(s), Missing, "---")
	}
	return s
}

func (g *grid) Close() error {
	widths := make([]int, len(g.cols))
	for i, h := range g.header {
		widths[i] = width(h)
		if g.f == Markdown {
			widths[i] = max(widths[i], 3) // the alignment row needs ---
		}
	}
	for _, r := range g.cells {
		for i, c := range r {
			widths[i] = max(widths[i], width(c))
		}
	}
	switch g.f {
	case Text:
		if g.o.Caption != "" {
			g.w.WriteString(g.o.Caption + "\n\n")
		}
		g.text(widths)
	case Markdown:
		g.markdown(widths)
	case LaTeX:
		g.latex()
	}
	return g.w.Flush()
}

func (g *grid) text(widths []int) {
	rule := make([]string, len(widths))
	for i, n := range widths {
		rule[i] = strings.Repeat("-", n)
	}
	g.line("", "  ", "", g.header, widths)
	g.line("", "  ", "", rule, widths)
	for _, r := range g.cells {
		g.line("", "  ", "", r, widths)
	}
}

func (g *grid) markdown(widths []int) {
	g.line("| ", " | ", " |", g.header, widths)
	align := make([]string, len(widths))
	for i, n := range widths {
		if g.cols[i].Kind.numeric() {
			align[i] = strings.Repeat("-", n+1) + ":"
		} else {
			align[i] = ":" + strings.Repeat("-", n+1)
		}
	}
	g.w.WriteString("|" + strings.Join(align, "|") + "|\n")
	for _, r := range g.cells {
		g.line("| ", " | ", " |", r, widths)
	}
	// Pandoc's table caption, with pandoc-crossref's label.
	if g.o.Caption != "" || g.o.Label != "" {
		caption := g.o.Caption
		if g.o.Label != "" {
			caption = strings.TrimSpace(caption + " {#" + g.o.Label + "}")
		}
		g.w.WriteString("\nTable: " + caption + "\n")
	}
}

// line writes one row: numbers right-aligned, the rest left-aligned,
// no trailing blanks when the row ends with nothing after it.
func (g *grid) line(open, sep, end string, cells []string, widths []int) {
	var b strings.Builder
	b.WriteString(open)
	for i, c := range cells {
		if i > 0 {
			b.WriteString(sep)
		}
		pad := strings.Repeat(" ", max(0, widths[i]-width(c)))
		if g.cols[i].Kind.numeric() {
			b.WriteString(pad + c)
		} else {
			b.WriteString(c + pad)
		}
	}
	s := b.String()
	if end == "" {
		s = strings.TrimRight(s, " ")
	}
	g.w.WriteString(s + end + "\n")
}

func width(s string) int { return utf8.RuneCountInString(s) }

// escapeMarkdown keeps a cell one cell of plain text: pipes would end
// it, and emphasis, strikethrough, code, math (GitHub's $) and HTML
// characters would format it.
var markdownEscaper = strings.NewReplacer(`\`, `\\`, `|`, `\|`, `*`, `\*`, `_`, `\_`, "`", "\\`",
	`<`, `\<`, `>`, `\>`, `$`, `\$`, `~`, `\~`)

func escapeMarkdown(s string) string { return markdownEscaper.Replace(s) }
