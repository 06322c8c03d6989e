package query

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kdf-tools/kdf/internal/engines"
	"github.com/kdf-tools/kdf/internal/pipeline"
	"github.com/kdf-tools/kdf/internal/synth"
	"github.com/kdf-tools/kdf/schema"
	"github.com/kdf-tools/kdf/schema/part"
)

// engineResult is one engine's output of checksums.mjs.
type engineResult struct {
	Types   map[string]map[string]string  `json:"types"`
	Tables  map[string]map[string]*string `json:"tables"`
	JSTypes map[string]string             `json:"js_types"`
}

// TestOtherEngines reads a dataset with Polars and DuckDB's Node binding,
// engines that know nothing of kdf, and finds kdf's numbers: every
// table's rows and checksums over its columns (sums of the unsigned
// 64-bit ones exact, past 2^64), campaigns still strings ("007" stays
// "007"), and each column typed as its Parquet type says: UINT_64 as an
// unsigned 64-bit integer, handed to JavaScript as a BigInt.
func TestOtherEngines(t *testing.T) {
	ds := enginesDataset(t)
	want := viewChecksums(t, ds)
	if n := want["records"]["values_ge_2_63"]; n == nil || *n == "0" {
		t.Fatalf("the dataset has no value >= 2^63 (%v): the test would not see a signed reading", n)
	}

	out := engines.Node(t, []string{"nodejs-polars", "@duckdb/node-api"}, "checksums.mjs", ds)
	var got map[string]engineResult
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node checksums.mjs printed no JSON: %v\n%s", err, out)
	}
	for _, eng := range []struct {
		name string
		typ  func(arrow.DataType) string
		str  string
	}{
		{"polars", polarsType, "String"},
		{"duckdb", duckdbType, "VARCHAR"},
	} {
		t.Run(eng.name, func(t *testing.T) {
			res, ok := got[eng.name]
			if !ok {
				t.Fatalf("no output for %s", eng.name)
			}
			for _, tab := range schema.All {
				compareChecksums(t, tab.Name, res.Tables[tab.Name], want[tab.Name])
				compareTypes(t, tab, res.Types[tab.Name], eng.typ, eng.str)
			}
			if js := res.JSTypes["max_value"]; js != "bigint" {
				t.Errorf("records.value arrives in JavaScript as %q, want bigint (a number is exact only to 2^53)", js)
			}
		})
	}
}

