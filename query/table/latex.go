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
// that repeats its header on every page, set in a smaller font the
// wider its columns are (a longtable cannot be scaled).
func (g *grid) latex(widths []int) {
	spec := make([]byte, len(g.cols))
	for i, c := range g.cols {
		spec[i] = 'l'
		if c.Kind.numeric() {
			spec[i] = 'r'
		}
	}
	g.w.WriteString(latexPreamble(len(g.cells) >= LongRows))
	if len(g.cells) >= LongRows {
		g.longtable(string(spec), widths)
		return
	}
	float := g.o.Caption != "" || g.o.Label != ""
	if float {
		g.w.WriteString("\\begin{table}[tbp]\n\\centering\n")
		g.captionLine("\n")
	}
	g.w.WriteString("\\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{%\n")
	g.w.WriteString("\\begin{tabular}{" + string(spec) + "}\n\\toprule\n")
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

// latexPreamble names the packages the table needs.
func latexPreamble(long bool) string {
	if long {
		return "% \\usepackage{booktabs,longtable}\n"
	}
	return "% \\usepackage{booktabs,graphicx}\n"
}

// longtable writes a table that breaks across pages.
func (g *grid) longtable(spec string, widths []int) {
	size := latexSize(widths)
	g.w.WriteString("{" + size + "\\setlength{\\tabcolsep}{4pt}\n")
	g.w.WriteString("\\begin{longtable}{" + spec + "}\n")
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

// latexSize picks the font of a longtable from its width in
// characters: about 90 fit a one-column page at the normal size.
func latexSize(widths []int) string {
	n := 0
	for _, w := range widths {
		n += w + 2
	}
	switch {
	case n <= 90:
		return "\\normalsize"
	case n <= 105:
		return "\\small"
	case n <= 125:
		return "\\footnotesize"
	}
	return "\\scriptsize"
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
