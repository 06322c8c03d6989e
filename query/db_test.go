package query

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/kdf-tools/kdf/internal/readback"
	"github.com/kdf-tools/kdf/query/table"
	"github.com/kdf-tools/kdf/transform/errno"
)

// seedDB is the seed's three sessions as a dataset, opened.
func seedDB(t testing.TB) (*DB, string) {
	t.Helper()
	ds := filepath.Join(t.TempDir(), "ds")
	ingestInto(t, ds, "seed", false, writeSeedSessions(t))
	return open(t, ds), ds
}

// TestMacros checks the SQL macros against kdf's Go definitions on the
// boundaries of every size.
func TestMacros(t *testing.T) {
	db, _ := seedDB(t)
	var rows []string
	type tc struct {
		v    uint64
		size uint8
	}
	var cases []tc
	for _, v := range []uint64{0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xfffff001,
		0xfffff000, 0xfffffff2, 0xffffffff, 0xbadadd85, 1 << 53, 1<<53 + 1, 1<<60 - 1, 1 << 63, math.MaxUint64 - 4095,
		math.MaxUint64 - 4094, math.MaxUint64 - 13, math.MaxUint64} {
		for _, size := range []uint8{0, 1, 2, 4, 8, 16} {
			cases = append(cases, tc{v, size})
			rows = append(rows, fmt.Sprintf("(%d::UBIGINT, %d::UTINYINT)", v, size))
		}
	}
	q := `SELECT sext(v, s), errno_of(v, s), errno_name(v, s), is_fault(v), hexv(v), log2_bucket(v)
FROM (VALUES ` + strings.Join(rows, ", ") + `) t(v, s)`
	tab, err := db.Query(context.Background(), q, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range tab.Rows {
		c := cases[i]
		code, isErr := errno.Of(c.v, c.size)
		want := []any{errno.SignExtend(c.v, c.size), nil, nil, c.v == 0xbadadd85, fmt.Sprintf("0x%x", c.v), int64(bits.Len64(c.v))}
		if isErr {
			want[1], want[2] = code, errno.Name(code)
		}
		if fmt.Sprint(r) != fmt.Sprint(want) {
			t.Errorf("v=%#x size=%d: sext, errno_of, errno_name, is_fault, hexv, log2_bucket = %v, want %v", c.v, c.size, r, want)
		}
	}
}

// TestErrnos: the errnos view is kdf's table.
func TestErrnos(t *testing.T) {
	db, _ := seedDB(t)
	tab, err := db.Query(context.Background(), "SELECT code, name FROM errnos", nil)
	if err != nil {
		t.Fatal(err)
	}
	names := errno.Names()
	if len(tab.Rows) != len(names) {
		t.Errorf("errnos has %d rows, kdf names %d errnos", len(tab.Rows), len(names))
	}
	for _, r := range tab.Rows {
		if names[r[0].(int64)] != r[1] {
			t.Errorf("errnos: %v is %v, kdf says %q", r[0], r[1], names[r[0].(int64)])
		}
	}
}

// TestSecurity: once open, DuckDB reads the committed parts and nothing
// else, writes nowhere, and cannot be configured back.
func TestSecurity(t *testing.T) {
	db, ds := seedDB(t)
	parts := readback.Parts(t, ds, "records")
	stray := filepath.Join(filepath.Dir(parts[0]), "part-9999999999-stray-0.parquet")
	copyFile(t, parts[0], stray) // a part no commit names, as a crash would leave it
	out := filepath.Join(t.TempDir(), "out.csv")
	for _, q := range []string{
		"SELECT * FROM read_csv('/etc/passwd')",
		"SELECT * FROM read_text('/etc/hostname')",
		"SELECT count(*) FROM read_parquet(" + literal(stray) + ")",
		"SELECT count(*) FROM read_parquet(" + literal(filepath.Join(ds, "records", "*", "*.parquet")) + ")",
		"SELECT * FROM glob('/etc/*')",
		"COPY (SELECT 1) TO " + literal(out),
		"COPY (SELECT 1) TO " + literal(filepath.Join(ds, "x.parquet")),
		"ATTACH " + literal(filepath.Join(t.TempDir(), "x.db")),
		"INSTALL httpfs",
		"LOAD httpfs",
		"SET enable_external_access = true",
		"SET lock_configuration = false",
		"SET allowed_directories = ['/']",
		"SET allowed_paths = ['/etc/passwd']",
	} {
		if err := db.Exec(context.Background(), q, nil); err == nil {
			t.Errorf("DuckDB ran %q", q)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s was written", out)
	}
	for _, q := range []string{"SET threads = 1", "SET memory_limit = '1GB'", "SELECT count(*) FROM records",
		"CREATE TEMP TABLE mine AS SELECT * FROM calls", "SELECT count(*) FROM read_parquet(" + literal(parts[0]) + ")"} {
		if err := db.Exec(context.Background(), q, nil); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCopyParquet writes a result with COPY and reads it back.
func TestCopyParquet(t *testing.T) {
	db, _ := seedDB(t)
	dst := filepath.Join(t.TempDir(), "args.parquet")
	if err := db.CopyParquet(context.Background(), "SET VARIABLE k = 2; SELECT * FROM args WHERE arg_idx < getvariable('k');", nil, dst); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if want := scalar(t, db, "SELECT count(*) FROM args WHERE arg_idx < 2"); pf.NumRows() != want {
		t.Errorf("%s has %d rows, want %v", dst, pf.NumRows(), want)
	}
	if leftover, _ := filepath.Glob(filepath.Join(db.tmp, "*.parquet")); len(leftover) > 0 {
		t.Errorf("left in the private directory: %v", leftover)
	}
}

// TestVars: variables reach getvariable with their types, whether they
// are written into the query or declared on the connection, and leave
// the pooled connection afterwards.
func TestVars(t *testing.T) {
	db, _ := seedDB(t)
	vars := Vars{"s": "it's", "n": 5, "u": uint64(math.MaxUint64), "f": 2.5, "z": nil}
	const read = "SELECT getvariable('s') AS s, getvariable('n') AS n, getvariable('u') AS u, getvariable('z') IS NULL AS z, " +
		"typeof(getvariable('s')) || ' ' || typeof(getvariable('n')) || ' ' || typeof(getvariable('u')) || ' ' || typeof(getvariable('f')) || ' ' || typeof(getvariable('z')) AS types"
	for _, c := range []struct{ name, query string }{
		{"written in", read},
		// duckdb_variables() sees variables only if they are declared.
		{"declared", read + ", (SELECT count(*) FROM duckdb_variables()) AS declared"},
	} {
		tab, err := db.Query(context.Background(), c.query, vars)
		if err != nil {
			t.Fatal(err)
		}
		want := "[it's 5 18446744073709551615 true VARCHAR INTEGER UBIGINT DOUBLE \"NULL\"]"
		if c.name == "declared" {
			want = "[it's 5 18446744073709551615 true VARCHAR INTEGER UBIGINT DOUBLE \"NULL\" 4]"
		}
		if got := fmt.Sprint(tab.Rows[0]); got != want {
			t.Errorf("%s: variables read back as %s, want %s", c.name, got, want)
		}
		if v := scalar(t, db, "SELECT count(*) FROM duckdb_variables()"); v != int64(0) {
			t.Errorf("%s: %v variables survived the query", c.name, v)
		}
	}
	if _, err := db.Query(context.Background(), "SELECT 1", Vars{"a; DROP": 1}); err == nil {
		t.Error("a variable name with SQL in it was accepted")
	}
}

// TestResultTypes: every DuckDB type a query may return converts into
// the table model.
func TestResultTypes(t *testing.T) {
	db, _ := seedDB(t)
	tab, err := db.Query(context.Background(), `SELECT 1::UBIGINT AS v, [1::UBIGINT, NULL] AS l, -1::TINYINT AS i8, 7::UINTEGER AS u32,
  {'value': 2::UBIGINT, 'share': 0.5::DOUBLE} AS st, MAP {1: 'x'} AS m, 0.25 AS d, 170141183460469231731687303715884105727::HUGEINT AS h,
  DATE '2026-06-15' AS dt, TIMESTAMP '2026-06-15 10:00:00.5' AS ts, 'ab'::BLOB AS b, 1.5::FLOAT AS f, INTERVAL 1 DAY AS iv,
  0.3::DOUBLE AS zero_share, true AS ok, NULL AS nothing`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tab.Check(); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, c := range tab.Columns {
		kinds = append(kinds, fmt.Sprintf("%s:%v:%d", c.Name, c.Kind, c.Style))
	}
	want := "v:uint:1 l:list:1 i8:int:0 u32:uint:0 st:struct:0 m:map:0 d:decimal:0 h:bigint:0 dt:string:0 ts:string:0 b:bytes:0 f:float:0 iv:string:0 zero_share:float:2 ok:bool:0 nothing:int:0"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("columns:\n got %s\nwant %s", got, want)
	}
	st := tab.Rows[0][4].(table.Struct)
	if strings.Join(st.Names, ",") != "value,share" {
		t.Errorf("struct fields in order %v, want value,share", st.Names)
	}
	h, _ := new(big.Int).SetString("170141183460469231731687303715884105727", 10)
	if tab.Rows[0][7].(*big.Int).Cmp(h) != 0 || tab.Rows[0][8] != "2026-06-15" || tab.Rows[0][9] != "2026-06-15 10:00:00.5" {
		t.Errorf("row %v", tab.Rows[0])
	}
}

// BenchmarkVars: what a report's variables add to a query (a report
// reads three to seven).
func BenchmarkVars(b *testing.B) {
	db, _ := seedDB(b)
	const q = "SELECT getvariable('group_by'), getvariable('campaign'), getvariable('cost_ns'), getvariable('top_k')"
	for _, c := range []struct {
		name string
		vars Vars
	}{
		{"none", nil},
		{"four", Vars{"group_by": "arm", "campaign": "gen", "cost_ns": 27.0, "top_k": 10}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := db.Query(context.Background(), q, c.vars); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
