package part

import (
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/kdf-tools/kdf/schema"
)

// Row is one row of a part as a Rewrite filter sees it: its flat
// (non-list) columns by name.
type Row interface {
	Int64(col string) int64   // int64/int32/uint32/uint8 columns, as int64
	String(col string) string // string columns ("" when null)
	Null(col string) bool
}

// arrowRow is row i of some Arrow columns. Asking it for a column it
// does not have, or a string of a number column, is a bug of the
// caller's, and panics.
type arrowRow struct {
	cols map[string]arrow.Array
	i    int
}

func (r *arrowRow) col(name string) arrow.Array {
	a, ok := r.cols[name]
	if !ok {
		panic(fmt.Sprintf("part: Row has no flat column %q", name))
	}
	return a
}

// Int64 returns the value, 0 when null; a uint64 comes out as the int64
// of the same bits.
func (r *arrowRow) Int64(name string) int64 {
	switch a := r.col(name).(type) {
	case *array.Int64:
		return a.Value(r.i)
	case *array.Int32:
		return int64(a.Value(r.i))
	case *array.Uint32:
		return int64(a.Value(r.i))
	case *array.Uint8:
		return int64(a.Value(r.i))
	case *array.Uint64:
		return int64(a.Value(r.i))
	}
	panic(fmt.Sprintf("part: column %q is not an integer column", name))
}

// String returns the value, "" when null. It stays valid after the
// callback returns: the arrays are Go memory.
func (r *arrowRow) String(name string) string {
	a, ok := r.col(name).(*array.String)
	if !ok {
		panic(fmt.Sprintf("part: column %q is not a string column", name))
	}
	if a.IsNull(r.i) {
		return ""
	}
	return a.Value(r.i)
}

func (r *arrowRow) Null(name string) bool { return r.col(name).IsNull(r.i) }

// rowOf returns a Row over the flat columns of rec.
func rowOf(rec arrow.RecordBatch) *arrowRow {
	r := &arrowRow{cols: map[string]arrow.Array{}}
	for i, f := range rec.Schema().Fields() {
		switch f.Type.(type) {
		case *arrow.ListType, *arrow.MapType:
		default:
			r.cols[f.Name] = rec.Column(i)
		}
	}
	return r
}

// Scan calls fn for every row of the part src with the named flat
// columns readable through Row; only those columns are decoded. The
// part's table is the one its footer names (kdf.table). Row groups are
// read one at a time; an error of fn stops the scan and is returned.
func Scan(src io.ReaderAt, size int64, cols []string, fn func(Row) error) error {
	r, err := openPart(src, size)
	if err != nil {
		return err
	}
	t := r.table
	idx := make([]int, len(cols))
	for i, name := range cols {
		if idx[i], _ = flatColumn(t, name); idx[i] < 0 {
			return fmt.Errorf("part: table %s has no flat column %q", t.Name, name)
		}
	}
	mem := memory.NewGoAllocator()
	for g := range r.foot.groups {
		rec, err := r.readGroup(mem, g, idx)
		if err != nil {
			return err
		}
		row := rowOf(rec)
		for row.i = 0; row.i < int(rec.NumRows()); row.i++ {
			if err := fn(row); err != nil {
				rec.Release()
				return err
			}
		}
		rec.Release()
	}
	return nil
}

// Rewrite writes to dst the rows of the part src (size bytes, a part of
// table t) for which keep returns true (nil keep: every row), with the
// writer's options, so strings come out valid UTF-8. It returns the
// rows kept and dropped. It holds one row group of src at a time, as
// Arrow arrays.
func Rewrite(dst io.Writer, src io.ReaderAt, size int64, t *schema.Table, opt Options, keep func(Row) bool) (kept, dropped int64, err error) {
	r, err := openReader(src, size, t)
	if err != nil {
		return 0, 0, err
	}
	w, err := NewWriter(dst, t, opt)
	if err != nil {
		return 0, 0, err
	}
	mem := memory.NewGoAllocator()
	for g := range r.foot.groups {
		rec, err := r.readGroup(mem, g, nil)
		if err != nil {
			return kept, dropped, err
		}
		n, err := writeKept(w, mem, rec, keep)
		rec.Release()
		kept, dropped = kept+n, dropped+rec.NumRows()-n
		if err != nil {
			return kept, dropped, err
		}
	}
	return kept, dropped, w.Close()
}

// writeKept writes the rows of rec that keep keeps, and returns how
// many.
func writeKept(w *Writer, mem memory.Allocator, rec arrow.RecordBatch, keep func(Row) bool) (int64, error) {
	if keep == nil {
		return rec.NumRows(), w.Write(rec)
	}
	row := rowOf(rec)
	mask := make([]bool, rec.NumRows())
	n := 0
	for row.i = range mask {
		if mask[row.i] = keep(row); mask[row.i] {
			n++
		}
	}
	if n == len(mask) {
		return int64(n), w.Write(rec)
	}
	kept := filterBatch(mem, rec, mask, n)
	defer kept.Release()
	return int64(n), w.Write(kept)
}
