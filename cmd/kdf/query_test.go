package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/internal/seedsession"
	"github.com/kdf-tools/kdf/query"
	"github.com/kdf-tools/kdf/query/report"
	"github.com/kdf-tools/kdf/query/table"
)

// seedDataset ingests the seed's three sessions with kdf ingest.
func seedDataset(t *testing.T) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "seed")
	if err := seedsession.Write(src); err != nil {
		t.Fatal(err)
	}
	ds := filepath.Join(t.TempDir(), "ds")
	kdf(t, "ingest", src, "-o", ds, "--campaign", "seed", "-q")
	return ds
}

// docExamples returns the kdf commands of package query's Examples.
func docExamples(t *testing.T) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "query", "doc.go"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "// # ") {
			in = line == "// # Examples"
		}
		if cmd, ok := strings.CutPrefix(line, "//\tkdf "); ok && in {
			out = append(out, splitArgs(cmd))
		}
	}
	if len(out) == 0 {
		t.Fatal("package query documents no examples")
	}
	return out
}

// splitArgs splits a command line as a shell would, quotes included.
func splitArgs(s string) []string {
	var args []string
	var cur strings.Builder
	var quote rune
	started := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, started = r, true
		case r == ' ':
			if started {
				args = append(args, cur.String())
				cur.Reset()
				started = false
			}
		default:
			cur.WriteRune(r)
			started = true
		}
	}
	if started {
		args = append(args, cur.String())
	}
	return args
}

// TestDocExamples runs the documented commands on the seed's sessions.
func TestDocExamples(t *testing.T) {
	ds := seedDataset(t)
	var b strings.Builder
	for _, args := range docExamples(t) {
		b.WriteString("$ kdf " + shellQuote(args) + "\n")
		for i, a := range args {
			if a == "DATASET" {
				args[i] = ds
			}
		}
		out, _ := kdf(t, args...)
		b.WriteString(out + "\n")
	}
	checkGolden(t, "query-examples.txt", b.String())
}

// shellQuote writes args back as a command line.
func shellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = a
		if strings.ContainsAny(a, " *'()") {
			q[i] = `"` + a + `"`
		}
	}
	return strings.Join(q, " ")
}

// TestSQLShellPiped: kdf sql reads statements from a pipe.
func TestSQLShellPiped(t *testing.T) {
	ds := seedDataset(t)
	stdin = strings.NewReader("SELECT status, count(*) AS n\nFROM calls GROUP BY ALL ORDER BY ALL;\n.format csv\nSELECT errno_name(ret, ret_size) AS e FROM calls WHERE ret_size = 4 AND errno_of(ret, ret_size) IS NOT NULL;\n.quit\n")
	defer func() { stdin = os.Stdin }()
	out, _ := kdf(t, "sql", ds)
	checkGolden(t, "sql-piped.txt", out)
}

// TestQueryOutputs: -f, stdin, -o, parquet and arrow files.
func TestQueryOutputs(t *testing.T) {
	ds := seedDataset(t)
	dir := t.TempDir()
	sqlFile := filepath.Join(dir, "q.sql")
	os.WriteFile(sqlFile, []byte("SET VARIABLE f = 'ffi_check_result';\nSELECT func, hexv(value) AS v FROM rets WHERE func = getvariable('f');\n"), 0o644)
	if out, _ := kdf(t, "query", ds, "-f", sqlFile, "--format", "tsv"); out != "func\tv\nffi_check_result\t0xfffffff2\n" {
		t.Errorf("query -f: %q", out)
	}
	stdin = strings.NewReader("SELECT 42 AS answer")
	defer func() { stdin = os.Stdin }()
	if out, _ := kdf(t, "query", ds, "-f", "-", "--format", "json"); out != "{\"answer\":42}\n" {
		t.Errorf("query -f -: %q", out)
	}
	csv := filepath.Join(dir, "out.csv")
	kdf(t, "query", ds, "SELECT 1 AS one", "--format", "csv", "-o", csv)
	if b, _ := os.ReadFile(csv); string(b) != "one\n1\n" {
		t.Errorf("-o %s holds %q", csv, b)
	}
	pq := filepath.Join(dir, "args.parquet")
	kdf(t, "query", ds, "SELECT * FROM args", "--format", "parquet", "-o", pq)
	if st, err := os.Stat(pq); err != nil || st.Size() == 0 {
		t.Errorf("parquet output: %v", err)
	}
	kdf(t, "report", "values", ds, "--format", "parquet", "-o", pq)
	svg := filepath.Join(dir, "hist.svg")
	kdf(t, "report", "values", ds, "--func", "ffi_alloc_buf", "--arg", "0", "--plot", svg)
	if b, err := os.ReadFile(svg); err != nil || !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("--plot wrote no SVG: %v", err)
	}
	arrow := filepath.Join(dir, "args.arrow")
	err := run(context.Background(), []string{"query", ds, "SELECT * FROM args", "--format", "arrow", "-o", arrow}, &bytes.Buffer{}, &bytes.Buffer{})
	_, statErr := os.Stat(arrow)
	switch {
	case query.ArrowEnabled && (err != nil || statErr != nil):
		t.Errorf("arrow output: %v, %v", err, statErr)
	case !query.ArrowEnabled && (!errors.Is(err, query.ErrNoArrow) || statErr == nil):
		t.Errorf("arrow output without the build tag: %v, file left: %v", err, statErr == nil)
	}
}

