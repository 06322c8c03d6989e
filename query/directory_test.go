package query

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/kdf-tools/kdf/internal/pipeline"
	"github.com/kdf-tools/kdf/internal/synth"
	"github.com/kdf-tools/kdf/schema"
)

// TestDirectoryIsTheTruth reads the dataset's directory as an engine that
// knows nothing of kdf would, a plain read_parquet over every part file,
// and finds exactly what kdf's views return, table by table, after each
// kind of ingest.
func TestDirectoryIsTheTruth(t *testing.T) {
	src := writeCampaign(t, synth.SmallConfig())
	boot := filepath.Join(src, "arm=a", "trial=1", "boot=1")
	ctx := context.Background()
	run := func(t *testing.T, ds string, cfg pipeline.Config) *pipeline.Summary {
		t.Helper()
		cfg.Dataset, cfg.Campaign = ds, "c"
		if cfg.Sources == nil {
			cfg.Sources = []string{src}
		}
		cfg.GroupRuns = 4 // many commits, parts shared by several inputs
		sum, err := pipeline.Run(ctx, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	whole := filepath.Join(t.TempDir(), "whole")
	want := run(t, whole, pipeline.Config{})
	for _, tc := range []struct {
		name   string
		ingest func(t *testing.T, ds string)
	}{
		{"plain", func(t *testing.T, ds string) { run(t, ds, pipeline.Config{}) }},
		{"forced", func(t *testing.T, ds string) {
			run(t, ds, pipeline.Config{})
			run(t, ds, pipeline.Config{Force: true, Sources: []string{boot}})
			run(t, ds, pipeline.Config{Force: true})
		}},
		{"sharded", func(t *testing.T, ds string) {
			var wg sync.WaitGroup
			for i := range 3 {
				wg.Go(func() { run(t, ds, pipeline.Config{Shard: i, Shards: 3}) })
			}
			wg.Wait()
		}},
		{"interrupted", func(t *testing.T, ds string) {
			cctx, cancel := context.WithCancel(ctx)
			prog := &pipeline.Progress{}
			go func() {
				for prog.Files.Load() < 5 {
					time.Sleep(100 * time.Microsecond)
				}
				cancel()
			}()
			pipeline.Run(cctx, pipeline.Config{Dataset: ds, Campaign: "c", Sources: []string{src}, GroupRuns: 2, Workers: 2}, prog)
			cancel()
			checkDirectory(t, ds) // consistent however far it got
			run(t, ds, pipeline.Config{})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := filepath.Join(t.TempDir(), "ds")
			tc.ingest(t, ds)
			checkDirectory(t, ds)
			db := open(t, ds)
			for table, n := range map[string]int64{"runs": want.Runs, "records": want.Records, "calls": want.Calls} {
				if got := scalar(t, db, "SELECT count(*) FROM "+table); got != n {
					t.Errorf("%s holds %v rows, an ingest in one go %d", table, got, n)
				}
			}
		})
	}
}

// checkDirectory compares every table's view with a plain read of the
// table's directory: the same rows, as many times each.
func checkDirectory(t *testing.T, ds string) {
	t.Helper()
	db := open(t, ds)
	c, err := duckdb.NewConnector("", nil)
	if err != nil {
		t.Fatal(err)
	}
	plain := sql.OpenDB(c)
	defer plain.Close()
	for _, tab := range schema.All {
		var cols []string
		for _, col := range tab.Columns {
			cols = append(cols, ident(col.Name))
		}
		if !hasCampaign(tab) {
			cols = append(cols, "campaign")
		}
		list := strings.Join(cols, ", ")
		glob := literal(filepath.Join(ds, tab.Name, "*", "*.parquet"))
		var files int
		plain.QueryRow("SELECT count(*) FROM glob(" + glob + ")").Scan(&files)
		if files == 0 {
			if n := scalar(t, db, "SELECT count(*) FROM "+tab.Name); n != int64(0) {
				t.Errorf("%s: no part file, but the view has %v rows", tab.Name, n)
			}
			continue
		}
		view := filepath.Join(t.TempDir(), tab.Name+".parquet")
		if err := db.CopyParquet(context.Background(), "SELECT "+list+" FROM "+tab.Name, nil, view); err != nil {
			t.Fatal(err)
		}
		// Rows in the view and not in the directory, and the reverse,
		// counted with their multiplicity.
		dir := fmt.Sprintf("SELECT %s FROM read_parquet(%s, hive_partitioning = true, hive_types = {'campaign': VARCHAR})", list, glob)
		q := fmt.Sprintf(`SELECT (SELECT count(*) FROM (SELECT * FROM read_parquet(%[1]s) EXCEPT ALL %[2]s)),
			(SELECT count(*) FROM (%[2]s EXCEPT ALL SELECT * FROM read_parquet(%[1]s)))`, literal(view), dir)
		var onlyView, onlyDir int64
		if err := plain.QueryRow(q).Scan(&onlyView, &onlyDir); err != nil {
			t.Fatalf("%s: %v", tab.Name, err)
		}
		if onlyView != 0 || onlyDir != 0 {
			t.Errorf("%s: %d rows only in kdf's view, %d only in the directory", tab.Name, onlyView, onlyDir)
		}
	}
}
