package table

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/internal/golden"
)

// TestMissing: a NULL reads the same in every human format (an em
// dash, LaTeX's ---), in a cell and inside a list, and as each exact
// format's own null.
func TestMissing(t *testing.T) {
	tab := New(Column{Name: "p", Kind: KindFloat}, Column{Name: "l", Kind: KindList})
	tab.Add(nil, []any{int64(1), nil})
	want := map[Format]string{
		Text:     "p  l\n-  ------\n—  [1, —]\n",
		Markdown: "|   p | l      |\n|----:|:-------|\n|   — | [1, —] |\n",
		CSV:      "p,l\n,\"[1,null]\"\n",
		TSV:      "p\tl\n\t[1,null]\n",
		JSON:     "{\"p\":null,\"l\":[1,null]}\n",
	}
	checkRenders(t, tab, Options{}, want)
	var b strings.Builder
	if err := tab.Write(&b, LaTeX); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "--- & [1, ---] \\\\") || strings.Contains(b.String(), "NULL") || strings.Contains(b.String(), "—") {
		t.Errorf("LaTeX:\n%s", b.String())
	}
}

func TestSelect(t *testing.T) {
	tab := New(Column{Name: "arm"}, Column{Name: "overhead_median", Kind: KindFloat}, Column{Name: "runs", Kind: KindInt},
		Column{Name: "overhead_p90", Kind: KindFloat}, Column{Name: "median [min-max]"})
	tab.Add("a", 0.1, int64(3), 0.5, "2 [1-3]")
	got, err := tab.Select("runs", "overhead_*", "arm", "runs", "median [min-max]")
	if err != nil {
		t.Fatal(err)
	}
	if g, w := got.columnNames(), "runs, overhead_median, overhead_p90, arm, median [min-max]"; g != w {
		t.Errorf("columns %s, want %s", g, w)
	}
	if g, w := fmt.Sprint(got.Rows[0]), "[3 0.1 0.5 a 2 [1-3]]"; g != w {
		t.Errorf("row %s, want %s", g, w)
	}
	if err := got.Check(); err != nil {
		t.Error(err)
	}
	for _, bad := range [][]string{{"nope"}, {"arm", "x*"}, {}} {
		_, err := tab.Select(bad...)
		if err == nil || !strings.Contains(err.Error(), "the columns are arm, overhead_median, runs, overhead_p90, median [min-max]") {
			t.Errorf("Select(%q): %v", bad, err)
		}
	}
	if d := tab.Drop("runs", "nope"); d.columnNames() != "arm, overhead_median, overhead_p90, median [min-max]" || len(d.Rows[0]) != 4 {
		t.Errorf("Drop: %s %v", d.columnNames(), d.Rows)
	}
}

// TestLaTeXFits: a tabular is scaled down to \linewidth when wider and
// never up, floats only with a caption or label, and from LongRows rows
// a table is a longtable that repeats its header; every output is
// balanced LaTeX.
func TestLaTeXFits(t *testing.T) {
	small := New(Column{Name: "arm"}, Column{Name: "runs", Kind: KindInt})
	small.Add("dataflow", int64(60))
	long := New(Column{Name: "function"}, Column{Name: "calls", Kind: KindInt, Style: Scaled}, Column{Name: "share", Kind: KindFloat, Style: Percent})
	for i := range LongRows {
		long.Add(fmt.Sprintf("func_%02d", i), int64(1000*i), float64(i)/LongRows)
	}
	wide := New(Column{Name: "function"}, Column{Name: "distinct_values", Kind: KindInt}, Column{Name: "top_values", Kind: KindList, Style: Hex})
	for i := range LongRows {
		wide.Add(fmt.Sprintf("__x64_sys_a_rather_long_syscall_name_%02d", i), int64(i),
			[]any{uint64(0xffff888104a2c300), uint64(0xffffffff912288ad), uint64(i), uint64(0xbadadd85), nil})
	}
	cases := []struct {
		name string
		tab  *Table
		o    Options
	}{
		{"small", small, Options{}},
		{"caption", small, Options{Caption: "Runs per arm, $n = 60$.", Label: "tab:runs"}},
		{"long", long, Options{Caption: "Calls per function.", Label: "tab:calls"}},
		{"wide", wide, Options{}},
	}
	for _, tc := range cases {
		var b strings.Builder
		if err := tc.tab.WriteOptions(&b, LaTeX, tc.o); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		golden.Check(t, filepath.Join("testdata", "latex-"+tc.name+".latex"), []byte(out))
		if err := CheckLaTeX(out); err != nil {
			t.Errorf("%s: %v\n%s", tc.name, err, out)
		}
		isLong := len(tc.tab.Rows) >= LongRows
		if got := strings.Contains(out, `\begin{longtable}`); got != isLong {
			t.Errorf("%s: longtable %v with %d rows", tc.name, got, len(tc.tab.Rows))
		}
		if !isLong && !strings.Contains(out, `\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%`) {
			t.Errorf("%s: the tabular is not fitted to \\linewidth", tc.name)
		}
		if got, want := strings.Contains(out, `\begin{table}`), !isLong && tc.o.Caption != ""; got != want {
			t.Errorf("%s: table float %v, want %v", tc.name, got, want)
		}
		if tc.o.Caption != "" && !strings.Contains(out, `\caption{`+tc.o.Caption+`}\label{`+tc.o.Label+`}`) {
			t.Errorf("%s: no caption and label as given", tc.name)
		}
		if isLong && strings.Count(out, "\\endhead") != 1 || strings.Count(out, "\\toprule") != 1+btoi(isLong) {
			t.Errorf("%s: the header is not repeated on every page", tc.name)
		}
	}
}