// TestReportSQL: kdf report sql prints the embedded file.
func TestReportSQL(t *testing.T) {
	for _, r := range report.All() {
		want, err := r.SQL()
		if err != nil {
			t.Fatal(err)
		}
		if out, _ := kdf(t, "report", "sql", r.Name); out != want {
			t.Errorf("report sql %s printed something else", r.Name)
		}
	}
	out, _ := kdf(t, "report")
	checkGolden(t, "report-list.txt", out)
}

// TestReportFlags: a flag whose variable has another name (--by is
// group_by, --cost-ns cost_ns) reaches the report, and --plot draws
// from the dataset behind a summary.
func TestReportFlags(t *testing.T) {
	ds := seedDataset(t)
	out, _ := kdf(t, "report", "overhead", ds, "--by", "campaign", "--cost-ns", "10", "--format", "csv")
	if !strings.HasPrefix(out, "campaign,runs,records,") || !strings.Contains(out, "seed,3,212,853,6824,,,0,0,2120,0,") {
		t.Errorf("overhead --by campaign --cost-ns 10:\n%s", out)
	}
	svg := filepath.Join(t.TempDir(), "growth.svg")
	kdf(t, "report", "compare", ds, "--plot", svg)
	if b, err := os.ReadFile(svg); err != nil || !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("compare --plot wrote no SVG: %v", err)
	}
}

// TestReportTableOptions: --columns picks and orders columns in every
// format, LaTeX leaves a report's wide columns out unless told and says
// so, and --caption and --label reach the table.
func TestReportTableOptions(t *testing.T) {
	ds := seedDataset(t)
	out, _ := kdf(t, "report", "compare", ds, "--columns", "arm, median*,p", "--format", "csv")
	if want := "arm,median [min-max],p\n"; !strings.HasPrefix(out, want) || strings.Count(out, "\n") != 4 {
		t.Errorf("--columns in CSV:\n%s", out)
	}
	out, _ = kdf(t, "report", "overhead", ds, "--format", "latex", "--caption", "Overhead.", "--label", "tab:o")
	if !strings.HasPrefix(out, "% kdf report overhead leaves out for the page: words, bytes,") ||
		!strings.Contains(out, `\caption{Overhead.}\label{tab:o}`) || strings.Contains(out, "overhead\\_p90") {
		t.Errorf("overhead in LaTeX:\n%s", out)
	}
	if err := table.CheckLaTeX(out); err != nil {
		t.Error(err)
	}
	out, _ = kdf(t, "report", "overhead", ds, "--format", "latex", "--columns", "all")
	if strings.HasPrefix(out, "% kdf report") || !strings.Contains(out, "p90") {
		t.Errorf("--columns all in LaTeX:\n%s", out)
	}
	out, _ = kdf(t, "report", "overhead", ds, "--format", "md", "--caption", "Overhead.", "--label", "tbl:o")
	if !strings.HasSuffix(out, "\nTable: Overhead. {#tbl:o}\n") {
		t.Errorf("a caption in Markdown:\n%s", out)
	}
}

