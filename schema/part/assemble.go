package part

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/kdf-tools/kdf/schema"
)

// readColumn decodes table column col of row group g into an Arrow
// array of the column's type.
func (r *reader) readColumn(mem memory.Allocator, g, col int) (arrow.Array, error) {
	var ls []*leaf
	var ds []*leafData
	for j := range r.leaves {
		if r.leaves[j].col != col {
			continue
		}
		d, err := r.readLeaf(g, j)
		if err != nil {
			return nil, err
		}
		ls, ds = append(ls, &r.leaves[j]), append(ds, d)
	}
	c := r.table.Columns[col]
	b := array.NewBuilder(mem, c.Type)
	defer b.Release()
	rows := int(r.foot.groups[g].numRows)
	var err error
	switch b := b.(type) {
	case *array.ListBuilder:
		err = buildList(b, ls[0], ds[0], rows)
	case *array.MapBuilder:
		err = buildMap(b, ls, ds, rows)
	default:
		err = buildFlat(b, ls[0], ds[0], rows)
	}
	if err != nil {
		return nil, &FormatError{Offset: chunkStart(&r.foot.groups[g].chunks[indexOf(r.leaves, ls[0])]), Column: c.Name, Msg: fmt.Sprintf("row group %d", g), Err: err}
	}
	return b.NewArray(), nil
}

func indexOf(ls []leaf, l *leaf) int {
	for i := range ls {
		if &ls[i] == l {
			return i
		}
	}
	return -1
}

// buildFlat appends rows values of a scalar column: a definition
// level of 0 is a null.
func buildFlat(b array.Builder, l *leaf, d *leafData, rows int) error {
	if n := d.levels(l); n != rows {
		return fmt.Errorf("%d values for %d rows", n, rows)
	}
	var valid []bool
	present := rows
	if l.maxDef > 0 {
		valid = make([]bool, rows)
		present = 0
		for i, def := range d.def {
			valid[i] = def != 0
			present += int(def)
		}
	}
	v := &d.vals
	if v.len() != present {
		return fmt.Errorf("%d values for %d present rows", v.len(), present)
	}
	switch b := b.(type) {
	case *array.Int64Builder:
		b.AppendValues(dense(v.ints, valid, func(x int64) int64 { return x }), valid)
	case *array.Uint64Builder:
		b.AppendValues(dense(v.ints, valid, func(x int64) uint64 { return uint64(x) }), valid)
	case *array.Int32Builder:
		b.AppendValues(dense(v.ints, valid, func(x int64) int32 { return int32(x) }), valid)
	case *array.Uint32Builder:
		b.AppendValues(dense(v.ints, valid, func(x int64) uint32 { return uint32(x) }), valid)
	case *array.Float64Builder:
		b.AppendValues(dense(v.floats, valid, func(x float64) float64 { return x }), valid)
	case *array.BooleanBuilder:
		b.AppendValues(dense(v.ints, valid, func(x int64) bool { return x != 0 }), valid)
	case *array.StringBuilder:
		b.Reserve(rows)
		b.ReserveData(len(v.strs))
		k := 0
		for i := range rows {
			if valid != nil && !valid[i] {
				b.AppendNull()
				continue
			}
			b.BinaryBuilder.Append(v.strs[v.offs[k]:v.offs[k+1]])
			k++
		}
	default:
		k := 0
		for i := range rows {
			if valid != nil && !valid[i] {
				b.AppendNull()
				continue
			}
			if err := appendValue(b, v, k); err != nil {
				return err
			}
			k++
		}
	}
	return nil
}

// dense converts present values to a column's Go type, one per row,
// zero where valid says null (valid nil: all present).
func dense[S, T any](vs []S, valid []bool, conv func(S) T) []T {
	out := make([]T, max(len(vs), len(valid)))
	k := 0
	for i := range out {
		if valid == nil || valid[i] {
			out[i] = conv(vs[k])
			k++
		}
	}
	return out
}

// appendValue appends value k of v to a builder of its column's type.
func appendValue(b array.Builder, v *leafValues, k int) error {
	if k >= v.len() {
		return fmt.Errorf("fewer values than the levels say")
	}
	switch b := b.(type) {
	case *array.Int64Builder:
		b.Append(v.ints[k])
	case *array.Uint64Builder:
		b.Append(uint64(v.ints[k]))
	case *array.Int32Builder:
		b.Append(int32(v.ints[k]))
	case *array.Uint32Builder:
		b.Append(uint32(v.ints[k]))
	case *array.Uint8Builder:
		if v.ints[k] < 0 || v.ints[k] > math.MaxUint8 {
			return fmt.Errorf("%d in a UINT(8) column", v.ints[k])
		}
		b.Append(uint8(v.ints[k]))
	case *array.Float64Builder:
		b.Append(v.floats[k])
	case *array.BooleanBuilder:
		b.Append(v.ints[k] != 0)
	case *array.StringBuilder:
		b.BinaryBuilder.Append(v.strs[v.offs[k]:v.offs[k+1]])
	default:
		return fmt.Errorf("no values for %s", b.Type())
	}
	return nil
}

