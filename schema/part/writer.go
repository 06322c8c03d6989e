package part

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/kdf-tools/kdf/schema"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Writer writes one Parquet file of one table from Arrow record batches.
// It is not safe for concurrent use; write parts in parallel with one
// Writer each.
type Writer struct {
	table  *schema.Table
	opt    Options
	codec  compress.Codec
	out    *bufio.Writer
	offset int64 // bytes written to out
	cols   []*column

	groups       []format.RowGroup
	columnIndex  []format.ColumnIndex // per row group, per column
	offsetIndex  []format.OffsetIndex
	inGroup      int   // rows in the open row group
	rows         int64 // rows written
	page, zpage  []byte
	headerBuf    bytes.Buffer
	headerWriter *thrift.Encoder
	err          error // the first failure; the writer is unusable after it
}

// magic opens and closes every Parquet file.
const magic = "PAR1"

// writeBuffer is the size of the writes to the io.Writer, which gets
// each page in pieces (header, then data).
const writeBuffer = 256 << 10

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
	ls, err := leaves(t)
	if err != nil {
		return nil, err
	}
	wr := &Writer{table: t, opt: opt, codec: codec, out: bufio.NewWriterSize(w, writeBuffer)}
	for i := range ls {
		wr.cols = append(wr.cols, newColumn(&ls[i]))
	}
	wr.headerWriter = thrift.NewEncoder(new(thrift.CompactProtocol).NewWriter(&wr.headerBuf))
	return wr, nil
}

// Reset makes w write a new part to dst, byte for byte as a new Writer
// would, dropping what it had not written; it keeps the memory its
// columns grew (pages, chunks, dictionary tables), so that a worker
// writing part after part does not grow them afresh for each.
func (w *Writer) Reset(dst io.Writer) {
	w.out.Reset(dst)
	w.offset, w.inGroup, w.rows, w.err = 0, 0, 0, nil
	w.groups, w.columnIndex, w.offsetIndex = nil, nil, nil
	for _, c := range w.cols {
		c.reset()
	}
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
	for _, c := range w.cols {
		a := rec.Column(c.col)
		if err := c.write(w, a, leafArray(c.leaf, a), lo, hi); err != nil {
			return fmt.Errorf("part: table %s: column %s: %w", w.table.Name, w.table.Columns[c.col].Name, err)
		}
	}
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
		case !arrow.TypeEqual(a.DataType(), c.Type) && !dictOf(a.DataType(), c):
			return fmt.Errorf("part: table %s: column %s is %s, the table says %s", w.table.Name, c.Name, a.DataType(), c.Type)
		case !c.Nullable && a.NullN() > 0:
			return fmt.Errorf("part: table %s: column %s is required but has %d nulls", w.table.Name, c.Name, a.NullN())
		}
	}
	return nil
}

// dictOf reports whether t dictionary-encodes a string column the table
// marks Dict, or the elements of a list of strings (always
// dictionary-encoded), with int32 indices: a batch may give such a
// column so (the values are written the same), which spares the writer
// a string's hashing per value.
func dictOf(t arrow.DataType, c schema.Column) bool {
	if l, ok := t.(*arrow.ListType); ok {
		cl, ok := c.Type.(*arrow.ListType)
		return ok && l.ElemField().Nullable == cl.ElemField().Nullable &&
			dictOf(l.Elem(), schema.Column{Type: cl.Elem(), Dict: cl.Elem().ID() == arrow.STRING})
	}
	d, ok := t.(*arrow.DictionaryType)
	return ok && c.Dict && d.IndexType.ID() == arrow.INT32 && arrow.TypeEqual(d.ValueType, c.Type)
}

// header returns a page header in the thrift compact encoding, in a
// buffer reused by the next call.
func (w *Writer) header(h *format.PageHeader) ([]byte, error) {
	w.headerBuf.Reset()
	err := w.headerWriter.Encode(h)
	return w.headerBuf.Bytes(), err
}

// crc is a page's checksum: CRC-32 (IEEE) of its bytes as stored.
func crc(data []byte) int32 { return int32(crc32.ChecksumIEEE(data)) }

