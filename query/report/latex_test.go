package report

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/query/table"
)

// TestLaTeXFitsPage: every report's LaTeX table, with the columns a
// page shows by default, over a generated campaign of 72 runs (the
// per-function reports run to longtables), is balanced LaTeX and, where
// pdflatex is installed, compiles in a one-column article without a
// line more than 3pt too wide.
func TestLaTeXFitsPage(t *testing.T) {
	db := openDataset(t, "arms", genSources(t, armsCampaign()))
	var doc bytes.Buffer
	doc.WriteString("\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{booktabs,graphicx,longtable,array}\n\\begin{document}\n")
	for _, r := range All() {
		given := map[string]string{}
		for _, p := range r.Params {
			if p.Name == "group_by" {
				given["group_by"] = "arm"
			}
		}
		tab := run(t, db, r.Name, given)
		tab, left, err := r.Columns(tab, "", table.LaTeX)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range left {
			if !strings.Contains(strings.Join(r.Wide, ","), w) {
				t.Errorf("%s: %s left out, not one of its wide columns", r.Name, w)
			}
		}
		var b bytes.Buffer
		if err := tab.WriteOptions(&b, table.LaTeX, table.Options{Caption: strings.ReplaceAll(r.Name, "_", `\_`) + ".", Label: "tab:" + r.Name}); err != nil {
			t.Fatal(err)
		}
		if err := table.CheckLaTeX(b.String()); err != nil {
			t.Errorf("%s: %v", r.Name, err)
		}
		if strings.Contains(b.String(), "wider than a one-column page") {
			t.Errorf("%s: its default columns do not fit a page", r.Name)
		}
		fmt.Fprintf(&doc, "\\section*{%s}\n%s\\clearpage\n", strings.ReplaceAll(r.Name, "_", "\\_"), b.String())
	}
	doc.WriteString("\\end{document}\n")
	pdflatex, err := exec.LookPath("pdflatex")
	if err != nil {
		t.Skip("no pdflatex: the LaTeX is balanced; whether it fits is not checked")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "reports.tex"), doc.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(pdflatex, "-interaction=nonstopmode", "-halt-on-error", "reports.tex")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pdflatex: %v\n%s", err, out)
	}
	log, err := os.ReadFile(filepath.Join(dir, "reports.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`Overfull \\hbox \(([0-9.]+)pt too wide\)[^\n]*`).FindAllSubmatch(log, -1) {
		if pt, _ := strconv.ParseFloat(string(m[1]), 64); pt > 3 {
			t.Errorf("%s", m[0])
		}
	}
}
