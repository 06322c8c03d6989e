package part

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/kdf-tools/kdf/schema"
	"github.com/parquet-go/parquet-go"
)

// Row is one row of a part as Scan and Rewrite show it: its flat
// (non-list, non-map) columns by name.
type Row interface {
	Int64(col string) int64   // an integer column, as int64 (uint64 bits kept)
	String(col string) string // a string column; "" when null
	Null(col string) bool
}

// Scan calls fn for every row of the part src with the named flat
// columns readable through Row; only those columns are read, a row
// group at a time.
func Scan(src io.ReaderAt, size int64, cols []string, fn func(Row) error) error {
	f, idx, err := openColumns(src, size, cols)
	if err != nil {
		return err
	}
	for g, rg := range f.RowGroups() {
		vals := make([][]parquet.Value, len(cols))
		for i := range cols {
			if vals[i], err = readChunk(rg.ColumnChunks()[idx[i]]); err != nil {
				return fmt.Errorf("part: row group %d, column %s: %w", g, cols[i], err)
			}
			if int64(len(vals[i])) != rg.NumRows() {
				return fmt.Errorf("part: row group %d, column %s: %d values for %d rows: not a flat column", g, cols[i], len(vals[i]), rg.NumRows())
			}
		}
		r := &chunkRow{names: cols, vals: vals}
		for r.i = 0; r.i < int(rg.NumRows()); r.i++ {
			if err := fn(r); err != nil {
				return err
			}
		}
	}
	return nil
}

func openColumns(src io.ReaderAt, size int64, cols []string) (*parquet.File, []int, error) {
	f, err := parquet.OpenFile(src, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, nil, fmt.Errorf("part: not a readable Parquet file: %w", err)
	}
	idx := make([]int, len(cols))
	for i, c := range cols {
		leaf, ok := f.Schema().Lookup(c)
		if !ok {
			return nil, nil, fmt.Errorf("part: no column %q", c)
		}
		idx[i] = leaf.ColumnIndex
	}
	return f, idx, nil
}

// readChunk reads every value of a column chunk.
func readChunk(cc parquet.ColumnChunk) ([]parquet.Value, error) {
	pages := cc.Pages()
	defer pages.Close()
	var out []parquet.Value
	buf := make([]parquet.Value, 1024)
	for {
		p, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		r := p.Values()
		for {
			n, err := r.ReadValues(buf)
			for _, v := range buf[:n] {
				out = append(out, v.Clone())
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				parquet.Release(p)
				return nil, err
			}
		}
		parquet.Release(p)
	}
}

type chunkRow struct {
	names []string
	vals  [][]parquet.Value
	i     int
}

func (r *chunkRow) value(col string) parquet.Value {
	for k, n := range r.names {
		if n == col {
			return r.vals[k][r.i]
		}
	}
	panic("part: column " + strconv.Quote(col) + " was not scanned")
}

func (r *chunkRow) Int64(col string) int64 {
	v := r.value(col)
	if v.Kind() == parquet.Int32 {
		return int64(v.Int32())
	}
	return v.Int64()
}

func (r *chunkRow) String(col string) string { return string(r.value(col).ByteArray()) }
func (r *chunkRow) Null(col string) bool     { return r.value(col).IsNull() }

// Rewrite writes to dst the rows of the part src (size bytes, a part of
// table t) for which keep returns true (every row, for a nil keep), with
// the options opt. It returns the rows kept and dropped.
func Rewrite(dst io.Writer, src io.ReaderAt, size int64, t *schema.Table, opt Options, keep func(Row) bool) (kept, dropped int64, err error) {
	f, err := parquet.OpenFile(src, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return 0, 0, fmt.Errorf("part: not a readable Parquet file: %w", err)
	}
	if name, _ := f.Lookup("kdf.table"); name != t.Name {
		return 0, 0, fmt.Errorf("part: a part of table %q, not %s", name, t.Name)
	}
	w, err := newRowWriter(dst, t, opt)
	if err != nil {
		return 0, 0, err
	}
	flat := map[string]int{}
	for _, c := range t.Columns {
		if leaf, ok := f.Schema().Lookup(c.Name); ok {
			flat[c.Name] = leaf.ColumnIndex
		}
	}
	buf := make([]parquet.Row, 256)
	for g, rg := range f.RowGroups() {
		rows := rg.Rows()
		for {
			n, rerr := rows.ReadRows(buf)
			for _, row := range buf[:n] {
				if keep != nil && !keep(&wholeRow{row: row, flat: flat}) {
					dropped++
					continue
				}
				if _, err := w.WriteRows([]parquet.Row{row}); err != nil {
					rows.Close()
					return kept, dropped, fmt.Errorf("part: table %s: %w", t.Name, err)
				}
				kept++
			}
			if errors.Is(rerr, io.EOF) {
				break
			}
			if rerr != nil {
				rows.Close()
				return kept, dropped, fmt.Errorf("part: row group %d: %w", g, rerr)
			}
		}
		rows.Close()
	}
	if err := w.Close(); err != nil {
		return kept, dropped, fmt.Errorf("part: table %s: closing: %w", t.Name, err)
	}
	return kept, dropped, nil
}

func newRowWriter(dst io.Writer, t *schema.Table, opt Options) (*parquet.Writer, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	codec, err := opt.Compression.codec()
	if err != nil {
		return nil, err
	}
	s, err := layout(t)
	if err != nil {
		return nil, err
	}
	pw := parquet.NewWriter(dst, opt.writerOptions(s, codec)...)
	pw.SetKeyValueMetadata("kdf.table", t.Name)
	pw.SetKeyValueMetadata("kdf.schema_version", strconv.Itoa(schema.Version))
	return pw, nil
}

// wholeRow is a parquet.Row seen through Row.
type wholeRow struct {
	row  parquet.Row
	flat map[string]int
}

func (r *wholeRow) value(col string) parquet.Value {
	idx, ok := r.flat[col]
	if ok {
		for _, v := range r.row {
			if v.Column() == idx {
				return v
			}
		}
	}
	panic("part: no flat column " + strconv.Quote(col))
}

func (r *wholeRow) Int64(col string) int64 {
	v := r.value(col)
	if v.Kind() == parquet.Int32 {
		return int64(v.Int32())
	}
	return v.Int64()
}

func (r *wholeRow) String(col string) string { return string(r.value(col).ByteArray()) }
func (r *wholeRow) Null(col string) bool     { return r.value(col).IsNull() }