// write writes b to the part, after the magic if it is the first write.
func (w *Writer) write(b []byte) error {
	if w.offset == 0 {
		n, err := io.WriteString(w.out, magic)
		w.offset += int64(n)
		if err != nil {
			return err
		}
	}
	if len(b) == 0 {
		return nil
	}
	n, err := w.out.Write(b)
	w.offset += int64(n)
	return err
}

// flush ends the open row group: each column's chunk, its dictionary
// page first, is written out.
func (w *Writer) flush() error {
	if err := w.flushGroup(); err != nil {
		w.err = fmt.Errorf("part: table %s: writing a row group: %w", w.table.Name, err)
		return w.err
	}
	w.inGroup = 0
	return nil
}

func (w *Writer) flushGroup() error {
	if len(w.groups) == math.MaxInt16 {
		return errors.New("too many row groups")
	}
	if err := w.write(nil); err != nil {
		return err
	}
	g := format.RowGroup{NumRows: int64(w.inGroup), FileOffset: w.offset, Ordinal: int16(len(w.groups))}
	for _, c := range w.cols {
		cc, err := w.writeChunk(c)
		if err != nil {
			return fmt.Errorf("column %s: %w", w.table.Columns[c.col].Name, err)
		}
		g.Columns = append(g.Columns, cc)
		g.TotalByteSize += cc.MetaData.TotalUncompressedSize
		g.TotalCompressedSize += cc.MetaData.TotalCompressedSize
	}
	w.groups = append(w.groups, g)
	return nil
}

// writeChunk writes a column's chunk of the open row group and returns
// its metadata; its page index is kept for the footer.
func (w *Writer) writeChunk(c *column) (format.ColumnChunk, error) {
	if err := c.flushPage(w); err != nil {
		return format.ColumnChunk{}, err
	}
	ch := &c.chunk
	md := format.ColumnMetaData{
		Type:         c.phys,
		PathInSchema: c.path,
		Codec:        format.Uncompressed,
		NumValues:    ch.values,
		Statistics:   format.Statistics{NullCount: ch.nulls},
	}
	if ch.has {
		md.Statistics.MinValue, md.Statistics.MaxValue = ch.lo, ch.hi
	}
	if c.maxDef > 0 || c.maxRep > 0 {
		md.SizeStatistics.DefinitionLevelHistogram = slices.Clone(ch.defHist)
		md.SizeStatistics.RepetitionLevelHistogram = slices.Clone(ch.repHist)
	}
	z := w.chunkCodec(c)
	if z != nil {
		md.Codec = z.CompressionCodec()
	}
	if err := w.writeDictionary(c, z, &md); err != nil {
		return format.ColumnChunk{}, err
	}
	md.DataPageOffset = w.offset
	offsets := format.OffsetIndex{PageLocations: make([]format.PageLocation, len(ch.pages))}
	for i, p := range ch.pages {
		data, err := w.pageData(c, z, i)
		if err != nil {
			return format.ColumnChunk{}, err
		}
		start := w.offset
		if err := w.writePage(data, format.PageHeader{
			Type:                 format.DataPage,
			UncompressedPageSize: p.size,
			DataPageHeader: thrift.New(format.DataPageHeader{
				NumValues:               p.numValues,
				Encoding:                p.encoding,
				DefinitionLevelEncoding: format.RLE,
				RepetitionLevelEncoding: format.RLE,
			}),
		}, &md); err != nil {
			return format.ColumnChunk{}, err
		}
		offsets.PageLocations[i] = format.PageLocation{Offset: start, CompressedPageSize: int32(w.offset - start), FirstRowIndex: p.firstRow}
		md.EncodingStats = countPage(md.EncodingStats, format.DataPage, p.encoding)
	}
	md.Encoding = chunkEncodings(c, md.EncodingStats)
	ch.index.BoundaryOrder = boundaryOrder(&ch.index, c.compare)
	w.columnIndex = append(w.columnIndex, ch.index)
	w.offsetIndex = append(w.offsetIndex, offsets)
	c.resetChunk()
	return format.ColumnChunk{MetaData: md}, nil
}

