package part

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/kdf-tools/kdf/schema"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"
)

// layout returns the Parquet schema a part of t is written with: one
// field per column, in the table's order, with the encodings chosen by
// encodingOf. It fails on an Arrow type the dataset does not use.
func layout(t *schema.Table) (*parquet.Schema, error) {
	fields := make([]parquet.Field, len(t.Columns))
	for i, c := range t.Columns {
		n, err := columnNode(c)
		if err != nil {
			return nil, fmt.Errorf("part: table %s: column %s: %w", t.Name, c.Name, err)
		}
		fields[i] = field{Node: n, name: c.Name}
	}
	return parquet.NewSchema(t.Name, group(fields)), nil
}

// columnNode is the Parquet node of one top-level column: required or
// optional as the column says.
func columnNode(c schema.Column) (parquet.Node, error) {
	n, err := node(c.Type, c.Dict)
	if err != nil {
		return nil, err
	}
	if c.Nullable {
		return parquet.Optional(n), nil
	}
	return parquet.Required(n), nil
}

// node maps an Arrow type to its Parquet node. Only standard physical
// and logical types are used, so that DuckDB and every other reader
// open the columns natively: unsigned integers keep their UINT logical
// type (DuckDB UBIGINT, UINTEGER, UTINYINT), lists are 3-level LIST
// groups and maps MAP groups with key_value, key and value. Nested
// fields are optional exactly when Arrow says they may be null.
func node(t arrow.DataType, dict bool) (parquet.Node, error) {
	switch t := t.(type) {
	case *arrow.MapType:
		k, err := node(t.KeyType(), true)
		if err != nil {
			return nil, err
		}
		v, err := node(t.ItemType(), true)
		if err != nil {
			return nil, err
		}
		return parquet.Map(k, nullable(v, t.ItemField().Nullable)), nil
	case *arrow.ListType:
		e, err := node(t.Elem(), false)
		if err != nil {
			return nil, err
		}
		return parquet.List(nullable(e, t.ElemField().Nullable)), nil
	}
	var leaf parquet.Node
	switch t.ID() {
	case arrow.INT64:
		leaf = parquet.Int(64)
	case arrow.INT32:
		leaf = parquet.Int(32)
	case arrow.UINT64:
		leaf = parquet.Uint(64)
	case arrow.UINT32:
		leaf = parquet.Uint(32)
	case arrow.UINT8:
		leaf = parquet.Uint(8)
	case arrow.FLOAT64:
		leaf = parquet.Leaf(parquet.DoubleType)
	case arrow.BOOL:
		leaf = parquet.Leaf(parquet.BooleanType)
	case arrow.STRING:
		leaf = parquet.String()
	default:
		return nil, fmt.Errorf("arrow type %s has no Parquet mapping", t)
	}
	return parquet.Encoded(leaf, encodingOf(t.ID(), dict)), nil
}

func nullable(n parquet.Node, null bool) parquet.Node {
	if null {
		return parquet.Optional(n)
	}
	return parquet.Required(n)
}

// encodingOf chooses a leaf's encoding (the package documentation has
// the measurements behind each choice):
//
//   - strings marked Dict, and every uint64 and uint8: RLE_DICTIONARY.
//     pcs, offsets in functions, pointers and argument sizes take few
//     distinct values; dictionary indexes are a fraction of their width
//     and leave less for zstd to do, which makes the part both smaller
//     and faster to write. A column whose dictionary outgrows
//     dictionaryMaxBytes (random words) goes on in PLAIN;
//   - int64, int32 and uint32 (ids, indexes, offsets, sequence numbers,
//     counts): DELTA_BINARY_PACKED, a few bits per row when sorted or
//     slowly changing;
//   - other strings, float64 and bool: PLAIN, which zstd compresses.
func encodingOf(id arrow.Type, dict bool) encoding.Encoding {
	switch {
	case dict, id == arrow.UINT64, id == arrow.UINT8:
		return &parquet.RLEDictionary
	case id == arrow.INT64, id == arrow.INT32, id == arrow.UINT32:
		return &parquet.DeltaBinaryPacked
	}
	return &parquet.Plain
}

// group is a Parquet group whose fields keep the order they are given
// in. parquet.Group sorts its fields by name, which would scramble the
// table's column order in every reader.
type group []parquet.Field

func (g group) ID() int { return 0 }
func (g group) String() string {
	var b strings.Builder
	parquet.PrintSchema(&b, "", g)
	return b.String()
}
func (g group) Type() parquet.Type          { return parquet.Group(nil).Type() }
func (g group) Optional() bool              { return false }
func (g group) Repeated() bool              { return false }
func (g group) Required() bool              { return true }
func (g group) Leaf() bool                  { return false }
func (g group) Fields() []parquet.Field     { return g }
func (g group) Encoding() encoding.Encoding { return nil }
func (g group) Compression() compress.Codec { return nil }

// GoType is a struct of the fields' Go types, as parquet.Group has; the
// writer does not use it, generic readers might.
func (g group) GoType() reflect.Type {
	fs := make([]reflect.StructField, len(g))
	for i, f := range g {
		fs[i] = reflect.StructField{
			Name: "F" + fmt.Sprint(i),
			Type: f.GoType(),
			Tag:  reflect.StructTag(fmt.Sprintf("parquet:%q", f.Name())),
		}
	}
	return reflect.StructOf(fs)
}

// field names a node inside a group.
type field struct {
	parquet.Node
	name string
}

func (f field) Name() string { return f.name }

// Value is used by parquet-go's reflection over Go values, which this
// package never hands it; it resolves the field by its struct tag.
func (f field) Value(base reflect.Value) reflect.Value {
	for base.Kind() == reflect.Pointer {
		base = base.Elem()
	}
	if base.Kind() != reflect.Struct {
		return reflect.Value{}
	}
	t := base.Type()
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("parquet") == f.name {
			return base.Field(i)
		}
	}
	return reflect.Value{}
}
