package query

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kdf-tools/kdf/schema"
	"github.com/kdf-tools/kdf/schema/dataset"
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

// baseView returns the view of one dataset table: its committed parts,
// read in place, minus the rows later commits superseded.
func baseView(t *schema.Table, parts []string, excl []dataset.Exclusion) Definition {
	d := Definition{Name: t.Name, Kind: "view", Doc: t.Doc}
	cols := columnList(t)
	switch {
	case len(parts) == 0:
		d.SQL = fmt.Sprintf("CREATE VIEW %s AS\nSELECT %s\nLIMIT 0", t.Name, emptyColumns(t))
	case t.Name == schema.Functions.Name:
		// Each commit writes the functions its runs resolved to, so the
		// same symbol shows up in several parts.
		d.SQL = fmt.Sprintf("CREATE VIEW %s AS\nSELECT DISTINCT %s\nFROM %s", t.Name, cols, readParts(parts, false))
	case len(excl) == 0:
		d.SQL = fmt.Sprintf("CREATE VIEW %s AS\nSELECT %s\nFROM %s", t.Name, cols, readParts(parts, false))
	default:
		d.SQL = fmt.Sprintf("CREATE VIEW %s AS\nSELECT %s\nFROM %s\nWHERE %s", t.Name, cols, readParts(parts, true), excluded(excl))
	}
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
func readParts(parts []string, filename bool) string {
	quoted := make([]string, len(parts))
	for i, p := range parts {
		quoted[i] = literal(p)
	}
	opts := "hive_partitioning = true, hive_types = {'campaign': VARCHAR}"
	if filename {
		opts += ", filename = true"
	}
	return fmt.Sprintf("read_parquet([\n  %s\n], %s)", strings.Join(quoted, ",\n  "), opts)
}

// excluded is the condition that drops superseded rows: by run_id, or
// by source and path in rejects, within the part that holds them.
func excluded(excl []dataset.Exclusion) string {
	byPart := map[string][]string{}
	var order []string
	for _, e := range excl {
		if _, ok := byPart[e.Part]; !ok {
			order = append(order, e.Part)
		}
		cond := fmt.Sprintf("run_id = %d", e.RunID)
		if !e.ByRunID {
			cond = fmt.Sprintf("(source = %s AND path = %s)", literal(e.Source), literal(e.Path))
		}
		byPart[e.Part] = append(byPart[e.Part], cond)
	}
	conds := make([]string, len(order))
	for i, p := range order {
		conds[i] = fmt.Sprintf("NOT (filename = %s AND (%s))", literal(p), strings.Join(byPart[p], " OR "))
	}
	return strings.Join(conds, "\n  AND ")
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
