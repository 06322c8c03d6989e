package pipeline

import (
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kdf-tools/kdf/schema"
)

// row is one row of a small table (runs, rejects, functions) as column
// name to value; nil is null. The large tables are built column-wise.
type row map[string]any

// buildRows turns rows into an Arrow batch of table t.
func buildRows(mem memory.Allocator, t *schema.Table, rows []row) (arrow.RecordBatch, error) {
	b := array.NewRecordBuilder(mem, t.Schema())
	defer b.Release()
	for _, r := range rows {
		for i, c := range t.Columns {
			if err := appendValue(b.Field(i), r[c.Name]); err != nil {
				return nil, fmt.Errorf("%s.%s: %w", t.Name, c.Name, err)
			}
		}
	}
	return b.NewRecordBatch(), nil
}

func appendValue(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	switch b := b.(type) {
	case *array.Int64Builder:
		b.Append(v.(int64))
	case *array.Int32Builder:
		b.Append(v.(int32))
	case *array.Uint64Builder:
		b.Append(v.(uint64))
	case *array.Uint32Builder:
		b.Append(v.(uint32))
	case *array.Float64Builder:
		b.Append(v.(float64))
	case *array.BooleanBuilder:
		b.Append(v.(bool))
	case *array.StringBuilder:
		b.Append(v.(string))
	case *array.MapBuilder:
		m := v.(map[string]string)
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range m {
				if !yield(k) {
					return
				}
			}
		})
		b.Append(true)
		kb, ib := b.KeyBuilder().(*array.StringBuilder), b.ItemBuilder().(*array.StringBuilder)
		for _, k := range keys {
			kb.Append(k)
			ib.Append(m[k])
		}
	default:
		return fmt.Errorf("no appender for %T", b)
	}
	return nil
}
