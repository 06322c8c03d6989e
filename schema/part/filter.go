package part

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// filterBatch returns the rows of rec whose keep is true, in new arrays:
// one batch for the writer however scattered the rows dropped are.
func filterBatch(mem memory.Allocator, rec arrow.RecordBatch, keep []bool, kept int) arrow.RecordBatch {
	cols := make([]arrow.Array, rec.NumCols())
	for i, a := range rec.Columns() {
		b := array.NewBuilder(mem, a.DataType())
		b.Reserve(kept)
		for r, k := range keep {
			if k {
				appendRow(b, a, r)
			}
		}
		cols[i] = b.NewArray()
		b.Release()
	}
	out := array.NewRecordBatch(rec.Schema(), cols, int64(kept))
	for _, c := range cols {
		c.Release()
	}
	return out
}

// appendRow appends element i of a to b, a builder of a's type: the
// types of the dataset's tables.
func appendRow(b array.Builder, a arrow.Array, i int) {
	if a.IsNull(i) {
		b.AppendNull()
		return
	}
	switch a := a.(type) {
	case *array.Int64:
		b.(*array.Int64Builder).Append(a.Value(i))
	case *array.Uint64:
		b.(*array.Uint64Builder).Append(a.Value(i))
	case *array.Int32:
		b.(*array.Int32Builder).Append(a.Value(i))
	case *array.Uint32:
		b.(*array.Uint32Builder).Append(a.Value(i))
	case *array.Uint8:
		b.(*array.Uint8Builder).Append(a.Value(i))
	case *array.Float64:
		b.(*array.Float64Builder).Append(a.Value(i))
	case *array.Boolean:
		b.(*array.BooleanBuilder).Append(a.Value(i))
	case *array.String:
		b.(*array.StringBuilder).Append(a.Value(i))
	case *array.Map:
		mb := b.(*array.MapBuilder)
		mb.Append(true)
		s, e := a.ValueOffsets(i)
		for j := int(s); j < int(e); j++ {
			appendRow(mb.KeyBuilder(), a.Keys(), j)
			appendRow(mb.ItemBuilder(), a.Items(), j)
		}
	case *array.List:
		lb := b.(*array.ListBuilder)
		lb.Append(true)
		s, e := a.ValueOffsets(i)
		for j := int(s); j < int(e); j++ {
			appendRow(lb.ValueBuilder(), a.ListValues(), j)
		}
	default:
		panic(fmt.Sprintf("part: no rows of %s", a.DataType())) // the tables have no other type
	}
}