// pageData returns the i-th data page of a column's chunk as it is
// written: as it was compressed, or decompressed again when the column
// is stored (z nil).
func (w *Writer) pageData(c *column, z compress.Codec, i int) ([]byte, error) {
	data := c.chunk.page(i)
	if c.chunk.packed && z == nil {
		var err error
		w.zpage, err = w.codec.Decode(w.zpage[:0], data)
		return w.zpage, err
	}
	return data, nil
}

// minSaving is the share of its size that compression must save on a
// column's first chunk for the column to be compressed.
const minSaving = 0.05

// chunkCodec returns the codec of a column's chunks: the writer's,
// unless it saved less than minSaving on the column's first chunk (nil
// then: the column is stored, and the pages of that first chunk are
// decompressed again). Bit-packed dictionary indexes of symbols, pcs
// and offsets in functions shrink by 0 to 4% and cost zstd 2 to 4 ns a
// byte. The whole chunk decides: a dictionary's indexes grow more
// compressible as the dictionary grows, and zstd at its fastest level
// leaves a page of skewed indexes uncompressed when it finds no match in
// it, which some pages of a column have and others not. The choice
// holds for the whole part: parquet-go reads every chunk of a column
// with the first chunk's codec.
func (w *Writer) chunkCodec(c *column) compress.Codec {
	ch := &c.chunk
	if c.codecChosen || len(ch.pages) == 0 {
		return c.codec
	}
	c.codecChosen = true
	if !ch.packed {
		return nil
	}
	raw := 0
	for _, p := range ch.pages {
		raw += int(p.size)
	}
	if float64(len(ch.bodies)) <= (1-minSaving)*float64(raw) {
		c.codec = w.codec
	}
	return c.codec
}

// compress returns a page body compressed with z, or as is when z is
// nil, in a buffer reused by the next call.
func (w *Writer) compress(z compress.Codec, body []byte) ([]byte, error) {
	if z == nil {
		return body, nil
	}
	var err error
	w.zpage, err = z.Encode(w.zpage[:0], body)
	return w.zpage, err
}

// writePage writes a page: its header, with the sizes and the checksum
// filled in, then its data, which is its body compressed.
func (w *Writer) writePage(data []byte, h format.PageHeader, md *format.ColumnMetaData) error {
	h.CompressedPageSize, h.CRC = int32(len(data)), crc(data)
	hdr, err := w.header(&h)
	if err != nil {
		return err
	}
	md.TotalUncompressedSize += int64(len(hdr)) + int64(h.UncompressedPageSize)
	md.TotalCompressedSize += int64(len(hdr) + len(data))
	if err := w.write(hdr); err != nil {
		return err
	}
	return w.write(data)
}

// writeDictionary writes the chunk's dictionary page, if it has one.
func (w *Writer) writeDictionary(c *column, z compress.Codec, md *format.ColumnMetaData) error {
	dict, n := c.vals.dictionary(w.page[:0])
	w.page = dict
	if n == 0 {
		return nil
	}
	if len(dict) > math.MaxInt32 {
		return fmt.Errorf("a dictionary page of %d bytes", len(dict))
	}
	data, err := w.compress(z, dict)
	if err != nil {
		return err
	}
	md.DictionaryPageOffset = w.offset
	md.EncodingStats = countPage(md.EncodingStats, format.DictionaryPage, format.Plain)
	return w.writePage(data, format.PageHeader{
		Type:                 format.DictionaryPage,
		UncompressedPageSize: int32(len(dict)),
		DictionaryPageHeader: thrift.New(format.DictionaryPageHeader{NumValues: int32(n), Encoding: format.Plain}),
	}, md)
}

// chunkEncodings lists the encodings a chunk uses, values and levels.
func chunkEncodings(c *column, st []format.PageEncodingStats) []format.Encoding {
	var es []format.Encoding
	for _, s := range st {
		es = append(es, s.Encoding)
	}
	if c.maxDef > 0 || c.maxRep > 0 {
		es = append(es, format.RLE)
	}
	slices.Sort(es)
	return slices.Compact(es)
}

