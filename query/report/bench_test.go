package report

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kdf-tools/kdf/internal/golden"
	"github.com/kdf-tools/kdf/internal/pipeline"
	"github.com/kdf-tools/kdf/internal/synth"
	"github.com/kdf-tools/kdf/query"
	"github.com/kdf-tools/kdf/query/table"
	"github.com/kdf-tools/kdf/schema/dataset"
)

// handWritten returns the report written by hand over the dataset's
// Parquet parts (testdata/hand/NAME.sql with {table} replaced by the
// list of the table's committed parts). For a report that finishes its
// table in Go, it is the report's query: the Go part is the report
// layer's.
func handWritten(t testing.TB, ds, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "hand", name+".sql"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := dataset.Open(ds)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, tab := range []string{"runs", "records", "calls"} {
		parts, err := d.Parts(tab)
		if err != nil {
			t.Fatal(err)
		}
		quoted := make([]string, len(parts))
		for i, p := range parts {
			quoted[i] = "'" + strings.ReplaceAll(p, "'", "''") + "'"
		}
		text = strings.ReplaceAll(text, "{"+tab+"}", "["+strings.Join(quoted, ", ")+"]")
	}
	return text
}

// TestHandWrittenAgrees: the hand-written SQL the benchmark measures is
// the same report, table for table.
func TestHandWrittenAgrees(t *testing.T) {
	src := genSources(t, synth.SmallConfig())
	ds := filepath.Join(t.TempDir(), "ds")
	if _, err := pipeline.Run(context.Background(), pipeline.Config{Dataset: ds, Campaign: "gen", Sources: []string{src}}, nil); err != nil {
		t.Fatal(err)
	}
	db, err := query.OpenOptions(context.Background(), ds, query.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, name := range benchReports {
		r, _ := Lookup(name)
		got, err := r.Run(context.Background(), db, nil)
		if err != nil {
			t.Fatal(err)
		}
		hand, err := db.Query(context.Background(), handWritten(t, ds, name), nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Post != nil {
			// The query, then what Go makes of it.
			text, _ := r.SQL()
			vars, _ := r.Vars(nil)
			query, err := db.Query(context.Background(), text, vars)
			if err != nil {
				t.Fatal(err)
			}
			if a, b := csvOf(t, query), csvOf(t, hand); a != b {
				t.Errorf("%s: the report's query and the hand-written SQL differ (- hand, + report):\n%s", name, golden.Diff(b, a))
			}
			if hand, err = r.Post(context.Background(), db, hand, vars); err != nil {
				t.Fatal(err)
			}
		}
		if a, b := csvOf(t, got), csvOf(t, hand); a != b {
			t.Errorf("%s: the report and the hand-written SQL differ (- hand, + report):\n%s", name, golden.Diff(b, a))
		}
		if len(got.Rows) == 0 {
			t.Errorf("%s: no rows", name)
		}
	}
}

// benchReports are the reports the benchmark measures against their
// hand-written SQL (compare_trials is compare's query without the Go).
var benchReports = []string{"values", "pairs", "overhead", "overhead_runs", "overhead_functions", "compare", "compare_growth"}

func csvOf(t testing.TB, tab *table.Table) string {
	var b strings.Builder
	if err := tab.Write(&b, table.CSV); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// benchDataset is a generated dataset of about a million records. With
// KDF_BENCH_DATASET set it is kept there and reused by later runs.
func benchDataset(b *testing.B) string {
	b.Helper()
	ds := os.Getenv("KDF_BENCH_DATASET")
	if ds != "" {
		if _, err := os.Stat(filepath.Join(ds, "kdf.json")); err == nil {
			return ds
		}
	} else {
		ds = filepath.Join(b.TempDir(), "ds")
	}
	src := filepath.Join(b.TempDir(), "campaign")
	if _, err := synth.WriteCampaign(src, synth.BenchConfig(1_000_000)); err != nil {
		b.Fatal(err)
	}
	if _, err := pipeline.Run(context.Background(), pipeline.Config{Dataset: ds, Campaign: "bench", Sources: []string{src}}, nil); err != nil {
		b.Fatal(err)
	}
	return ds
}

// minTurn is the least time one side of a report benchmark's turn runs.
const minTurn = 200 * time.Millisecond

// repeated returns fn run reps times.
func repeated(fn func(), reps int) func() {
	return func() {
		for range reps {
			fn()
		}
	}
}

// BenchmarkReports runs each report through kdf (views, macros,
// variables, and the Go that finishes some tables) and the same report
// written by hand over the Parquet files, alternately on the same
// DuckDB, and reports both times and their ratio: what the report
// layer costs. For a report finished in Go, post-ms/op is that Go part
// alone (in overhead, the bootstrap), timed apart.
func BenchmarkReports(b *testing.B) {
	ds := benchDataset(b)
	db, err := query.Open(ds)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	records := count(b, db, "SELECT count(*) FROM records")
	for _, name := range benchReports {
		r, _ := Lookup(name)
		hand := handWritten(b, ds, name)
		b.Run(name, func(b *testing.B) {
			viaKDF := func() {
				if _, err := r.Run(context.Background(), db, nil); err != nil {
					b.Fatal(err)
				}
			}
			byHand := func() {
				if _, err := db.Query(context.Background(), hand, nil); err != nil {
					b.Fatal(err)
				}
			}
			// Warm both (footers cached, pages in the OS cache), and size
			// a turn: a report of a few milliseconds is run enough times
			// in a turn that fixed costs and timer noise average out.
			viaKDF()
			t0 := time.Now()
			byHand()
			reps := max(1, int(minTurn/max(time.Since(t0), time.Microsecond)))
			viaKDF, byHand = repeated(viaKDF, reps), repeated(byHand, reps)
			// A report that finishes its table in Go: how much of the
			// report layer that is, timed apart on the query's table.
			var post func() time.Duration
			if r.Post != nil {
				vars, _ := r.Vars(nil)
				text, _ := r.SQL()
				tab, err := db.Query(context.Background(), text, vars)
				if err != nil {
					b.Fatal(err)
				}
				post = func() time.Duration {
					t0 := time.Now()
					if _, err := r.Post(context.Background(), db, tab, vars); err != nil {
						b.Fatal(err)
					}
					return time.Since(t0)
				}
			}
			var k, h, p time.Duration
			for i := 0; b.Loop(); i++ {
				if post != nil {
					for range reps {
						p += post()
					}
				}
				first, second, a, z := viaKDF, byHand, &k, &h
				if i%2 == 1 { // alternate, so neither always runs second
					first, second, a, z = byHand, viaKDF, &h, &k
				}
				t0 := time.Now()
				first()
				t1 := time.Now()
				second()
				*a += t1.Sub(t0)
				*z += time.Since(t1)
			}
			n := float64(b.N * reps)
			b.ReportMetric(k.Seconds()*1000/n, "kdf-ms/op")
			b.ReportMetric(h.Seconds()*1000/n, "hand-ms/op")
			b.ReportMetric(float64(k)/float64(h), "kdf/hand")
			if post != nil {
				b.ReportMetric(p.Seconds()*1000/n, "post-ms/op")
			}
			b.ReportMetric(float64(records)*n/k.Seconds(), "records/s")
		})
	}
}
