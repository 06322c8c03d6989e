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
	cases := []struct {
		name string
		tab  *Table
		o    Options
	}{
		{"small", small, Options{}},
		{"caption", small, Options{Caption: "Runs per arm, $n = 60$.", Label: "tab:runs"}},
		{"long", long, Options{Caption: "Calls per function.", Label: "tab:calls"}},
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
		if isLong && strings.Count(out, "function & ") != 2 {
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
