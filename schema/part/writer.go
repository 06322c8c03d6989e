package part

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/kdf-tools/kdf/schema"
	"github.com/parquet-go/parquet-go"
)

// chunkRows is how many rows of one column are turned into Parquet
// values at a time: small enough for the values to stay in cache and
// for a page to overshoot its size by little, large enough to amortise
// the calls.
const chunkRows = 2048

// Writer writes one Parquet file of one table from Arrow record batches.
// It is not safe for concurrent use; write parts in parallel with one
// Writer each.
type Writer struct {
	table *schema.Table
	opt   Options
	pw    *parquet.Writer
	// leaves[i] are the encoders of column i's leaf columns, whose
	// writers are cols[first[i]:first[i]+len(leaves[i])].
	leaves [][]leafEncoder
	first  []int
	cols   []*parquet.ColumnWriter
	vals   []parquet.Value

	inGroup int   // rows in the open row group
	rows    int64 // rows written
	err     error // the first failure; the writer is unusable after it
}

// NewWriter returns a Writer of table t's rows to w. Close writes the
// footer; w is not closed.
func NewWriter(w io.Writer, t *schema.Table, opt Options) (*Writer, error) {
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
	pw := parquet.NewWriter(w, opt.writerOptions(s, codec)...)
	pw.SetKeyValueMetadata("kdf.table", t.Name)
	pw.SetKeyValueMetadata("kdf.schema_version", strconv.Itoa(schema.Version))
	wr := &Writer{table: t, opt: opt, pw: pw, cols: pw.ColumnWriters()}
	n := 0
	for _, c := range t.Columns {
		enc, err := leafEncoders(c)
		if err != nil {
			return nil, fmt.Errorf("part: table %s: column %s: %w", t.Name, c.Name, err)
		}
		wr.leaves = append(wr.leaves, enc)
		wr.first = append(wr.first, n)
		n += len(enc)
	}
	if n != len(wr.cols) {
		return nil, fmt.Errorf("part: table %s: %d leaf encoders for %d Parquet columns", t.Name, n, len(wr.cols))
	}
	return wr, nil
}

// Rows returns the number of rows written so far.
func (w *Writer) Rows() int64 { return w.rows }

// Write appends the rows of rec, whose schema must be the table's. The
// caller may release rec when Write returns: nothing of it is kept.
func (w *Writer) Write(rec arrow.RecordBatch) error {
	if w.err != nil {
		return w.err
	}
	if err := w.check(rec); err != nil {
		return err
	}
	n := int(rec.NumRows())
	for lo := 0; lo < n; {
		hi := min(n, lo+w.opt.RowGroupRows-w.inGroup)
		if err := w.writeRows(rec, lo, hi); err != nil {
			w.err = err
			return err
		}
		w.inGroup += hi - lo
		w.rows += int64(hi - lo)
		lo = hi
		if w.inGroup == w.opt.RowGroupRows {
			if err := w.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeRows writes rows [lo, hi) of rec into the open row group, column
// after column, so that each Arrow column is read while it is in cache.
func (w *Writer) writeRows(rec arrow.RecordBatch, lo, hi int) error {
	for i, leaves := range w.leaves {
		a := rec.Column(i)
		for j, enc := range leaves {
			cw := w.cols[w.first[i]+j]
			for s := lo; s < hi; s += chunkRows {
				w.vals = enc(w.vals[:0], a, s, min(hi, s+chunkRows))
				if _, err := cw.WriteRowValues(w.vals); err != nil {
					return fmt.Errorf("part: table %s: column %s: %w", w.table.Name, w.table.Columns[i].Name, err)
				}
			}
		}
	}
	clear(w.vals) // drop the pointers into rec's buffers
	return nil
}

// check rejects a batch that does not have the table's columns, or has
// nulls in a required column (Parquet cannot store them, and writing a
// zero instead would be a silent lie).
func (w *Writer) check(rec arrow.RecordBatch) error {
	cols := w.table.Columns
	if int(rec.NumCols()) != len(cols) {
		return fmt.Errorf("part: table %s: batch has %d columns, the table %d", w.table.Name, rec.NumCols(), len(cols))
	}
	for i, c := range cols {
		a := rec.Column(i)
		switch {
		case rec.ColumnName(i) != c.Name:
			return fmt.Errorf("part: table %s: batch column %d is %q, the table's %q", w.table.Name, i, rec.ColumnName(i), c.Name)
		case !arrow.TypeEqual(a.DataType(), c.Type):
			return fmt.Errorf("part: table %s: column %s is %s, the table says %s", w.table.Name, c.Name, a.DataType(), c.Type)
		case !c.Nullable && a.NullN() > 0:
			return fmt.Errorf("part: table %s: column %s is required but has %d nulls", w.table.Name, c.Name, a.NullN())
		}
	}
	return nil
}

// flush ends the open row group.
func (w *Writer) flush() error {
	if err := w.pw.Flush(); err != nil {
		w.err = fmt.Errorf("part: table %s: writing a row group: %w", w.table.Name, err)
		return w.err
	}
	w.inGroup = 0
	return nil
}

// errClosed is returned by a Writer used after Close.
var errClosed = errors.New("part: writer is closed")

// Close writes the last row group and the footer. It does not close the
// io.Writer given to NewWriter.
func (w *Writer) Close() error {
	if w.err != nil {
		if w.err == errClosed {
			return nil
		}
		return w.err
	}
	if err := w.pw.Close(); err != nil {
		w.err = fmt.Errorf("part: table %s: closing: %w", w.table.Name, err)
		return w.err
	}
	w.err = errClosed
	return nil
}
