package query

import (
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/kdf-tools/kdf/query/table"
)

// sqlType is a DuckDB type as the driver names it ("UBIGINT[]",
// `STRUCT("value" UBIGINT, share DOUBLE)`, "MAP(INTEGER, BIGINT)"),
// parsed just enough to type a result's columns and convert its values
// into the table model.
type sqlType struct {
	name   string     // UBIGINT, LIST, STRUCT, MAP, DECIMAL, TIMESTAMP, ...
	elem   *sqlType   // LIST element
	fields []sqlField // STRUCT fields in order; MAP key and value
}

type sqlField struct {
	name string
	typ  *sqlType
}

func parseType(s string) *sqlType {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "]") {
		if i := strings.LastIndexByte(s, '['); i > 0 {
			return &sqlType{name: "LIST", elem: parseType(s[:i])}
		}
	}
	base, args, ok := strings.Cut(s, "(")
	base = strings.ToUpper(strings.TrimSpace(base))
	if !ok {
		return &sqlType{name: base}
	}
	args = strings.TrimSuffix(strings.TrimSpace(args), ")")
	t := &sqlType{name: base}
	switch base {
	case "STRUCT":
		for _, f := range splitTop(args) {
			name, typ := cutName(f)
			t.fields = append(t.fields, sqlField{name: name, typ: parseType(typ)})
		}
	case "MAP":
		if kv := splitTop(args); len(kv) == 2 {
			t.fields = []sqlField{{"key", parseType(kv[0])}, {"value", parseType(kv[1])}}
		}
	}
	return t
}

// splitTop splits at the commas outside parentheses and quotes.
func splitTop(s string) []string {
	var out []string
	depth, start, quoted := 0, 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// cutName splits a struct field `"name" TYPE` or `name TYPE`.
func cutName(f string) (string, string) {
	if strings.HasPrefix(f, `"`) {
		for i := 1; i < len(f); i++ {
			if f[i] == '"' {
				if i+1 < len(f) && f[i+1] == '"' {
					i++
					continue
				}
				return strings.ReplaceAll(f[1:i], `""`, `"`), f[i+1:]
			}
		}
	}
	name, typ, _ := strings.Cut(f, " ")
	return name, typ
}

// kind is the table kind the type's values convert to.
func (t *sqlType) kind() table.Kind {
	switch t.name {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT":
		return table.KindInt
	case "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT":
		return table.KindUint
	case "HUGEINT", "UHUGEINT":
		return table.KindBigInt
	case "FLOAT", "DOUBLE":
		return table.KindFloat
	case "DECIMAL":
		return table.KindDecimal
	case "BOOLEAN":
		return table.KindBool
	case "BLOB":
		return table.KindBytes
	case "LIST":
		return table.KindList
	case "MAP":
		return table.KindMap
	case "STRUCT":
		return table.KindStruct
	}
	return table.KindString
}

// style is how human output shows a column, by convention: UBIGINT
// columns (and lists of them) hold pc, address and value words, shown
// in hex; columns named share or *_share, *_shares hold fractions,
// shown as percentages.
func styleOf(name string, t *sqlType) table.Style {
	if t.name == "UBIGINT" || t.name == "LIST" && t.elem.name == "UBIGINT" {
		return table.Hex
	}
	if name == "share" || strings.HasSuffix(name, "_share") || strings.HasSuffix(name, "_shares") {
		return table.Percent
	}
	return table.Plain
}

// convert turns a value the driver scanned into the table model's type
// for the column's kind.
func (t *sqlType) convert(v any) any {
	switch v := v.(type) {
	case nil, string, bool, int64, uint64, float64, []byte:
		return v
	case int8, int16, int32, int:
		return toInt64(v)
	case uint8, uint16, uint32, uint:
		return toUint64(v)
	case float32:
		return float64(v)
	case *big.Int:
		return v
	case duckdb.Decimal:
		return table.Dec{Unscaled: v.Value, Scale: int(v.Scale)}
	case time.Time:
		return t.formatTime(v)
	case duckdb.Interval:
		return fmt.Sprintf("%d months %d days %d us", v.Months, v.Days, v.Micros)
	case duckdb.UUID:
		return v.String()
	case duckdb.Union:
		return fmt.Sprint(v.Value)
	case []any:
		return t.convertList(v)
	case duckdb.OrderedMap:
		return t.convertMap(v)
	case map[string]any:
		return t.convertStruct(v)
	}
	return fmt.Sprint(v)
}

func toInt64(v any) int64 {
	switch v := v.(type) {
	case int8:
		return int64(v)
	case int16:
		return int64(v)
	case int32:
		return int64(v)
	case int:
		return int64(v)
	}
	return 0
}

func toUint64(v any) uint64 {
	switch v := v.(type) {
	case uint8:
		return uint64(v)
	case uint16:
		return uint64(v)
	case uint32:
		return uint64(v)
	case uint:
		return uint64(v)
	}
	return 0
}

// formatTime writes times as DuckDB prints them.
func (t *sqlType) formatTime(v time.Time) string {
	switch t.name {
	case "DATE":
		return v.Format("2006-01-02")
	case "TIME", "TIME_NS":
		return v.Format("15:04:05.999999999")
	case "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ":
		return v.Format("2006-01-02 15:04:05.999999999Z07:00")
	}
	return v.Format("2006-01-02 15:04:05.999999999")
}

func (t *sqlType) convertList(v []any) []any {
	el := t.elem
	if el == nil {
		el = &sqlType{}
	}
	out := make([]any, len(v))
	for i, e := range v {
		out[i] = el.convert(e)
	}
	return out
}

func (t *sqlType) convertMap(m duckdb.OrderedMap) table.Map {
	kt, vt := &sqlType{}, &sqlType{}
	if len(t.fields) == 2 {
		kt, vt = t.fields[0].typ, t.fields[1].typ
	}
	out := table.Map{}
	vals := m.Values()
	for i, k := range m.Keys() {
		out.Keys = append(out.Keys, kt.convert(k))
		out.Values = append(out.Values, vt.convert(vals[i]))
	}
	return out
}

// convertStruct restores the field order the driver's Go map lost,
// from the type; fields the type does not name follow, sorted.
func (t *sqlType) convertStruct(m map[string]any) table.Struct {
	var out table.Struct
	seen := map[string]bool{}
	for _, f := range t.fields {
		if v, ok := m[f.name]; ok {
			out.Names = append(out.Names, f.name)
			out.Values = append(out.Values, f.typ.convert(v))
			seen[f.name] = true
		}
	}
	var rest []string
	for k := range m {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range rest {
		out.Names = append(out.Names, k)
		out.Values = append(out.Values, (&sqlType{}).convert(m[k]))
	}
	return out
}
