package report

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kdf-tools/kdf/ingest/pipeline"
	"github.com/kdf-tools/kdf/ingest/synth"
	"github.com/kdf-tools/kdf/query"
	"github.com/kdf-tools/kdf/query/table"
	"github.com/kdf-tools/kdf/schema/dataset"
)

// handWritten returns the report written by hand over the dataset's
// Parquet parts (testdata/hand/NAME.sql with {table} replaced by the
// list of the table's committed parts).
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
	for _, tab := range []string{"records", "calls"} {
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
	src := genSources(t, smallCampaign())
	ds := filepath.Join(t.TempDir(), "ds")
	if _, err := pipeline.Run(context.Background(), pipeline.Config{Dataset: ds, Campaign: "gen", Sources: []string{src}}, nil); err != nil {
		t.Fatal(err)
	}
	db, err := query.OpenOptions(context.Background(), ds, query.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, name := range []string{"values", "pairs"} {
		r, _ := Lookup(name)
		got, err := r.Run(context.Background(), db, nil)
		if err != nil {
			t.Fatal(err)
		}
		hand, err := db.Query(context.Background(), handWritten(t, ds, name), nil)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := csvOf(t, got), csvOf(t, hand); a != b {
			t.Errorf("%s: the report and the hand-written SQL differ:\n%s", name, firstDiff(a, b))
		}
	}
}

func csvOf(t testing.TB, tab *table.Table) string {
	var b strings.Builder
	if err := tab.Write(&b, table.CSV); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func firstDiff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(x), len(y)) {
		if x[i] != y[i] {
			return fmt.Sprintf("line %d:\n report %s\n hand   %s", i+1, x[i], y[i])
		}
	}
	return fmt.Sprintf("%d lines against %d", len(x), len(y))
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

// BenchmarkReports runs each report through kdf (views, macros,
// variables) and the same report written by hand over the Parquet
// files, alternately on the same DuckDB, and reports both times and
// their ratio: what the report layer costs.
func BenchmarkReports(b *testing.B) {
	ds := benchDataset(b)
	db, err := query.Open(ds)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	records := count(b, db, "SELECT count(*) FROM records")
	for _, name := range []string{"values", "pairs"} {
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
			viaKDF() // warm both: footers cached, pages in the OS cache
			byHand()
			var k, h time.Duration
			for i := 0; b.Loop(); i++ {
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
			n := float64(b.N)
			b.ReportMetric(float64(k.Milliseconds())/n, "kdf-ms/op")
			b.ReportMetric(float64(h.Milliseconds())/n, "hand-ms/op")
			b.ReportMetric(float64(k)/float64(h), "kdf/hand")
			b.ReportMetric(float64(records)*n/k.Seconds(), "records/s")
		})
	}
}
