package table

import (
	"fmt"
	"math/big"
	"strings"
)

// Kind is the Go type a column's non-NULL values have.
type Kind uint8

const (
	KindString  Kind = iota // string
	KindInt                 // int64
	KindUint                // uint64: pc, address and value words
	KindBigInt              // *big.Int: 128-bit integers such as SQL sums
	KindFloat               // float64
	KindDecimal             // Dec: an exact decimal
	KindBool                // bool
	KindBytes               // []byte
	KindList                // []any of values of any kind
	KindMap                 // Map
	KindStruct              // Struct
)

var kindNames = [...]string{"string", "int", "uint", "bigint", "float", "decimal", "bool", "bytes", "list", "map", "struct"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// numeric kinds are right-aligned in human renderings.
func (k Kind) numeric() bool {
	switch k {
	case KindInt, KindUint, KindBigInt, KindFloat, KindDecimal:
		return true
	}
	return false
}

// Style says how human renderings show a column's numbers; exact
// renderings ignore it. In a list, map or struct column it applies to
// every number inside.
type Style uint8

const (
	Plain   Style = iota // integers in decimal, floats to 4 significant digits
	Hex                  // integers as 0x..., the way the kernel prints words
	Percent              // a fraction (0.25) shown as a percentage (25.0%)
	Scaled               // a count: exact below 10,000, then 12.3k, 4.56M, ...
	Size                 // bytes, scaled by 1024: 512 B, 1.50 KiB, ...
	Nanos                // nanoseconds, scaled: 27 ns, 1.50 µs, 12.3 ms, ...
)

// Column is one column of a table.
type Column struct {
	Name  string
	Kind  Kind
	Style Style
	// Type is the source's name for the type (DuckDB's, when a query
	// made the table), shown by schema listings; it may be empty.
	Type string
}

// Table is a list of columns and rows of values; nil is NULL.
type Table struct {
	Columns []Column
	Rows    [][]any
}

// New returns an empty table with the given columns.
func New(cols ...Column) *Table { return &Table{Columns: cols} }

// Add appends a row. It does not check the values; Check does.
func (t *Table) Add(vals ...any) { t.Rows = append(t.Rows, vals) }

// Index returns the position of the column called name, or -1.
func (t *Table) Index(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Map is a map value with its entries in order.
type Map struct {
	Keys, Values []any
}

// Struct is a struct value: its fields' names and values in order.
type Struct struct {
	Names  []string
	Values []any
}

// Dec is an exact decimal: Unscaled / 10^Scale.
type Dec struct {
	Unscaled *big.Int
	Scale    int
}

// String writes the decimal with exactly Scale digits after the point.
func (d Dec) String() string {
	s := new(big.Int).Abs(d.Unscaled).String()
	sign := ""
	if d.Unscaled.Sign() < 0 {
		sign = "-"
	}
	if d.Scale <= 0 {
		return sign + s
	}
	if len(s) <= d.Scale {
		s = strings.Repeat("0", d.Scale-len(s)+1) + s
	}
	return sign + s[:len(s)-d.Scale] + "." + s[len(s)-d.Scale:]
}

// Check reports the first value whose Go type does not match its
// column's kind, or a row of the wrong length. Every table a package
// hands out passes it.
func (t *Table) Check() error {
	for _, c := range t.Columns {
		if int(c.Kind) >= len(kindNames) || c.Style > Nanos {
			return fmt.Errorf("table: column %q: kind %d, style %d", c.Name, c.Kind, c.Style)
		}
	}
	for i, row := range t.Rows {
		if len(row) != len(t.Columns) {
			return fmt.Errorf("table: row %d has %d values for %d columns", i, len(row), len(t.Columns))
		}
		for j, v := range row {
			if err := checkValue(v, t.Columns[j].Kind); err != nil {
				return fmt.Errorf("table: row %d, column %q: %w", i, t.Columns[j].Name, err)
			}
		}
	}
	return nil
}

func checkValue(v any, k Kind) error {
	if v == nil {
		return nil
	}
	ok := false
	switch v := v.(type) {
	case string:
		ok = k == KindString
	case int64:
		ok = k == KindInt
	case uint64:
		ok = k == KindUint
	case *big.Int:
		ok = k == KindBigInt && v != nil
	case float64:
		ok = k == KindFloat
	case Dec:
		ok = k == KindDecimal && v.Unscaled != nil
	case bool:
		ok = k == KindBool
	case []byte:
		ok = k == KindBytes
	case []any:
		return checkNested(k == KindList, v)
	case Map:
		if len(v.Keys) != len(v.Values) {
			return fmt.Errorf("map of %d keys and %d values", len(v.Keys), len(v.Values))
		}
		return checkNested(k == KindMap, append(append([]any(nil), v.Keys...), v.Values...))
	case Struct:
		if len(v.Names) != len(v.Values) {
			return fmt.Errorf("struct of %d names and %d values", len(v.Names), len(v.Values))
		}
		return checkNested(k == KindStruct, v.Values)
	}
	if !ok {
		return fmt.Errorf("value %v of type %T in a %s column", v, v, k)
	}
	return nil
}

// checkNested checks the values inside a list, map or struct: any kind
// goes, as long as it is one of the table's types.
func checkNested(ok bool, vals []any) error {
	if !ok {
		return fmt.Errorf("nested value in a column of another kind")
	}
	for _, e := range vals {
		if err := checkValue(e, kindOf(e)); err != nil {
			return err
		}
	}
	return nil
}

// kindOf returns the kind of a value's Go type; an unknown type gets
// String, which Check then rejects.
func kindOf(v any) Kind {
	switch v.(type) {
	case int64:
		return KindInt
	case uint64:
		return KindUint
	case *big.Int:
		return KindBigInt
	case float64:
		return KindFloat
	case Dec:
		return KindDecimal
	case bool:
		return KindBool
	case []byte:
		return KindBytes
	case []any:
		return KindList
	case Map:
		return KindMap
	case Struct:
		return KindStruct
	}
	return KindString
}