// nestedRows walks the levels of a list or map leaf row by row: f gets
// each row's first level and its number of levels. A row is null when
// its first definition level is below top, empty when it is top.
func nestedRows(l *leaf, d *leafData, rows int, f func(first, n int) error) error {
	if len(d.rep) != len(d.def) {
		return fmt.Errorf("%d repetition and %d definition levels", len(d.rep), len(d.def))
	}
	row := 0
	for i := 0; i < len(d.rep); {
		if d.rep[i] != 0 {
			return fmt.Errorf("level %d continues a row that did not start", i)
		}
		j := i + 1
		for j < len(d.rep) && d.rep[j] != 0 {
			j++
		}
		if row++; row > rows {
			break
		}
		if err := f(i, j-i); err != nil {
			return err
		}
		i = j
	}
	if row != rows {
		return fmt.Errorf("%d rows of levels for %d rows", row, rows)
	}
	return nil
}

func buildList(b *array.ListBuilder, l *leaf, d *leafData, rows int) error {
	vb := b.ValueBuilder()
	k := 0
	return nestedRows(l, d, rows, func(first, n int) error {
		switch def := int(d.def[first]); {
		case def < l.top:
			b.AppendNull()
			return nil
		case def == l.top:
			b.AppendEmptyValue()
			return nil
		}
		b.Append(true)
		for _, def := range d.def[first : first+n] {
			if int(def) < l.maxDef {
				vb.AppendNull()
				continue
			}
			if err := appendValue(vb, &d.vals, k); err != nil {
				return err
			}
			k++
		}
		return nil
	})
}

// buildMap appends rows of a map column from its keys' leaf and its
// values' leaf, whose levels must describe the same rows.
func buildMap(b *array.MapBuilder, ls []*leaf, ds []*leafData, rows int) error {
	if len(ds) != 2 || len(ds[0].rep) != len(ds[1].rep) {
		return fmt.Errorf("keys and values of different lengths")
	}
	kl, vl, keys, vals := ls[0], ls[1], ds[0], ds[1]
	kb, vb := b.KeyBuilder(), b.ItemBuilder()
	k, v := 0, 0
	return nestedRows(kl, keys, rows, func(first, n int) error {
		switch def := int(keys.def[first]); {
		case def < kl.top:
			b.AppendNull()
			return nil
		case def == kl.top:
			b.AppendEmptyValue()
			return nil
		}
		b.Append(true)
		for i := first; i < first+n; i++ {
			if vals.rep[i] != keys.rep[i] || int(keys.def[i]) != kl.maxDef {
				return fmt.Errorf("entry %d: a null key, or values out of step with keys", i)
			}
			if err := appendValue(kb, &keys.vals, k); err != nil {
				return err
			}
			k++
			if int(vals.def[i]) < vl.maxDef {
				vb.AppendNull()
				continue
			}
			if err := appendValue(vb, &vals.vals, v); err != nil {
				return err
			}
			v++
		}
		return nil
	})
}

// readGroup decodes the named columns (all when nil) of row group g.
func (r *reader) readGroup(mem memory.Allocator, g int, cols []int) (arrow.RecordBatch, error) {
	if cols == nil {
		for i := range r.table.Columns {
			cols = append(cols, i)
		}
	}
	arrays := make([]arrow.Array, 0, len(cols))
	fields := make([]arrow.Field, 0, len(cols))
	defer func() {
		for _, a := range arrays {
			a.Release()
		}
	}()
	all := r.table.Schema().Fields()
	for _, c := range cols {
		a, err := r.readColumn(mem, g, c)
		if err != nil {
			return nil, err
		}
		arrays, fields = append(arrays, a), append(fields, all[c])
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), arrays, r.foot.groups[g].numRows), nil
}

// flatColumn returns the index of a column of t that is not a list or a
// map.
func flatColumn(t *schema.Table, name string) (int, bool) {
	i := t.Index(name)
	if i < 0 {
		return -1, false
	}
	switch t.Columns[i].Type.(type) {
	case *arrow.ListType, *arrow.MapType:
		return -1, false
	}
	return i, true
}
