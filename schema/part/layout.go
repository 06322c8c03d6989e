package part

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/kdf-tools/kdf/schema"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// nesting says where a leaf's values sit in its column.
type nesting uint8

const (
	flat     nesting = iota // the column's own values
	listElem                // a list's elements
	mapKey                  // a map's keys
	mapValue                // a map's values
)

// A leaf is one Parquet leaf column of a part: a scalar column, a
// list's elements, or a map's keys or values. Parts of one table have
// the same leaves, in the same order, whoever wrote them.
type leaf struct {
	col     int // the table column
	path    []string
	nesting nesting
	typ     arrow.DataType // the type of the leaf's values
	phys    format.Type
	dict    bool // dictionary-encoded

	// top is 1 when the column itself is nullable, maxDef and maxRep
	// the largest definition and repetition levels (Dremel encoding):
	// a flat leaf has maxRep 0 and maxDef top; a nested one has maxRep
	// 1 and maxDef top+1, plus 1 when its values may be null.
	top, maxDef, maxRep int
}

// valuesNullable says whether some of the leaf's values may be null.
func (l *leaf) valuesNullable() bool { return l.maxDef > l.top+l.maxRep }

// leaves returns the leaf columns of t, in schema order. It fails on an
// Arrow type the dataset does not use.
func leaves(t *schema.Table) ([]leaf, error) {
	var out []leaf
	for i, c := range t.Columns {
		ls, err := columnLeaves(i, c)
		if err != nil {
			return nil, fmt.Errorf("part: table %s: column %s: %w", t.Name, c.Name, err)
		}
		out = append(out, ls...)
	}
	return out, nil
}

func columnLeaves(i int, c schema.Column) ([]leaf, error) {
	top := level(c.Nullable)
	nested := func(n nesting, t arrow.DataType, nullable bool, path ...string) (leaf, error) {
		l, err := scalarLeaf(i, t, true)
		l.path, l.nesting, l.top, l.maxRep = append([]string{c.Name}, path...), n, top, 1
		l.maxDef = top + 1 + level(nullable)
		return l, err
	}
	switch t := c.Type.(type) {
	case *arrow.ListType:
		// List elements are dictionary-encoded: the dataset's lists hold
		// words and sizes, which repeat.
		e, err := nested(listElem, t.Elem(), t.ElemField().Nullable, "list", "element")
		return []leaf{e}, err
	case *arrow.MapType:
		k, err := nested(mapKey, t.KeyType(), false, "key_value", "key")
		if err != nil {
			return nil, err
		}
		v, err := nested(mapValue, t.ItemType(), t.ItemField().Nullable, "key_value", "value")
		return []leaf{k, v}, err
	}
	l, err := scalarLeaf(i, c.Type, c.Dict)
	l.path, l.top, l.maxDef = []string{c.Name}, top, top
	return []leaf{l}, err
}

// scalarLeaf maps a scalar Arrow type to its physical type and
// encoding (the package documentation has the measurements behind each
// choice): strings and int64s marked Dict, every uint64 and uint8 are
// dictionary-encoded; other strings, int64, int32, uint32, float64 and
// bool are not (int64, int32 and uint32 are DELTA_BINARY_PACKED).
func scalarLeaf(col int, t arrow.DataType, dict bool) (leaf, error) {
	l := leaf{col: col, typ: t}
	switch t.ID() {
	case arrow.INT64:
		l.phys, l.dict = format.Int64, dict
	case arrow.UINT64:
		l.phys, l.dict = format.Int64, true
	case arrow.INT32, arrow.UINT32:
		l.phys = format.Int32
	case arrow.UINT8:
		l.phys, l.dict = format.Int32, true
	case arrow.FLOAT64:
		l.phys = format.Double
	case arrow.BOOL:
		l.phys = format.Boolean
	case arrow.STRING:
		l.phys, l.dict = format.ByteArray, dict
	default:
		return l, fmt.Errorf("arrow type %s has no Parquet mapping", t)
	}
	return l, nil
}

func level(nullable bool) int {
	if nullable {
		return 1
	}
	return 0
}

// schemaElements returns the schema of t's parts as the footer lists
// it: the root, then each column depth first. Only standard physical
// and logical types are used, so that DuckDB and every other reader
// open the columns natively: unsigned integers keep their UINT logical
// type (DuckDB UBIGINT, UINTEGER, UTINYINT), lists are 3-level LIST
// groups and maps MAP groups with key_value, key and value. The
// converted types are set too, for readers that predate logical types.
func schemaElements(t *schema.Table) []format.SchemaElement {
	es := []format.SchemaElement{{Name: t.Name, NumChildren: thrift.New(int32(len(t.Columns)))}}
	for _, c := range t.Columns {
		es = appendElements(es, c.Name, c.Type, c.Nullable)
	}
	return es
}

func appendElements(es []format.SchemaElement, name string, t arrow.DataType, nullable bool) []format.SchemaElement {
	rep := format.Required
	if nullable {
		rep = format.Optional
	}
	e := format.SchemaElement{Name: name, RepetitionType: thrift.New(rep)}
	switch t := t.(type) {
	case *arrow.ListType:
		e.NumChildren = thrift.New(int32(1))
		e.LogicalType.Value = &format.ListType{}
		e.ConvertedType = thrift.New(deprecated.List)
		es = append(es, e, format.SchemaElement{Name: "list", RepetitionType: thrift.New(format.Repeated), NumChildren: thrift.New(int32(1))})
		return appendElements(es, "element", t.Elem(), t.ElemField().Nullable)
	case *arrow.MapType:
		e.NumChildren = thrift.New(int32(1))
		e.LogicalType.Value = &format.MapType{}
		e.ConvertedType = thrift.New(deprecated.Map)
		es = append(es, e, format.SchemaElement{Name: "key_value", RepetitionType: thrift.New(format.Repeated), NumChildren: thrift.New(int32(2))})
		es = appendElements(es, "key", t.KeyType(), false)
		return appendElements(es, "value", t.ItemType(), t.ItemField().Nullable)
	}
	l, _ := scalarLeaf(0, t, false) // the table's types were checked by leaves
	e.Type = thrift.New(l.phys)
	switch t.ID() {
	case arrow.INT64:
		e.LogicalType.Value, e.ConvertedType = &format.IntType{BitWidth: 64, IsSigned: true}, thrift.New(deprecated.Int64)
	case arrow.UINT64:
		e.LogicalType.Value, e.ConvertedType = &format.IntType{BitWidth: 64}, thrift.New(deprecated.Uint64)
	case arrow.INT32:
		e.LogicalType.Value, e.ConvertedType = &format.IntType{BitWidth: 32, IsSigned: true}, thrift.New(deprecated.Int32)
	case arrow.UINT32:
		e.LogicalType.Value, e.ConvertedType = &format.IntType{BitWidth: 32}, thrift.New(deprecated.Uint32)
	case arrow.UINT8:
		e.LogicalType.Value, e.ConvertedType = &format.IntType{BitWidth: 8}, thrift.New(deprecated.Uint8)
	case arrow.STRING:
		e.LogicalType.Value, e.ConvertedType = &format.StringType{}, thrift.New(deprecated.UTF8)
	}
	return append(es, e)
}
