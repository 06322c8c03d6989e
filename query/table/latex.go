package table

import (
	"fmt"
	"regexp"
	"strings"
)

// LongRows is the number of rows from which a LaTeX table is a
// longtable, which breaks across pages, rather than a tabular.
const LongRows = 40

// latex writes a booktabs table that fits the page: a tabular scaled
// down to \linewidth when it is wider (never up), inside a table float
// when there is a caption or a label; from LongRows rows a longtable
// (see longtable). A header wider than its column's values is stacked
// at its underscores, overhead over median.
func (g *grid) latex() {
	cw := g.visualWidths()
	for i := range g.header {
		if cw[i].stack {
			g.header[i] = stacked(g.header[i], g.cols[i].Kind.numeric())
		}
	}
	if len(g.cells) >= LongRows {
		g.longtable(cw)
		return
	}
	widths := g.sourceWidths(cw)
	g.w.WriteString("% \\usepackage{booktabs,graphicx}\n")
	float := g.o.Caption != "" || g.o.Label != ""
	if float {
		g.w.WriteString("\\begin{table}[tbp]\n\\centering\n")
		g.captionLine("\n")
	} else {
		g.w.WriteString("\\noindent")
	}
	g.w.WriteString("\\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{%\n")
	g.w.WriteString("\\begin{tabular}{" + g.spec(nil) + "}\n\\toprule\n")
	g.line("", " & ", ` \\`, g.header, widths)
	g.w.WriteString("\\midrule\n")
	for _, r := range g.cells {
		g.line("", " & ", ` \\`, r, widths)
	}
	g.w.WriteString("\\bottomrule\n\\end{tabular}}\n")
	if float {
		g.w.WriteString("\\end{table}\n")
	}
}

// stacked sets a header's words (at its underscores) one above the
// other, aligned as its column.
func stacked(h string, right bool) string {
	align := "l"
	if right {
		align = "r"
	}
	return `\begin{tabular}[b]{@{}` + align + `@{}}` + strings.ReplaceAll(h, `\_`, `\\`) + `\end{tabular}`
}

// sourceWidths are the widths the cells are padded to in the source;
// a stacked header is left out.
func (g *grid) sourceWidths(cw []colWidth) []int {
	widths := make([]int, len(g.cols))
	for i, h := range g.header {
		if !cw[i].stack {
			widths[i] = width(h)
		}
	}
	for _, r := range g.cells {
		for i, c := range r {
			widths[i] = max(widths[i], width(c))
		}
	}
	return widths
}

// spec is the column specification: numbers right-aligned, the rest
// left-aligned, or set ragged-right in a paragraph of wrap[i] (a
// fraction of \linewidth) when it is above zero.
func (g *grid) spec(wrap []float64) string {
	var b strings.Builder
	for i, c := range g.cols {
		switch {
		case i < len(wrap) && wrap[i] > 0:
			fmt.Fprintf(&b, ">{\\raggedright\\arraybackslash}p{%.3f\\linewidth}", wrap[i])
		case c.Kind.numeric():
			b.WriteByte('r')
		default:
			b.WriteByte('l')
		}
	}
	return b.String()
}

// The characters a \linewidth of 345pt (article's, and about a
// one-column paper's at 10pt) holds at each size: Computer Modern's
// digits are 5pt wide at 10pt, 4pt at 7pt. A longtable is one-column
// only.
var latexSizes = []struct {
	name  string
	chars int
}{{"\\normalsize", 69}, {"\\small", 75}, {"\\footnotesize", 81}, {"\\scriptsize", 86}}

// longtable writes a table that breaks across pages and repeats its
// header on each. A longtable cannot be scaled, so it is set in the
// largest font its columns fit at, and when they do not fit even at
// the smallest, its widest text columns wrap, each in a paragraph of
// a share of \linewidth (breaking after underscores and slashes, and
// at spaces).
func (g *grid) longtable(cw []colWidth) {
	size, wrap, fits := latexLayout(cw, g.cols)
	for i := range wrap {
		if wrap[i] > 0 {
			for _, r := range append([][]string{g.header}, g.cells...) {
				r[i] = breakable(r[i])
			}
		}
	}
	widths := g.sourceWidths(cw)
	for i := range wrap {
		if wrap[i] > 0 {
			widths[i] = 0 // not padded: the lines would be long
		}
	}
	g.w.WriteString("% \\usepackage{booktabs,longtable,array}\n")
	if !fits {
		g.w.WriteString("% wider than a one-column page of 345pt even in \\scriptsize with its text wrapped: fewer columns would fit\n")
	}
	g.w.WriteString("{" + size + "\\setlength{\\tabcolsep}{4pt}\n")
	g.w.WriteString("\\begin{longtable}{" + g.spec(wrap) + "}\n")
	if g.o.Caption != "" || g.o.Label != "" {
		g.captionLine(` \\` + "\n")
	}
	head := func() {
		g.w.WriteString("\\toprule\n")
		g.line("", " & ", ` \\`, g.header, widths)
		g.w.WriteString("\\midrule\n")
	}
	head()
	g.w.WriteString("\\endfirsthead\n")
	head()
	g.w.WriteString("\\endhead\n\\bottomrule\n\\endlastfoot\n")
	for _, r := range g.cells {
		g.line("", " & ", ` \\`, r, widths)
	}
	g.w.WriteString("\\end{longtable}}\n")
}