// boundaryOrder says whether the pages' bounds ascend or descend, so
// that readers may search them.
func boundaryOrder(ix *format.ColumnIndex, compare func(a, b []byte) int) format.BoundaryOrder {
	asc, desc := true, true
	prev := -1
	for i, null := range ix.NullPages {
		if null {
			continue
		}
		if prev >= 0 {
			lo, hi := compare(ix.MinValues[prev], ix.MinValues[i]), compare(ix.MaxValues[prev], ix.MaxValues[i])
			asc = asc && lo <= 0 && hi <= 0
			desc = desc && lo >= 0 && hi >= 0
		}
		prev = i
	}
	switch {
	case asc:
		return format.Ascending
	case desc:
		return format.Descending
	}
	return format.Unordered
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
	if w.inGroup > 0 {
		if err := w.flush(); err != nil {
			return err
		}
	}
	if err := w.writeFooter(); err != nil {
		w.err = fmt.Errorf("part: table %s: closing: %w", w.table.Name, err)
		return w.err
	}
	w.err = errClosed
	return nil
}

// writeFooter writes the page index (every column index, then every
// offset index), the file metadata, its length and the magic.
func (w *Writer) writeFooter() error {
	if err := w.write(nil); err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := thrift.NewEncoder(new(thrift.CompactProtocol).NewWriter(&buf))
	sum := crc32.NewIEEE()
	writeIndex := func(v any, off *int64, length *int32) error {
		buf.Reset()
		if err := enc.Encode(v); err != nil {
			return err
		}
		*off, *length = w.offset, int32(buf.Len())
		sum.Write(buf.Bytes())
		return w.write(buf.Bytes())
	}
	n := len(w.cols)
	for i := range w.columnIndex {
		cc := &w.groups[i/n].Columns[i%n]
		if err := writeIndex(&w.columnIndex[i], &cc.ColumnIndexOffset, &cc.ColumnIndexLength); err != nil {
			return err
		}
	}
	for i := range w.offsetIndex {
		cc := &w.groups[i/n].Columns[i%n]
		if err := writeIndex(&w.offsetIndex[i], &cc.OffsetIndexOffset, &cc.OffsetIndexLength); err != nil {
			return err
		}
	}
	buf.Reset()
	if err := enc.Encode(w.metadata()); err != nil {
		return err
	}
	at := metadataCRCAt(buf.Bytes())
	if at < 0 {
		return errors.New("the footer's checksum entry is missing")
	}
	sum.Write(buf.Bytes())
	hex.Encode(buf.Bytes()[at:at+len(noMetadataCRC)], binary.BigEndian.AppendUint32(nil, sum.Sum32()))
	buf.Write(binary.LittleEndian.AppendUint32(nil, uint32(buf.Len())))
	buf.WriteString(magic)
	if err := w.write(buf.Bytes()); err != nil {
		return err
	}
	return w.out.Flush()
}

// createdBy names the writer in the footer, in the form readers parse
// ("app version V"): Spark ignores the string statistics of a file
// whose created_by it cannot parse. Version 3 is this writer, which
// keeps the footer's checksum (metadataCRCKey); version 2 wrote the
// same parts without it, and parts of the first, parquet-go's, say
// "kdf version (build )".
const createdBy = "kdf version 3"

func (w *Writer) metadata() *format.FileMetaData {
	md := &format.FileMetaData{
		Version:   2,
		Schema:    schemaElements(w.table),
		NumRows:   w.rows,
		RowGroups: w.groups,
		KeyValueMetadata: []format.KeyValue{
			{Key: "kdf.schema_version", Value: strconv.Itoa(schema.Version)},
			{Key: "kdf.table", Value: w.table.Name},
			{Key: metadataCRCKey, Value: noMetadataCRC}, // filled in by writeFooter
		},
		CreatedBy: createdBy,
	}
	for range w.cols {
		md.ColumnOrders = append(md.ColumnOrders, format.ColumnOrder{Value: &format.TypeDefinedOrder{}})
	}
	return md
}