func TestCaptionOtherFormats(t *testing.T) {
	tab := New(Column{Name: "arm"})
	tab.Add("a")
	checkRenders(t, tab, Options{Caption: "Arms.", Label: "tbl:arms"}, map[Format]string{
		Text:     "Arms.\n\narm\n---\na\n",
		Markdown: "| arm |\n|:----|\n| a   |\n\nTable: Arms. {#tbl:arms}\n",
	})
}

// TestLaTeXLayout: a longtable takes the largest font its columns fit
// at; wider, its widest text columns wrap, evened out from the widest
// down, never below 12 characters, numbers never.
func TestLaTeXLayout(t *testing.T) {
	text, num := Column{Kind: KindString}, Column{Kind: KindInt}
	w := func(all ...int) []colWidth { // words of 5 characters
		out := make([]colWidth, len(all))
		for i, a := range all {
			out[i] = colWidth{all: a, word: min(a, 5)}
		}
		return out
	}
	const c = 86 // characters at \scriptsize
	for _, tc := range []struct {
		widths []colWidth
		cols   []Column
		size   string
		wrap   []float64
		fits   bool
	}{
		{w(30, 30), []Column{text, num}, `\normalsize`, nil, true},   // 64 characters
		{w(35, 35), []Column{text, num}, `\small`, nil, true},        // 74
		{w(38, 38), []Column{text, num}, `\footnotesize`, nil, true}, // 80
		// 151 characters: the text columns come down to 37, by 3 and 63.
		{w(40, 5, 100), []Column{text, num, text}, `\scriptsize`, []float64{37.0 / c, 0, 37.0 / c}, true},
		// 206: both text columns come down to 20, by 40 and 80.
		{w(60, 40, 100), []Column{text, num, text}, `\scriptsize`, []float64{20.0 / c, 0, 20.0 / c}, true},
		// A word of 30 characters keeps its column at 30; the other
		// goes down to 12 and the row is still too wide.
		{[]colWidth{{all: 60, word: 30}, {all: 40, word: 5}, {all: 100, word: 5}}, []Column{text, num, text}, `\scriptsize`, []float64{30.0 / c, 0, 12.0 / c}, false},
		// Numbers alone cannot wrap: the smallest font, and no wrap.
		{w(100, 100), []Column{num, num}, `\scriptsize`, []float64{0, 0}, false},
	} {
		size, wrap, fits := latexLayout(tc.widths, tc.cols)
		if size != tc.size || fmt.Sprint(wrap) != fmt.Sprint(tc.wrap) || fits != tc.fits {
			t.Errorf("widths %v: %s %v %v, want %s %v %v", tc.widths, size, wrap, fits, tc.size, tc.wrap, tc.fits)
		}
	}
	g := &grid{cols: []Column{text, num}, header: []string{`top\_values`, `distinct\_values`},
		cells: [][]string{{`[0xffff8880001fd5c0, ---] a\textmu{}s`, "12"}}}
	// A header wider than its values is stacked, and counts as its
	// longest word.
	if got, want := fmt.Sprint(g.visualWidths()), "[{27 21 false} {9 9 true}]"; got != want {
		t.Errorf("visualWidths = %s, want %s", got, want)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