// latexLayout picks a longtable's font and the columns that wrap, from
// the widths of its columns in characters as printed and their longest
// words (what a wrapped column cannot go below), and says whether the
// table then fits.
func latexLayout(cw []colWidth, cols []Column) (size string, wrap []float64, fits bool) {
	n := 0
	for _, c := range cw {
		n += c.all + 2 // \tabcolsep on each side
	}
	for _, s := range latexSizes {
		if n <= s.chars {
			return s.name, nil, true
		}
	}
	smallest := latexSizes[len(latexSizes)-1]
	// Lower the widest text columns to a common width, each no
	// narrower than its longest word nor 12 characters, until the row
	// fits or nothing can wrap further.
	floor := func(i int) int { return max(12, cw[i].word) }
	width := func(i, level int) int {
		if cols[i].Kind.numeric() {
			return cw[i].all
		}
		return min(cw[i].all, max(level, floor(i)))
	}
	cut := func(level int) int {
		n := 0
		for i := range cw {
			n += cw[i].all - width(i, level)
		}
		return n
	}
	level := 0
	for _, c := range cw {
		level = max(level, c.all)
	}
	for level > 12 && cut(level) < n-smallest.chars {
		level--
	}
	wrap = make([]float64, len(cw))
	for i := range cw {
		if w := width(i, level); w < cw[i].all {
			wrap[i] = float64(w) / float64(smallest.chars)
		}
	}
	return smallest.name, wrap, cut(level) >= n-smallest.chars
}

// colWidth is a column's width in characters as LaTeX prints them (an
// escape or a text command is one), that of its longest word, where a
// wrapped cell cannot break, and whether its header is stacked.
type colWidth struct {
	all, word int
	stack     bool
}

func (g *grid) visualWidths() []colWidth {
	out := make([]colWidth, len(g.cols))
	measure := func(i int, c string) (all, word int) {
		c = texCommand.ReplaceAllString(strings.ReplaceAll(c, `\_`, "_"), "x")
		for _, w := range strings.FieldsFunc(c, func(r rune) bool { return r == ' ' || r == '_' || r == '/' }) {
			word = max(word, texChars(w)+1)
		}
		return texChars(c), word
	}
	for _, r := range g.cells {
		for i, c := range r {
			all, word := measure(i, c)
			out[i].all, out[i].word = max(out[i].all, all), max(out[i].word, word)
		}
	}
	for i, h := range g.header {
		all, word := measure(i, h)
		if out[i].stack = strings.Contains(h, `\_`) && all > out[i].all; out[i].stack {
			all = word
		}
		out[i].all, out[i].word = max(out[i].all, all), max(out[i].word, word)
	}
	return out
}

// texChars counts a capital letter as one and a half characters: in
// Computer Modern they are about that much wider than digits.
func texChars(s string) int {
	n, upper := 0, 0
	for _, r := range s {
		n++
		if r >= 'A' && r <= 'Z' {
			upper++
		}
	}
	return n + (upper+1)/2
}

var texCommand = regexp.MustCompile(`\\[a-z]+\{\}|\\.|---`)

// breakable lets a wrapped cell break after underscores and slashes,
// which kernel names and paths are full of (lists break at their
// spaces).
var breakable = strings.NewReplacer(`\_`, `\_\allowbreak{}`, "/", `/\allowbreak{}`).Replace

// captionLine writes \caption and \label as given (LaTeX markup is
// the caller's), then end.
func (g *grid) captionLine(end string) {
	var b strings.Builder
	if g.o.Caption != "" {
		b.WriteString("\\caption{" + g.o.Caption + "}")
	}
	if g.o.Label != "" {
		b.WriteString("\\label{" + g.o.Label + "}")
	}
	g.w.WriteString(b.String() + end)
}

// escapeLaTeX escapes the characters LaTeX treats specially in text;
// <, > and | get their text commands, since the default font encoding
// prints other glyphs for them, and µ (of µs) its own.
var latexEscaper = strings.NewReplacer(
	`\`, `\textbackslash{}`, `{`, `\{`, `}`, `\}`, `$`, `\$`, `&`, `\&`, `#`, `\#`,
	`%`, `\%`, `_`, `\_`, `~`, `\textasciitilde{}`, `^`, `\textasciicircum{}`,
	`<`, `\textless{}`, `>`, `\textgreater{}`, `|`, `\textbar{}`, `µ`, `\textmu{}`)

func escapeLaTeX(s string) string { return latexEscaper.Replace(s) }

// CheckLaTeX reports unbalanced braces (escaped ones aside, comments
// skipped) and \begin/\end pairs that do not nest in LaTeX source:
// what would stop a paper from compiling. Tests call it on every LaTeX
// table they render.
func CheckLaTeX(s string) error {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++ // \{ \} \\ and the first letter of a command
		case '{':
			depth++
		case '}':
			if depth--; depth < 0 {
				return fmt.Errorf("a } closes nothing at byte %d", i)
			}
		case '%':
			if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
				i += j
			}
		}
	}
	if depth != 0 {
		return fmt.Errorf("%d braces left open", depth)
	}
	var stack []string
	for _, m := range latexEnv.FindAllStringSubmatch(s, -1) {
		if m[1] == "begin" {
			stack = append(stack, m[2])
			continue
		}
		if len(stack) == 0 || stack[len(stack)-1] != m[2] {
			return fmt.Errorf(`\end{%s} does not close %v`, m[2], stack)
		}
		stack = stack[:len(stack)-1]
	}
	if len(stack) > 0 {
		return fmt.Errorf("environments left open: %v", stack)
	}
	return nil
}

var latexEnv = regexp.MustCompile(`\\(begin|end)\{(\w+)\}`)
