package report

import (
	"bytes"
	"context"
	"encoding/xml"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/internal/golden"
	"github.com/kdf-tools/kdf/internal/pipeline"
	"github.com/kdf-tools/kdf/internal/seedsession"
	"github.com/kdf-tools/kdf/internal/synth"
	"github.com/kdf-tools/kdf/query"
	"github.com/kdf-tools/kdf/query/table"
)

// seedSources writes the named seed sessions as buffers with their
// kallsyms, one directory each.
func seedSources(t testing.TB, names ...string) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "seed")
	if err := seedsession.Write(src, names...); err != nil {
		t.Fatal(err)
	}
	return src
}

func genSources(t testing.TB, cfg synth.Config) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "campaign")
	if _, err := synth.WriteCampaign(dir, cfg); err != nil {
		t.Fatal(err)
	}
	return dir
}

// openDataset ingests the sources as a campaign into a new dataset and
// opens it with one thread, so that floating-point sums add up in one
// order.
func openDataset(t testing.TB, campaign string, sources ...string) *query.DB {
	t.Helper()
	ds := filepath.Join(t.TempDir(), "ds")
	if _, err := pipeline.Run(context.Background(), pipeline.Config{Dataset: ds, Campaign: campaign, Sources: sources}, nil); err != nil {
		t.Fatal(err)
	}
	db, err := query.OpenOptions(context.Background(), ds, query.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func run(t *testing.T, db *query.DB, name string, given map[string]string) *table.Table {
	t.Helper()
	r, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	vars, err := r.Vars(given)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := r.Run(context.Background(), db, vars)
	if err != nil {
		t.Fatal(err)
	}
	if err := tab.Check(); err != nil {
		t.Fatal(err)
	}
	return tab
}

func render(t *testing.T, tab *table.Table, f table.Format) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := tab.Write(&b, f); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// shown renders the report's table as kdf report prints it: in LaTeX
// without its wide columns.
func shown(t *testing.T, name string, tab *table.Table, f table.Format) []byte {
	t.Helper()
	r, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	tab, _, err = r.Columns(tab, "", f)
	if err != nil {
		t.Fatal(err)
	}
	out := render(t, tab, f)
	if f == table.LaTeX {
		if err := table.CheckLaTeX(string(out)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	return out
}

// checkPaper compares the report's table, in the formats that go into a
// paper or a notebook, with testdata/known/file.FORMAT.
func checkPaper(t *testing.T, file, report string, tab *table.Table) {
	t.Helper()
	for _, name := range []string{"table", "md", "latex", "csv"} {
		f, _ := table.ParseFormat(name)
		golden.Check(t, filepath.Join("testdata", "known", file+"."+name), shown(t, report, tab, f))
	}
}

// TestSeedReports: each report over the seed's three sessions, a table
// small enough to check by hand against the printed trees, in every
// format.
func TestSeedReports(t *testing.T) {
	db := openDataset(t, "seed", seedSources(t, seedsession.Names...))
	for _, r := range All() {
		tab := run(t, db, r.Name, nil)
		for _, name := range table.Formats() {
			f, _ := table.ParseFormat(name)
			golden.Check(t, filepath.Join("testdata", "seed", r.Name+"."+name), shown(t, r.Name, tab, f))
		}
	}
}

// TestGeneratedReports: the reports over a generated campaign with
// damage, forks, faults and errors, as text, with their totals checked
// against the runs table's own accounting.
func TestGeneratedReports(t *testing.T) {
	db := openDataset(t, "gen", genSources(t, synth.SmallConfig()))
	for _, name := range []string{"values", "pairs"} {
		tab := run(t, db, name, map[string]string{"top": "3"})
		golden.Check(t, filepath.Join("testdata", "gen", name+".table"), render(t, tab, table.Text))
	}
	values := run(t, db, "values", nil)
	if got, want := sumColumn(values, "calls"), count(t, db, "SELECT sum(entries) FROM runs"); got != want {
		t.Errorf("values: %d calls in all, the runs hold %d entries", got, want)
	}
	pairs := run(t, db, "pairs", nil)
	for col, runsCol := range map[string]string{"calls": "calls", "complete": "calls_complete", "no_return": "calls_no_return",
		"no_entry": "calls_no_entry", "truncated": "calls_truncated"} {
		if got, want := sumColumn(pairs, col), count(t, db, "SELECT sum("+runsCol+") FROM runs"); got != want {
			t.Errorf("pairs: %s sums to %d, the runs count %d", col, got, want)
		}
	}
}

func sumColumn(tab *table.Table, name string) int64 {
	i := tab.Index(name)
	var n int64
	for _, r := range tab.Rows {
		n += r[i].(int64)
	}
	return n
}

func count(t testing.TB, db *query.DB, q string) int64 {
	t.Helper()
	tab, err := db.Query(context.Background(), "SELECT CAST(("+q+") AS BIGINT)", nil)
	if err != nil {
		t.Fatal(err)
	}
	return tab.Rows[0][0].(int64)
}

// TestFFIExample: over the rust_ffi_contract session alone, the example
// returns the one call the seed's question is about.
func TestFFIExample(t *testing.T) {
	db := openDataset(t, "seed", seedSources(t, "rust_ffi_contract"))
	tab := run(t, db, "ffi_null_buffer", nil)
	golden.Check(t, filepath.Join("testdata", "ffi", "ffi_null_buffer.table"), render(t, tab, table.Text))
	if len(tab.Rows) != 1 {
		t.Fatalf("%d calls, want one:\n%s", len(tab.Rows), tab)
	}
	row := tab.Rows[0]
	if row[tab.Index("call_id")] != int64(15) || row[tab.Index("func")] != "ffi_check_result" || row[tab.Index("alloc_call_id")] != int64(6) {
		t.Errorf("the call found:\n%s", tab)
	}
}

// TestFilters: the function, module and campaign filters select.
func TestFilters(t *testing.T) {
	db := openDataset(t, "seed", seedSources(t, seedsession.Names...))
	for _, tc := range []struct {
		given map[string]string
		want  *regexp.Regexp // every function left
	}{
		{map[string]string{"func": "*printk*"}, regexp.MustCompile(`printk`)},
		{map[string]string{"func": "ffi_*"}, regexp.MustCompile(`^ffi_`)},
		{map[string]string{"module": "rust_ffi_contract"}, regexp.MustCompile(`ffi`)},
	} {
		for _, name := range []string{"values", "pairs"} {
			tab := run(t, db, name, tc.given)
			if len(tab.Rows) == 0 {
				t.Errorf("%s %v: no rows", name, tc.given)
			}
			for _, r := range tab.Rows {
				if f := r[tab.Index("function")].(string); !tc.want.MatchString(f) {
					t.Errorf("%s %v: %s left in", name, tc.given, f)
				}
			}
		}
	}
	if tab := run(t, db, "values", map[string]string{"func": "ffi_alloc_buf", "arg": "2"}); len(tab.Rows) != 1 || tab.Rows[0][tab.Index("arg_idx")] != uint64(2) {
		t.Errorf("values of ffi_alloc_buf's argument 2:\n%s", tab)
	}
	if tab := run(t, db, "values", map[string]string{"campaign": "other"}); len(tab.Rows) != 0 {
		t.Errorf("values of another campaign: %d rows", len(tab.Rows))
	}
}

// TestParams: every variable a SQL file reads is a declared parameter,
// and the other way round for the parameters that are not the Go
// hooks'.
func TestParams(t *testing.T) {
	getvar := regexp.MustCompile(`getvariable\('(\w+)'\)`)
	for _, r := range All() {
		text, err := r.SQL()
		if err != nil {
			t.Fatal(err)
		}
		var read []string
		for _, m := range getvar.FindAllStringSubmatch(text, -1) {
			if !slices.Contains(read, m[1]) {
				read = append(read, m[1])
			}
		}
		var declared []string
		for _, p := range r.Params {
			if !p.Go {
				declared = append(declared, p.Name)
			}
		}
		slices.Sort(read)
		slices.Sort(declared)
		if !slices.Equal(read, declared) {
			t.Errorf("%s reads %v, declares %v", r.Name, read, declared)
		}
	}
	r, _ := Lookup("values")
	if _, err := r.Vars(map[string]string{"nope": "1"}); err == nil {
		t.Error("values took an undeclared parameter")
	}
	if _, err := r.Vars(map[string]string{"top": "many"}); err == nil {
		t.Error("values took top=many")
	}
	if _, err := Lookup("nope"); err == nil {
		t.Error("Lookup found a report called nope")
	}
}

// TestArmsReports: the overhead and compare reports over a generated
// campaign of 3 arms x 2 trials, grouped by arm: the paper tables in
// every format that goes into a paper or a notebook, the others as
// text.
func TestArmsReports(t *testing.T) {
	db := openDataset(t, "arms", genSources(t, armsCampaign()))
	byArm := map[string]string{"group_by": "arm"}
	for _, name := range []string{"overhead", "compare"} {
		tab := run(t, db, name, byArm)
		for _, format := range []string{"table", "csv", "md", "latex"} {
			f, _ := table.ParseFormat(format)
			golden.Check(t, filepath.Join("testdata", "arms", name+"."+format), shown(t, name, tab, f))
		}
	}
	for _, name := range []string{"overhead_runs", "overhead_functions", "compare_trials", "compare_growth"} {
		golden.Check(t, filepath.Join("testdata", "arms", name+".table"), render(t, run(t, db, name, byArm), table.Text))
	}
	// The totals agree with the runs table's own accounting.
	overhead := run(t, db, "overhead", byArm)
	if got, want := sumColumn(overhead, "records"), count(t, db, "SELECT sum(records) FROM runs"); got != want {
		t.Errorf("overhead: %d records in all, the runs hold %d", got, want)
	}
	if got, want := sumColumn(overhead, "saturated"), count(t, db, "SELECT count(*) FROM runs WHERE saturated"); got != want {
		t.Errorf("overhead: %d saturated runs, the runs table has %d", got, want)
	}
	if got, want := sumColumn(run(t, db, "compare_trials", nil), "records"), count(t, db, "SELECT sum(records) FROM runs"); got != want {
		t.Errorf("compare_trials: %d records in all, the runs hold %d", got, want)
	}
}

// TestGroupPlots: the figures of the overhead and compare reports are
// written in every format and are what their extension says.
func TestGroupPlots(t *testing.T) {
	db := openDataset(t, "arms", genSources(t, armsCampaign()))
	dir := t.TempDir()
	for _, tc := range []struct{ report, title string }{
		{"overhead", "overhead per run, by arm"},
		{"overhead_runs", "overhead per run, by arm"},
		{"overhead_functions", "records per function, by arm"},
		{"compare", "value coverage growth, by arm"},
		{"compare_trials", "value coverage growth, by arm"},
		{"compare_growth", "value coverage growth, by arm"},
	} {
		r, _ := Lookup(tc.report)
		vars, err := r.Vars(nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := vars["group_by"]; ok {
			vars["group_by"] = "arm"
		}
		tab, err := r.Run(context.Background(), db, vars)
		if err != nil {
			t.Fatal(err)
		}
		fig, err := r.Plot(context.Background(), db, tab, vars)
		if err != nil {
			t.Fatalf("%s: %v", tc.report, err)
		}
		for _, ext := range []string{".svg", ".png", ".pdf"} {
			path := filepath.Join(dir, tc.report+ext)
			if err := fig.Save(path); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			switch ext {
			case ".svg":
				var text strings.Builder
				dec := xml.NewDecoder(bytes.NewReader(b))
				for {
					tok, err := dec.Token()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatalf("%s is not XML: %v", path, err)
					}
					if cd, ok := tok.(xml.CharData); ok {
						text.Write(cd)
					}
				}
				want := []string{tc.title, "coverage", "dataflow", "random"} // the legend, or the bars' names
				for _, w := range want {
					if !strings.Contains(text.String(), w) {
						t.Errorf("%s: no %q in the text", path, w)
					}
				}
			case ".png":
				if _, err := png.Decode(bytes.NewReader(b)); err != nil {
					t.Errorf("%s: %v", path, err)
				}
			case ".pdf":
				if !bytes.HasPrefix(b, []byte("%PDF-")) {
					t.Errorf("%s starts %q", path, b[:min(len(b), 8)])
				}
			}
		}
	}
	// Without times there is no overhead to draw, and the figure says
	// so rather than coming out empty.
	seed := openDataset(t, "seed", seedSources(t, seedsession.Names...))
	r, _ := Lookup("overhead")
	tab := run(t, seed, "overhead", nil)
	if _, err := r.Plot(context.Background(), seed, tab, nil); err == nil || !strings.Contains(err.Error(), "exec_ns") {
		t.Errorf("overhead plot without times: %v", err)
	}
}
