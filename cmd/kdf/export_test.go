package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/query"
)

// genDataset generates a small campaign with kdf gen (two arms, both
// layouts, damaged buffers) and ingests it.
func genDataset(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	camp, ds := filepath.Join(dir, "campaign"), filepath.Join(dir, "ds")
	kdf(t, "gen", "-o", camp, "--arms", "a,b", "--trials", "1", "--boots", "2", "--programs", "6", "--seed", "4", "--hostile")
	kdf(t, "ingest", camp, "-o", ds, "--campaign", "small", "-q")
	return ds
}

// sqlRows runs a query over the dataset for a test.
func sqlRows(t *testing.T, ds, q string) [][]any {
	t.Helper()
	db, err := query.Open(ds)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tab, err := db.Query(context.Background(), q, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tab.Rows
}

// pprofTop is what go tool pprof -top prints: the total, and the rows
// by flat value, most first.
type pprofTop struct {
	total int64
	rows  []pprofRow
}

type pprofRow struct {
	flat, cum int64
	name      string
}

var (
	topTotal = regexp.MustCompile(`of (\d+) total`)
	topRow   = regexp.MustCompile(`^\s*(\d+)\s+\S+%\s+\S+%\s+(\d+)\s+\S+%\s+(.+)$`)
)

// goToolPprof runs pprof's own command line on the file.
func goToolPprof(t *testing.T, file string, args ...string) pprofTop {
	t.Helper()
	cmd := exec.Command("go", append(append([]string{"tool", "pprof", "-top", "-nodecount=1000"}, args...), file)...)
	cmd.Env = append(os.Environ(), "PPROF_TMPDIR="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go tool pprof %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	var top pprofTop
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if m := topTotal.FindStringSubmatch(sc.Text()); m != nil {
			top.total, _ = strconv.ParseInt(m[1], 10, 64)
		}
		if m := topRow.FindStringSubmatch(sc.Text()); m != nil {
			flat, _ := strconv.ParseInt(m[1], 10, 64)
			cum, _ := strconv.ParseInt(m[2], 10, 64)
			top.rows = append(top.rows, pprofRow{flat, cum, m[3]})
		}
	}
	if top.total == 0 || len(top.rows) == 0 {
		t.Fatalf("go tool pprof -top printed no total or no rows:\n%s", out)
	}
	return top
}

// TestExportPprofTop: go tool pprof reads the profile kdf export pprof
// writes, and its top function and totals, in records and in calls,
// are what SQL over the calls table says: the function whose calls
// wrote the most records themselves (its calls' records minus their
// callees'), the records inside top-level calls, and the calls.
func TestExportPprofTop(t *testing.T) {
	ds := genDataset(t)
	file := filepath.Join(t.TempDir(), "calls.pb.gz")
	_, stderr := kdf(t, "export", "pprof", ds, "-o", file)
	if !strings.HasPrefix(stderr, "wrote "+file+": ") {
		t.Errorf("stderr %q", stderr)
	}
	rows := sqlRows(t, ds, `WITH kids AS (SELECT run_id, parent_id, sum(records) AS r FROM calls GROUP BY ALL),
self AS (SELECT coalesce(demangled, hexv(c.pc)) AS name, sum(c.records - coalesce(k.r, 0)) AS self, count(*) AS calls
         FROM calls c LEFT JOIN kids k ON k.run_id = c.run_id AND k.parent_id = c.call_id GROUP BY ALL)
SELECT CAST((SELECT sum(records) FROM calls WHERE parent_id = -1) AS BIGINT), (SELECT count(*) FROM calls),
       CAST(max(self) AS BIGINT), list(name) FILTER (WHERE self = (SELECT max(self) FROM self)),
       max(calls), list(name) FILTER (WHERE calls = (SELECT max(calls) FROM self))
FROM self`)[0]
	for _, c := range []struct {
		index       string
		total, flat int64
		names       any
	}{
		{"records", rows[0].(int64), rows[2].(int64), rows[3]},
		{"calls", rows[1].(int64), rows[4].(int64), rows[5]},
	} {
		top := goToolPprof(t, file, "-sample_index="+c.index)
		first := top.rows[0]
		if top.total != c.total || first.flat != c.flat || !slices.Contains(c.names.([]any), any(first.name)) {
			t.Errorf("-sample_index=%s: total %d, top %+v; SQL: total %d, top %d by %v", c.index, top.total, first, c.total, c.flat, c.names)
		}
	}
}

// TestExportFolded: kdf export folded writes the same stacks to stdout
// and to -o; --func keeps only stacks through a matching function, and
// those hold the records of that function's calls.
func TestExportFolded(t *testing.T) {
	ds := seedDataset(t)
	out, _ := kdf(t, "export", "folded", ds)
	file := filepath.Join(t.TempDir(), "calls.folded")
	kdf(t, "export", "folded", ds, "-o", file)
	if b, err := os.ReadFile(file); err != nil || string(b) != out {
		t.Errorf("-o wrote %q (%v), stdout %q", b, err, out)
	}
	focused, _ := kdf(t, "export", "folded", ds, "--func", "ffi_*")
	var sum int64
	for _, line := range strings.Split(strings.TrimSpace(focused), "\n") {
		i := strings.LastIndexByte(line, ' ')
		stack, n := line[:max(i, 0)], line[i+1:]
		if !strings.Contains(stack, "ffi_") {
			t.Errorf("--func ffi_*: %q", line)
		}
		v, _ := strconv.ParseInt(n, 10, 64)
		sum += v
	}
	want := sqlRows(t, ds, "SELECT CAST(sum(records) AS BIGINT) FROM calls c WHERE func LIKE 'ffi\\_%' ESCAPE '\\' AND NOT EXISTS "+
		"(SELECT 1 FROM calls o WHERE o.run_id = c.run_id AND o.func LIKE 'ffi\\_%' ESCAPE '\\' AND o.first_record < c.first_record AND o.last_record >= c.last_record)")[0][0]
	if sum == 0 || sum != want.(int64) {
		t.Errorf("--func ffi_*: %d records, the outermost ffi_ calls hold %v", sum, want)
	}
}

// TestExportPerfetto: a run chosen by its path or by its run_id is
// written as one trace, to stdout or -o, that is JSON with an event per
// call (the trace's own checks are package export's).
func TestExportPerfetto(t *testing.T) {
	ds := seedDataset(t)
	r := sqlRows(t, ds, "SELECT run_id, path, calls FROM runs ORDER BY path LIMIT 1")[0]
	byPath, _ := kdf(t, "export", "perfetto", ds, "--run", r[1].(string))
	file := filepath.Join(t.TempDir(), "run.json")
	kdf(t, "export", "perfetto", ds, "--run", fmt.Sprint(r[0]), "-o", file)
	b, err := os.ReadFile(file)
	if err != nil || string(b) != byPath {
		t.Fatalf("--run %v -o wrote %d bytes (%v), --run %s printed %d", r[0], len(b), err, r[1], len(byPath))
	}
	var trace struct {
		TraceEvents []struct{ Ph string } `json:"traceEvents"`
	}
	if err := json.Unmarshal(b, &trace); err != nil {
		t.Fatal(err)
	}
	slices := 0
	for _, e := range trace.TraceEvents {
		if e.Ph == "X" {
			slices++
		}
	}
	if int64(slices) != r[2].(int64) {
		t.Errorf("%d slices, the run has %v calls", slices, r[2])
	}
}

// TestExportUsage: what kdf export cannot do is a usage error, and an
// export that fails writes no file.
func TestExportUsage(t *testing.T) {
	ds := seedDataset(t)
	file := filepath.Join(t.TempDir(), "out")
	for _, args := range [][]string{
		{"export"},
		{"export", ds},
		{"export", "svg", ds},
		{"export", "pprof", ds},
		{"export", "pprof", filepath.Join(ds, "nope"), "-o", file},
		{"export", "pprof", ds, "-o", file, "--value", "calls"},
		{"export", "folded", ds, "--value", "bytes"},
		{"export", "folded", ds, "--attr", "arm"},
		{"export", "perfetto", ds},
		{"export", "perfetto", ds, "--run", "1", "--run", "2"},
		{"export", "perfetto", ds, "--run", "1", "--func", "ffi_*"},
	} {
		err := run(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{})
		if !errors.Is(err, errUsage) {
			t.Errorf("kdf %s: %v, want a usage error", strings.Join(args, " "), err)
		}
	}
	err := run(context.Background(), []string{"export", "pprof", ds, "-o", file, "--where", "nope"}, &bytes.Buffer{}, &bytes.Buffer{})
	if _, statErr := os.Stat(file); err == nil || errors.Is(err, errUsage) || statErr == nil {
		t.Errorf("--where nope: %v; the file: %v", err, statErr)
	}
}

// TestExportDocExamples runs the examples of package export's
// documentation over the seed's dataset and holds what they print to
// the golden file.
func TestExportDocExamples(t *testing.T) {
	ds := seedDataset(t)
	dir := t.TempDir()
	words := map[string]string{"DATASET": ds, "RUN": sqlRows(t, ds, "SELECT min(path) FROM runs")[0][0].(string)}
	var b strings.Builder
	for _, args := range documented(t, filepath.Join("..", "..", "query", "export", "doc.go")) {
		b.WriteString("$ kdf " + shellQuote(args) + "\n")
		for i, a := range args {
			if w, ok := words[a]; ok {
				args[i] = w
			} else if strings.HasPrefix(a, "FILE") {
				args[i] = filepath.Join(dir, a)
			}
		}
		out, errOut := kdf(t, args...)
		b.WriteString(out + strings.ReplaceAll(errOut, dir+string(filepath.Separator), "") + "\n")
	}
	checkGolden(t, "export-examples.txt", b.String())
}

// documented returns the kdf commands under a Go file's "# Examples"
// heading.
func documented(t *testing.T, file string) [][]string {
	t.Helper()
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	in := false
	for _, line := range strings.Split(string(text), "\n") {
		if strings.HasPrefix(line, "// # ") {
			in = line == "// # Examples"
		}
		if cmd, ok := strings.CutPrefix(line, "//\tkdf "); ok && in {
			out = append(out, splitArgs(cmd))
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s documents no examples", file)
	}
	return out
}
