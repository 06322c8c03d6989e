package part

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kdf-tools/kdf/schema"
)

// dictEncoded gives the batch's Dict string columns, and the elements
// of its lists of strings, as dictionary arrays of int32 indices, with a
// dictionary of the distinct values in an order of their own (last
// seen first), as a caller that builds its dictionary apart from the
// rows would.
func dictEncoded(mem memory.Allocator, tbl *schema.Table, rec arrow.RecordBatch) arrow.RecordBatch {
	fields := make([]arrow.Field, len(tbl.Columns))
	cols := make([]arrow.Array, len(tbl.Columns))
	for i, c := range tbl.Columns {
		fields[i], cols[i] = rec.Schema().Field(i), rec.Column(i)
		switch a := cols[i].(type) {
		case *array.String:
			if c.Dict {
				cols[i] = dictEncodeStrings(mem, a)
				fields[i].Type = cols[i].DataType()
				continue
			}
		case *array.List:
			if s, ok := a.ListValues().(*array.String); ok {
				elems := dictEncodeStrings(mem, s)
				lt := arrow.ListOfField(arrow.Field{Name: "item", Type: elems.DataType(), Nullable: c.Type.(*arrow.ListType).ElemField().Nullable})
				d := array.NewData(lt, a.Len(), a.Data().Buffers(), []arrow.ArrayData{elems.Data()}, a.NullN(), a.Data().Offset())
				cols[i], fields[i].Type = array.NewListData(d), lt
				d.Release()
				elems.Release()
				continue
			}
		}
		cols[i].Retain()
	}
	out := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
	for _, c := range cols {
		c.Release()
	}
	return out
}

// dictEncodeStrings is s dictionary-encoded.
func dictEncodeStrings(mem memory.Allocator, s *array.String) arrow.Array {
	slot := map[string]int32{}
	var values []string
	for j := s.Len() - 1; j >= 0; j-- {
		if _, ok := slot[s.Value(j)]; !ok && s.IsValid(j) {
			slot[s.Value(j)] = int32(len(values))
			values = append(values, s.Value(j))
		}
	}
	db := array.NewStringBuilder(mem)
	db.AppendValues(values, nil)
	dict := db.NewArray()
	db.Release()
	ib := array.NewInt32Builder(mem)
	for j := range s.Len() {
		if s.IsNull(j) {
			ib.AppendNull()
		} else {
			ib.Append(slot[s.Value(j)])
		}
	}
	idx := ib.NewArray()
	ib.Release()
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	out := array.NewDictionaryArray(dt, idx, dict)
	idx.Release()
	dict.Release()
	return out
}

func writeAll(t *testing.T, tbl *schema.Table, recs []arrow.RecordBatch) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, tbl, Options{RowGroupRows: 700})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Dictionary-encoded string columns and list elements are written
// exactly as the same strings given plainly: the part is the same, byte
// for byte, also when the dictionary outgrows its bound and pages go on
// in PLAIN.
func TestDictionaryInput(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, tbl := range []*schema.Table{schema.Records, schema.Calls, schema.Functions} {
		t.Run(tbl.Name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 7))
			var plain, dict []arrow.RecordBatch
			for _, n := range []int{1000, 1, 2500} {
				rec := randomBatch(mem, tbl, rng, n)
				plain, dict = append(plain, rec), append(dict, dictEncoded(mem, tbl, rec))
			}
			plain, dict = append(plain, overflowBatch(mem, tbl)), append(dict, nil)
			dict[len(dict)-1] = dictEncoded(mem, tbl, plain[len(plain)-1])
			a, b := writeAll(t, tbl, plain), writeAll(t, tbl, dict)
			for _, r := range append(plain, dict...) {
				r.Release()
			}
			if !bytes.Equal(a, b) {
				t.Errorf("the dictionary-encoded batches wrote a part of %d bytes, the plain ones %d, not the same bytes", len(b), len(a))
			}
		})
	}
}

// overflowBatch has a Dict column of distinct long strings, more than a
// dictionary page holds.
func overflowBatch(mem memory.Allocator, tbl *schema.Table) arrow.RecordBatch {
	rng := rand.New(rand.NewPCG(1, 2))
	rec := randomBatch(mem, tbl, rng, 20000)
	defer rec.Release()
	cols := make([]arrow.Array, len(tbl.Columns))
	done := false
	for i, c := range tbl.Columns {
		if c.Dict && c.Type.ID() == arrow.STRING && !done {
			b := array.NewStringBuilder(mem)
			for j := range 20000 {
				b.Append(fmt.Sprintf("%064d", j))
			}
			cols[i] = b.NewArray()
			b.Release()
			done = true
			continue
		}
		cols[i] = rec.Column(i)
		cols[i].Retain()
	}
	out := array.NewRecordBatch(rec.Schema(), cols, rec.NumRows())
	for _, c := range cols {
		c.Release()
	}
	return out
}
