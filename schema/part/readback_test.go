package part

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/kdf-tools/kdf/schema"
	"github.com/parquet-go/parquet-go"
)

// The tests compare rows as Go values: nil for null, the Arrow type's
// Go type for scalars (uint64 stays uint64), []any for a list and []kv
// for a map.
type kv struct{ k, v any }

// arrowRows returns the rows of rec as Go values.
func arrowRows(rec arrow.RecordBatch) [][]any {
	rows := make([][]any, rec.NumRows())
	for i := range rows {
		rows[i] = make([]any, rec.NumCols())
		for j, a := range rec.Columns() {
			rows[i][j] = arrowValue(a, i)
		}
	}
	return rows
}

func arrowValue(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Int64:
		return a.Value(i)
	case *array.Int32:
		return a.Value(i)
	case *array.Uint64:
		return a.Value(i)
	case *array.Uint32:
		return a.Value(i)
	case *array.Uint8:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.Map:
		s, e := a.ValueOffsets(i)
		m := []kv{}
		for j := int(s); j < int(e); j++ {
			m = append(m, kv{arrowValue(a.Keys(), j), arrowValue(a.Items(), j)})
		}
		return m
	case *array.List:
		s, e := a.ValueOffsets(i)
		l := []any{}
		for j := int(s); j < int(e); j++ {
			l = append(l, arrowValue(a.ListValues(), j))
		}
		return l
	}
	panic(fmt.Sprintf("no Go value for %s", a.DataType()))
}

// readPart opens a part and returns its file and rows as Go values,
// reassembled from the leaf values and their levels by the rules of the
// Parquet format, independently of the writer's encoders.
func readPart(t *testing.T, data []byte, tbl *schema.Table) (*parquet.File, [][]any) {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("opening the part: %v", err)
	}
	var rows [][]any
	for _, rg := range f.RowGroups() {
		rr := rg.Rows()
		buf := make([]parquet.Row, 100)
		for {
			n, err := rr.ReadRows(buf)
			for _, r := range buf[:n] {
				row, err := assemble(r, tbl)
				if err != nil {
					t.Fatalf("row %d: %v", len(rows), err)
				}
				rows = append(rows, row)
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("reading rows: %v", err)
			}
		}
		rr.Close()
	}
	return f, rows
}

// assemble turns one Parquet row (the values of every leaf, with their
// levels) into the table's Go values.
func assemble(r parquet.Row, tbl *schema.Table) ([]any, error) {
	var leaves [][]parquet.Value
	r.Range(func(_ int, vs []parquet.Value) bool {
		leaves = append(leaves, vs)
		return true
	})
	row := make([]any, len(tbl.Columns))
	leaf := 0
	for i, c := range tbl.Columns {
		top := level(c.Nullable)
		var err error
		switch t := c.Type.(type) {
		case *arrow.MapType:
			row[i], err = assembleMap(t, top, leaves[leaf], leaves[leaf+1])
			leaf += 2
		case *arrow.ListType:
			row[i], err = assembleList(t, top, leaves[leaf])
			leaf++
		default:
			vs := leaves[leaf]
			leaf++
			if len(vs) != 1 {
				return nil, fmt.Errorf("column %s: %d values for a scalar", c.Name, len(vs))
			}
			if vs[0].DefinitionLevel() == top {
				row[i], err = goValue(c.Type, vs[0])
			}
		}
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
	}
	return row, nil
}

func assembleList(t *arrow.ListType, top int, vs []parquet.Value) (any, error) {
	if d := vs[0].DefinitionLevel(); len(vs) == 1 && d <= top {
		if d < top {
			return nil, nil
		}
		return []any{}, nil
	}
	elem := level(t.ElemField().Nullable)
	l := []any{}
	for _, v := range vs {
		var x any
		if v.DefinitionLevel() == top+1+elem {
			var err error
			if x, err = goValue(t.Elem(), v); err != nil {
				return nil, err
			}
		}
		l = append(l, x)
	}
	return l, nil
}

func assembleMap(t *arrow.MapType, top int, keys, items []parquet.Value) (any, error) {
	if len(keys) != len(items) {
		return nil, fmt.Errorf("%d keys and %d values", len(keys), len(items))
	}
	if d := keys[0].DefinitionLevel(); len(keys) == 1 && d <= top {
		if d < top {
			return nil, nil
		}
		return []kv{}, nil
	}
	item := level(t.ItemField().Nullable)
	m := []kv{}
	for j := range keys {
		k, err := goValue(t.KeyType(), keys[j])
		if err != nil {
			return nil, err
		}
		var v any
		if items[j].DefinitionLevel() == top+1+item {
			if v, err = goValue(t.ItemType(), items[j]); err != nil {
				return nil, err
			}
		}
		m = append(m, kv{k, v})
	}
	return m, nil
}

// goValue converts a present Parquet value to the Arrow type's Go value,
// checking its physical kind on the way.
func goValue(t arrow.DataType, v parquet.Value) (any, error) {
	want := map[arrow.Type]parquet.Kind{
		arrow.INT64: parquet.Int64, arrow.UINT64: parquet.Int64,
		arrow.INT32: parquet.Int32, arrow.UINT32: parquet.Int32, arrow.UINT8: parquet.Int32,
		arrow.FLOAT64: parquet.Double, arrow.BOOL: parquet.Boolean, arrow.STRING: parquet.ByteArray,
	}[t.ID()]
	if v.IsNull() || v.Kind() != want {
		return nil, fmt.Errorf("value %v for %s, want a %s", v, t, want)
	}
	switch t.ID() {
	case arrow.INT64:
		return v.Int64(), nil
	case arrow.UINT64:
		return v.Uint64(), nil
	case arrow.INT32:
		return v.Int32(), nil
	case arrow.UINT32:
		return v.Uint32(), nil
	case arrow.UINT8:
		if v.Int32() < 0 || v.Int32() > 255 {
			return nil, fmt.Errorf("%d in a UINT(8) column", v.Int32())
		}
		return uint8(v.Int32()), nil
	case arrow.FLOAT64:
		return v.Double(), nil
	case arrow.BOOL:
		return v.Boolean(), nil
	}
	return string(v.ByteArray()), nil
}