// enginesDataset ingests a small generated campaign under two campaigns
// that look like numbers, in several commits, with a forced re-ingest
// and a rejected input, so that every table has rows; the second
// campaign's parts are snappy, the first's zstd.
func enginesDataset(t *testing.T) string {
	src := writeCampaign(t, synth.SmallConfig())
	if err := os.WriteFile(filepath.Join(src, "arm=a", "empty.kcdf"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ds := filepath.Join(t.TempDir(), "ds")
	for _, c := range []pipeline.Config{
		{Campaign: "007", Sources: []string{src}},
		{Campaign: "007", Sources: []string{filepath.Join(src, "arm=b")}, Force: true},
		{Campaign: "2026", Sources: []string{src}, Compression: part.Snappy},
	} {
		c.Dataset, c.GroupRuns = ds, 5
		if _, err := pipeline.Run(context.Background(), c, nil); err != nil {
			t.Fatal(err)
		}
	}
	return ds
}

// checksumQuery is one statement of checksums.sql.
type checksumQuery struct{ table, sql string }

// checksumQueries reads checksums.sql: statements that start with a
// line "-- TABLE: ..." and end with ";" at the end of a line.
func checksumQueries(t *testing.T) []checksumQuery {
	b, err := os.ReadFile(filepath.Join(engines.Dir(t), "checksums.sql"))
	if err != nil {
		t.Fatal(err)
	}
	head := regexp.MustCompile(`(?m)^-- (\w+):.*$`)
	var qs []checksumQuery
	for _, stmt := range regexp.MustCompile(`(?m);\s*$`).Split(string(b), -1) {
		if m := head.FindStringSubmatchIndex(stmt); m != nil {
			qs = append(qs, checksumQuery{stmt[m[2]:m[3]], strings.TrimSpace(stmt[m[0]:])})
		}
	}
	if len(qs) != len(schema.All) {
		t.Fatalf("checksums.sql has %d statements, want one per table (%d)", len(qs), len(schema.All))
	}
	return qs
}

// viewChecksums runs checksums.sql over kdf's views: table, column,
// value as decimal text (nil for NULL).
func viewChecksums(t *testing.T, ds string) map[string]map[string]*string {
	db := open(t, ds)
	sums := map[string]map[string]*string{}
	for _, q := range checksumQueries(t) {
		row := map[string]*string{}
		for _, sql := range []string{q.sql, fmt.Sprintf(`SELECT string_agg(campaign || '=' || n, ',' ORDER BY campaign) AS campaigns
			FROM (SELECT campaign, count(*) AS n FROM %s GROUP BY campaign)`, q.table)} {
			tab, err := db.Query(context.Background(), sql, nil)
			if err != nil {
				t.Fatalf("%s: %v", q.table, err)
			}
			for i, col := range tab.Columns {
				row[col.Name] = nil
				if v := tab.Rows[0][i]; v != nil {
					s := fmt.Sprint(v) // int64, uint64, *big.Int or string
					row[col.Name] = &s
				}
			}
		}
		sums[q.table] = row
	}
	return sums
}

func compareChecksums(t *testing.T, table string, got, want map[string]*string) {
	t.Helper()
	show := func(p *string) string {
		if p == nil {
			return "NULL"
		}
		return *p
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s.%s: missing, kdf has %s", table, k, show(w))
		} else if show(g) != show(w) {
			t.Errorf("%s.%s = %s, kdf has %s", table, k, show(g), show(w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s.%s = %s: not in kdf's checksums", table, k, show(g))
		}
	}
}

// compareTypes checks that the engine typed every column as schema
// declares it, and campaign, from the partition, as a string.
func compareTypes(t *testing.T, tab *schema.Table, got map[string]string, typ func(arrow.DataType) string, str string) {
	t.Helper()
	want := map[string]string{"campaign": str}
	for _, c := range tab.Columns {
		want[c.Name] = typ(c.Type)
	}
	for name, w := range want {
		if g := got[name]; g != w {
			t.Errorf("%s.%s read as %q, want %q", tab.Name, name, g, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d columns read, want %d: %v", tab.Name, len(got), len(want), got)
	}
}

// polarsType is the name Polars gives the type a Parquet column of t
// reads as. A map is a list of key-value structs.
func polarsType(t arrow.DataType) string {
	switch t := t.(type) {
	case *arrow.MapType:
		return fmt.Sprintf("List(Struct(key: %s, value: %s))", polarsType(t.KeyType()), polarsType(t.ItemType()))
	case *arrow.ListType:
		return "List(" + polarsType(t.Elem()) + ")"
	}
	return map[arrow.Type]string{
		arrow.UINT8: "UInt8", arrow.INT32: "Int32", arrow.UINT32: "UInt32",
		arrow.INT64: "Int64", arrow.UINT64: "UInt64", arrow.FLOAT64: "Float64",
		arrow.STRING: "String", arrow.BOOL: "Bool",
	}[t.ID()]
}

// duckdbType is DuckDB's name for the type a Parquet column of t reads as.
func duckdbType(t arrow.DataType) string {
	switch t := t.(type) {
	case *arrow.MapType:
		return fmt.Sprintf("MAP(%s, %s)", duckdbType(t.KeyType()), duckdbType(t.ItemType()))
	case *arrow.ListType:
		return duckdbType(t.Elem()) + "[]"
	}
	return map[arrow.Type]string{
		arrow.UINT8: "UTINYINT", arrow.INT32: "INTEGER", arrow.UINT32: "UINTEGER",
		arrow.INT64: "BIGINT", arrow.UINT64: "UBIGINT", arrow.FLOAT64: "DOUBLE",
		arrow.STRING: "VARCHAR", arrow.BOOL: "BOOLEAN",
	}[t.ID()]
}
