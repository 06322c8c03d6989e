package query

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kdf-tools/kdf/schema"
)

// Definition is one view, macro or table that Open creates: what the
// SQL shell's .schema shows and what other engines can be given to see
// the dataset as kdf does.
type Definition struct {
	Name string
	Kind string // "view", "macro" or "table"
	Doc  string
	SQL  string // the CREATE statement
}

// baseView returns the view of one table: its committed parts in every
// dataset, read in place, with the dataset's name. The directory is the
// truth: every row of every part is a row of the table.
func baseView(t *schema.Table, srcs []source) Definition {
	d := Definition{Name: t.Name, Kind: "view", Doc: t.Doc}
	cols := columnList(t)
	var selects []string
	for _, s := range srcs {
		if parts := s.snap.Paths(t.Name); len(parts) > 0 {
			selects = append(selects, fmt.Sprintf("SELECT %s, %s AS dataset\nFROM %s", cols, literal(s.name), readParts(parts)))
		}
	}
	if len(selects) == 0 {
		d.SQL = fmt.Sprintf("CREATE VIEW %s AS\nSELECT %s, CAST(NULL AS VARCHAR) AS dataset\nLIMIT 0", t.Name, emptyColumns(t))
		return d
	}
	d.SQL = fmt.Sprintf("CREATE VIEW %s AS\n%s", t.Name, strings.Join(selects, "\nUNION ALL\n"))
	return d
}

// hasCampaign reports whether the table stores its campaign in the
// parts themselves (runs, rejects) rather than only in the path.
func hasCampaign(t *schema.Table) bool { return t.Index("campaign") >= 0 }

// columnList lists the table's columns in schema order, then the
// campaign from the partition path when the parts lack it.
func columnList(t *schema.Table) string {
	names := make([]string, 0, len(t.Columns)+1)
	for _, c := range t.Columns {
		names = append(names, ident(c.Name))
	}
	if !hasCampaign(t) {
		names = append(names, "campaign")
	}
	return strings.Join(names, ", ")
}

// readParts is the read_parquet call over exactly the given parts. The
// campaign partition is read as text whatever it looks like (campaign
// "2024" stays a string).
func readParts(parts []string) string {
	quoted := make([]string, len(parts))
	for i, p := range parts {
		quoted[i] = literal(p)
	}
	return fmt.Sprintf("read_parquet([\n  %s\n], hive_partitioning = true, hive_types = {'campaign': VARCHAR})", strings.Join(quoted, ",\n  "))
}

// emptyColumns types the columns of a table without parts, so that a
// view over nothing still has the dataset's schema.
func emptyColumns(t *schema.Table) string {
	var cols []string
	for _, c := range t.Columns {
		cols = append(cols, fmt.Sprintf("CAST(NULL AS %s) AS %s", duckType(c.Type), ident(c.Name)))
	}
	if !hasCampaign(t) {
		cols = append(cols, "CAST(NULL AS VARCHAR) AS campaign")
	}
	return strings.Join(cols, ", ")
}

// duckType is the DuckDB type DuckDB reads an Arrow column of the
// dataset as.
func duckType(t arrow.DataType) string {
	switch t := t.(type) {
	case *arrow.ListType:
		return duckType(t.Elem()) + "[]"
	case *arrow.MapType:
		return fmt.Sprintf("MAP(%s, %s)", duckType(t.KeyType()), duckType(t.ItemType()))
	}
	switch t.ID() {
	case arrow.INT64:
		return "BIGINT"
	case arrow.INT32:
		return "INTEGER"
	case arrow.UINT64:
		return "UBIGINT"
	case arrow.UINT32:
		return "UINTEGER"
	case arrow.UINT8:
		return "UTINYINT"
	case arrow.FLOAT64:
		return "DOUBLE"
	case arrow.BOOL:
		return "BOOLEAN"
	}
	return "VARCHAR"
}

// literal quotes s as a SQL string literal.
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// ident quotes a column name that DuckDB reserves as a keyword: of the
// dataset's columns, records.offset.
func ident(name string) string {
	if name == "offset" {
		return `"offset"`
	}
	return name
}
