//go:build duckdb_arrow

package query

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/kdf-tools/kdf/internal/pipeline"
	"github.com/kdf-tools/kdf/internal/readback"
	"github.com/kdf-tools/kdf/internal/synth"
	"github.com/kdf-tools/kdf/schema"
	"github.com/kdf-tools/kdf/schema/dataset"
)

// compactQueries are answered identically before and after compaction:
// every table in full, and questions the reports ask.
var compactQueries = []string{
	"SELECT func, count(*), sum(value), count(DISTINCT run_id) FROM records GROUP BY ALL",
	"SELECT func, status, count(*), sum(records) FROM calls GROUP BY ALL",
	"SELECT arm, trial, count(*), sum(records), sum(exec_ns) FROM runs GROUP BY ALL",
	"SELECT errno_name, count(*) FROM rets WHERE errno IS NOT NULL GROUP BY ALL",
	"SELECT count(*), sum(field_value) FROM arg_fields",
	"SELECT sha256, runs FROM contents",
}

func TestCompact(t *testing.T) {
	ds := filepath.Join(t.TempDir(), "ds")
	src := writeCampaign(t, synth.SmallConfig())
	for _, camp := range []string{"a", "b"} {
		if _, err := pipeline.Run(context.Background(), pipeline.Config{Dataset: ds, Campaign: camp, Sources: []string{src}, GroupRuns: 3}, nil); err != nil {
			t.Fatal(err)
		}
	}
	ingestInto(t, ds, "seed", false, writeSeedSessions(t))
	before := answers(t, ds)
	parts := len(readback.Parts(t, ds, "records"))
	res, err := Compact(context.Background(), ds, CompactOptions{Campaign: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].PartsAfter >= res[0].PartsBefore || res[0].Skipped != "" {
		t.Fatalf("compacting campaign a: %+v", res)
	}
	t.Logf("%+v", res[0])
	if got := answers(t, ds); got != before {
		t.Errorf("after compaction the answers differ:\n%s\nwant\n%s", got, before)
	}
	checkDirectory(t, ds)
	if got := len(readback.Parts(t, ds, "records")); got >= parts {
		t.Errorf("records: %d parts, were %d", got, parts)
	}
	// Every campaign, then again: the second finds nothing to do.
	if _, err := Compact(context.Background(), ds, CompactOptions{}); err != nil {
		t.Fatal(err)
	}
	again, err := Compact(context.Background(), ds, CompactOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range again {
		if r.Skipped == "" || r.PartsAfter != 0 {
			t.Errorf("compacting twice did something: %+v", r)
		}
	}
	if got := answers(t, ds); got != before {
		t.Errorf("after compacting every campaign the answers differ:\n%s\nwant\n%s", got, before)
	}
	checkSorted(t, ds)
	// An ingest after compaction adds to it, and skips what it holds.
	sum := ingestInto(t, ds, "a", false, src)
	if sum.Runs != 0 || sum.Skipped != 24 {
		t.Errorf("ingest after compaction: %d runs, %d skipped", sum.Runs, sum.Skipped)
	}
	forced := ingestInto(t, ds, "a", true, filepath.Join(src, "arm=a"))
	if forced.Replaced != 12 {
		t.Errorf("forced ingest after compaction replaced %d", forced.Replaced)
	}
	if got := answers(t, ds); got != before {
		t.Errorf("after a forced ingest into compacted parts the answers differ:\n%s\nwant\n%s", got, before)
	}
}

func answers(t *testing.T, ds string) string {
	t.Helper()
	db := open(t, ds)
	var b strings.Builder
	for _, q := range compactQueries {
		tab, err := db.Query(context.Background(), q+" ORDER BY ALL", nil)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s\n%v\n", q, tab.Rows)
	}
	return b.String()
}

// checkSorted reads each compacted part in file order: records and calls
// go by function, then run, within bands of runs: a row out of that
// order must start a band, with a run_id above every one before it.
func checkSorted(t *testing.T, ds string) {
	t.Helper()
	db := plainDuck(t)
	for _, tab := range []*schema.Table{schema.Records, schema.Calls} {
		for _, p := range readback.Parts(t, ds, tab.Name) {
			var unsorted int
			q := fmt.Sprintf(`SELECT count(*) FROM (
				SELECT func, run_id, lag(func) OVER () AS pf, lag(run_id) OVER () AS pr,
					max(run_id) OVER (ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
				FROM read_parquet(%s))
				WHERE pf IS NOT NULL AND (func < pf OR func = pf AND run_id < pr) AND run_id <= before`, literal(p))
			if err := db.QueryRow(q).Scan(&unsorted); err != nil {
				t.Fatal(err)
			}
			if unsorted != 0 {
				t.Errorf("%s: %d rows out of (band, func, run_id) order", filepath.Base(p), unsorted)
			}
		}
	}
}

func plainDuck(t *testing.T) *sql.DB {
	t.Helper()
	c, err := duckdb.NewConnector("", nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	t.Cleanup(func() { db.Close() })
	return db
}

// TestCompactSkipping: in compacted parts of many row groups, a query
// for one run and a query for one function each find the row groups
// they need from the Parquet statistics alone, and need few of them:
// the median run and the median function in at most a fifth of the row
// groups, the largest of each in at most a third.
func TestCompactSkipping(t *testing.T) {
	ds := filepath.Join(t.TempDir(), "ds")
	cfg := synth.SmallConfig()
	cfg.Boots, cfg.Programs = 4, 40 // 320 runs
	src := writeCampaign(t, cfg)
	if _, err := pipeline.Run(context.Background(), pipeline.Config{Dataset: ds, Campaign: "a", Sources: []string{src}, GroupRuns: 16}, nil); err != nil {
		t.Fatal(err)
	}
	before := answers(t, ds)
	if _, err := Compact(context.Background(), ds, CompactOptions{rowGroupRows: 512}); err != nil {
		t.Fatal(err)
	}
	if got := answers(t, ds); got != before {
		t.Errorf("after compaction the answers differ:\n%s\nwant\n%s", got, before)
	}
	checkSorted(t, ds)
	db := plainDuck(t)
	parts := fmt.Sprintf("string_split(%s, chr(0))", literal(strings.Join(readback.Parts(t, ds, "records"), "\x00")))
	var groups int
	if err := db.QueryRow(fmt.Sprintf(`SELECT count(DISTINCT (file_name, row_group_id)) FROM parquet_metadata(%s)`, parts)).Scan(&groups); err != nil {
		t.Fatal(err)
	}
	if groups < 64 {
		t.Fatalf("only %d row groups: the campaign is too small for the test", groups)
	}
	// Row groups whose statistics of column col admit the value of
	// group key col ranked at quantile q by rows.
	needed := func(col, cast string, q float64) (string, int) {
		var v string
		var n int
		err := db.QueryRow(fmt.Sprintf(`WITH k AS (SELECT %[1]s AS v, count(*) AS n FROM read_parquet(%[2]s) WHERE %[1]s IS NOT NULL GROUP BY 1),
			pick AS (SELECT v FROM k ORDER BY n, v LIMIT 1 OFFSET (SELECT floor((count(*) - 1) * %[3]f)::BIGINT FROM k))
			SELECT pick.v::VARCHAR, count(*) FROM parquet_metadata(%[2]s) m, pick
			WHERE m.path_in_schema = '%[1]s' AND TRY_CAST(m.stats_min_value AS %[4]s) <= pick.v AND pick.v <= TRY_CAST(m.stats_max_value AS %[4]s)
			GROUP BY 1`, col, parts, q, cast)).Scan(&v, &n)
		if err != nil {
			t.Fatal(err)
		}
		return v, n
	}
	for _, c := range []struct {
		col, cast string
		q         float64
		most      int // of the row groups, in parts
	}{{"run_id", "BIGINT", 0.5, 5}, {"run_id", "BIGINT", 1, 3}, {"func", "VARCHAR", 0.5, 5}, {"func", "VARCHAR", 1, 3}} {
		v, n := needed(c.col, c.cast, c.q)
		t.Logf("%s %s (quantile %.1f by rows): %d of %d row groups", c.col, v, c.q, n, groups)
		if n*c.most > groups {
			t.Errorf("%s %s (quantile %.1f by rows) needs %d of %d row groups, want at most 1/%d", c.col, v, c.q, n, groups, c.most)
		}
	}
}

// TestCompactRefusesDamage: a part with a page damaged on disk stops
// compaction before anything is rewritten, which would give the
// damage fresh checksums; the error names the part, and the dataset
// is left as it was.
func TestCompactRefusesDamage(t *testing.T) {
	ds := filepath.Join(t.TempDir(), "ds")
	src := writeCampaign(t, synth.SmallConfig())
	if _, err := pipeline.Run(context.Background(), pipeline.Config{Dataset: ds, Campaign: "a", Sources: []string{src}, GroupRuns: 3}, nil); err != nil {
		t.Fatal(err)
	}
	before := map[string][]string{}
	for _, tab := range schema.All {
		before[tab.Name] = readback.Parts(t, ds, tab.Name)
	}
	parts := before["calls"]
	b, err := os.ReadFile(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x08
	if err := os.WriteFile(parts[0], b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Compact(context.Background(), ds, CompactOptions{})
	rel, _ := filepath.Rel(ds, parts[0])
	// The byte may fall in a page's data (its checksum fails) or in its
	// header (which no longer parses, or no longer fits the chunk).
	if err == nil || !strings.Contains(err.Error(), rel+" is damaged (row group ") || !strings.Contains(err.Error(), ": column ") ||
		!strings.Contains(err.Error(), "nothing was compacted") {
		t.Fatalf("compacting a damaged part: %v", err)
	}
	for _, tab := range schema.All {
		if got, was := len(readback.Parts(t, ds, tab.Name)), len(before[tab.Name]); got != was {
			t.Errorf("%s: %d parts after the refusal, were %d", tab.Name, got, was)
		}
	}
	if got := readback.Parts(t, ds, "calls"); !slices.Equal(got, parts) {
		t.Errorf("calls parts %v after the refusal, were %v", got, parts)
	}
	d, err := dataset.Open(ds)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Check(); err != nil {
		t.Error(err)
	}
}