// TestReportMetrics: --metric repeats, reaches compare and
// compare_trials in order, and a metric that is not one expression is
// a usage error.
func TestReportMetrics(t *testing.T) {
	ds := seedDataset(t)
	out, _ := kdf(t, "report", "compare", ds, "--metric", "distinct_pcs=count(DISTINCT pc) FROM records", "--metric", "functions",
		"--metric", "exec_known=count(exec_ns)", "--format", "csv", "--columns", "metric,median [min-max]")
	if want := "metric,median [min-max]\ndistinct_pcs,29 [29-29]\nfunctions,40 [40-40]\nexec_known,0 [0-0]\n"; out != want {
		t.Errorf("compare --metric:\n%s\nwant\n%s", out, want)
	}
	out, _ = kdf(t, "report", "compare_trials", ds, "--metric", "distinct_pcs=count(DISTINCT pc) FROM records", "--format", "csv")
	if !strings.HasPrefix(out, "group,campaign,trial,baseline,runs,value_coverage,functions,records,distinct_pcs\n") {
		t.Errorf("compare_trials --metric:\n%s", out)
	}
	for _, m := range []string{"x=count(*); SELECT 1", "nope", "x=count(*) FROM rejects"} {
		if err := run(context.Background(), []string{"report", "compare", ds, "--metric", m}, &bytes.Buffer{}, &bytes.Buffer{}); !errors.Is(err, errUsage) {
			t.Errorf("--metric %q: %v, want a usage error", m, err)
		}
	}
}

func TestQueryUsage(t *testing.T) {
	ds := seedDataset(t)
	for _, args := range [][]string{
		{"query", ds},
		{"query", ds, "SELECT 1", "-f", "x.sql"},
		{"query", ds, "SELECT 1", "--format", "xml"},
		{"query", ds, "SELECT 1", "--format", "parquet"},
		{"query", ds, "SELECT 1", "--var", "novalue"},
		{"sql"},
		{"report", "nope", ds},
		{"report", "ffi_null_buffer", ds, "--top", "3"},
		{"report", "values", ds, "--top", "many"},
		{"report", "pairs", ds, "--plot", "x.svg"},
		{"report", "values", ds, "--plot", "x.gif"},
		{"report", "values", ds, "--cost-ns", "3"},
		{"report", "overhead", ds, "--cost-ns", "cheap"},
		{"report", "overhead", ds, "--columns", "runs,nope"},
		{"report", "overhead", ds, "--columns", "runs", "--format", "parquet", "-o", "x.parquet"},
		{"report", "overhead", ds, "--caption", "Overhead.", "--format", "csv"},
		{"report", "overhead", ds, "--label", "tab:o", "--format", "table"},
	} {
		err := run(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{})
		if !errors.Is(err, errUsage) {
			t.Errorf("kdf %s: %v, want a usage error", strings.Join(args, " "), err)
		}
	}
	if err := run(context.Background(), []string{"query", ds, "SELECT nope"}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil || errors.Is(err, errUsage) {
		t.Errorf("a failing statement: %v, want an error that is not about usage", err)
	}
}

// TestQuerySettingsBounded: kdf query refuses threads beyond its bound,
// in the SQL or as --threads, before DuckDB runs anything.
func TestQuerySettingsBounded(t *testing.T) {
	ds := seedDataset(t)
	for _, args := range [][]string{
		{"query", ds, "SET threads = 20000; SELECT 1 AS one"},
		{"query", ds, "SELECT 1 AS one", "--threads", "20000"},
	} {
		var out bytes.Buffer
		err := run(context.Background(), args, &out, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "threads = 20000: kdf allows 1 to") || out.Len() > 0 {
			t.Errorf("kdf %s: %v, printed %q", strings.Join(args[2:], " "), err, out.String())
		}
	}
}

// TestReportMatchesNothing: --by an attribute no run has, or --func a
// glob no function matches, is an error of one line that says what
// there is, kdf exits non-zero, and no output file is written.
func TestReportMatchesNothing(t *testing.T) {
	ds := seedDataset(t)
	pq := filepath.Join(t.TempDir(), "pairs.parquet")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "overhead", ds, "--by", "nosuchattr"}, `report overhead: no run has the attribute "nosuchattr" to group by (--by), nor any other; --by campaign groups runs by campaign`},
		{[]string{"report", "values", ds, "--func", "ffi_allc*"}, `report values: no function matches --func "ffi_allc*"; the closest: ffi_alloc_buf`},
		{[]string{"report", "pairs", ds, "--func", "ffi_chk*", "--format", "parquet", "-o", pq}, `the closest: ffi_check_result`},
	} {
		var out, stderr bytes.Buffer
		code := exitCode(run(context.Background(), tc.args, &out, &stderr), &stderr)
		lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
		if code == 0 || len(lines) != 1 || !strings.Contains(lines[0], tc.want) || out.Len() > 0 {
			t.Errorf("kdf %s: exit %d, stderr %q, stdout %q; want %q", strings.Join(tc.args[3:], " "), code, stderr.String(), out.String(), tc.want)
		}
	}
	if _, err := os.Stat(pq); err == nil {
		t.Errorf("%s was written", pq)
	}
}
