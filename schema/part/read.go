package part

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math/bits"
	"strings"

	"github.com/kdf-tools/kdf/schema"
	"github.com/parquet-go/parquet-go/format"
)

// A FormatError reports a part that cannot be read: what is wrong and
// where.
type FormatError struct {
	Offset int64  // byte offset in the part of the structure at fault
	Column string // the leaf column, as a dotted path; "" for the file
	Msg    string
	Err    error // what it comes from, if anything
}

func (e *FormatError) Error() string {
	s := fmt.Sprintf("part: offset %d: ", e.Offset)
	if e.Column != "" {
		s += "column " + e.Column + ": "
	}
	s += e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *FormatError) Unwrap() error { return e.Err }

// Bounds of what a reader accepts: a damaged or hostile part is refused
// rather than allowed to make the reader allocate without limit.
// Parts of this package are far within them (a row group of a million
// rows, pages of a few hundred KiB, footers of tens of KiB per row
// group).
const (
	maxFooterBytes = 64 << 20
	maxPageBytes   = 256 << 20
	maxPageValues  = 1 << 22
	maxGroupRows   = 1 << 24
	maxChunkValues = 1 << 25 // levels of a column chunk
)

// reader reads the parts of one table: the footer when opened, then
// column chunks on demand, each whole, page after page.
type reader struct {
	src    io.ReaderAt
	size   int64
	table  *schema.Table
	leaves []leaf
	foot   *footer
	end    int64 // where the footer starts, and the chunks end

	chunk  []byte // the chunk being read
	page   []byte // the page being decoded, decompressed
	levels []uint32
}

// openReader reads and checks the footer of src, a part of t.
func openReader(src io.ReaderAt, size int64, t *schema.Table) (*reader, error) {
	r := &reader{src: src, size: size}
	b, meta, err := r.footerMetadata()
	if err != nil {
		return nil, err
	}
	return r.open(t, b, meta)
}

// openPart reads and checks the footer of src, a part of the table its
// footer names (kdf.table).
func openPart(src io.ReaderAt, size int64) (*reader, error) {
	r := &reader{src: src, size: size}
	b, meta, err := r.footerMetadata()
	if err != nil {
		return nil, err
	}
	name := meta.kv["kdf.table"]
	for _, t := range schema.All {
		if t.Name == name {
			return r.open(t, b, meta)
		}
	}
	return nil, &FormatError{Offset: r.end, Msg: fmt.Sprintf("the footer names no table of the dataset (kdf.table = %q)", name)}
}

// open checks the footer b, whose key-value metadata and created_by
// are meta, as that of a part of t.
func (r *reader) open(t *schema.Table, b []byte, meta *footer) (*reader, error) {
	ls, err := leaves(t)
	if err != nil {
		return nil, err
	}
	r.table, r.leaves = t, ls
	// The table's name first: a part of another table has another
	// schema, which says less. Every part kdf writes names its table;
	// a footer that does not lost it to damage, or is not kdf's.
	switch name, ok := meta.kv["kdf.table"]; {
	case !ok:
		return nil, &FormatError{Offset: r.end, Msg: "the footer names no table (kdf.table): a part kdf did not write, or a damaged footer"}
	case name != t.Name:
		return nil, &FormatError{Offset: r.end, Msg: fmt.Sprintf("a part of table %s, not %s", name, t.Name)}
	}
	if r.foot, err = readFooter(b, len(schemaElements(t)), len(ls)); err != nil {
		return nil, &FormatError{Offset: r.end, Msg: "reading the footer", Err: err}
	}
	// The checksum first: damage it finds would otherwise be reported
	// as whatever it made the footer say.
	if err := r.checkMetadataCRC(b, meta); err != nil {
		return r, err
	}
	return r, r.check()
}

// footerBytes checks the magic at both ends and returns the footer's
// bytes.
func (r *reader) footerBytes() ([]byte, error) {
	if r.size < 12 {
		return nil, &FormatError{Msg: fmt.Sprintf("%d bytes are too few for a part", r.size)}
	}
	var head, tail [8]byte
	if err := r.read(head[:4], 0); err != nil {
		return nil, err
	}
	if err := r.read(tail[:], r.size-8); err != nil {
		return nil, err
	}
	if string(head[:4]) != magic || string(tail[4:]) != magic {
		return nil, &FormatError{Msg: fmt.Sprintf("no %s at both ends: not a Parquet file, or a truncated one", magic)}
	}
	n := int64(binary.LittleEndian.Uint32(tail[:]))
	if n > r.size-12 || n > maxFooterBytes {
		return nil, &FormatError{Offset: r.size - 8, Msg: fmt.Sprintf("footer of %d bytes in a part of %d", n, r.size)}
	}
	r.end = r.size - 8 - n
	b := make([]byte, n)
	return b, r.read(b, r.end)
}

// footerMetadata returns the footer's bytes, and its key-value metadata
// and created_by (see readKeyValues).
func (r *reader) footerMetadata() ([]byte, *footer, error) {
	b, err := r.footerBytes()
	if err != nil {
		return nil, nil, err
	}
	meta, err := readKeyValues(b)
	if err != nil {
		return nil, nil, &FormatError{Offset: r.end, Msg: "reading the footer", Err: err}
	}
	return b, meta, nil
}

func (r *reader) read(b []byte, off int64) error {
	if _, err := r.src.ReadAt(b, off); err != nil {
		return &FormatError{Offset: off, Msg: fmt.Sprintf("reading %d bytes", len(b)), Err: err}
	}
	return nil
}

// check compares the part's schema with r.table's (but for the root's
// name, which writers choose), and bounds its row groups' metadata:
// sizes, offsets and counts.
func (r *reader) check() error {
	for i, want := range schemaElements(r.table) {
		got := r.foot.schema[i]
		rep, typ := int64(-1), int64(-1)
		if i > 0 {
			rep = int64(want.RepetitionType.V)
		}
		if want.Type.Valid {
			typ = int64(want.Type.V)
		}
		if i > 0 && got.name != want.Name || got.typ != typ || (i > 0 && got.rep != rep) || got.children != int64(want.NumChildren.V) {
			return &FormatError{Offset: r.end, Msg: fmt.Sprintf("schema element %d is %q (type %d, repetition %d, %d children), table %s has %q (type %d, repetition %d, %d children)",
				i, got.name, got.typ, got.rep, got.children, r.table.Name, want.Name, typ, rep, want.NumChildren.V)}
		}
	}
	for g := range r.foot.groups {
		if err := r.checkGroup(g); err != nil {
			return err
		}
	}
	return nil
}

func (r *reader) checkGroup(g int) error {
	rg := &r.foot.groups[g]
	if rg.numRows > maxGroupRows {
		return &FormatError{Offset: r.end, Msg: fmt.Sprintf("row group %d has %d rows, more than %d", g, rg.numRows, maxGroupRows)}
	}
	for j := range rg.chunks {
		c, l := &rg.chunks[j], &r.leaves[j]
		start := chunkStart(c)
		bad := ""
		switch {
		case strings.Join(c.path, ".") != strings.Join(l.path, "."):
			bad = fmt.Sprintf("path %q", c.path)
		case c.typ != int64(l.phys):
			bad = fmt.Sprintf("physical type %d, the table's %d", c.typ, l.phys)
		case start < int64(len(magic)) || c.size > r.end-start:
			bad = fmt.Sprintf("%d bytes at offset %d, past the data's end at %d", c.size, start, r.end)
		case c.numValues > maxChunkValues || (l.maxRep == 0 && c.numValues != rg.numRows):
			bad = fmt.Sprintf("%d values for %d rows", c.numValues, rg.numRows)
		}
		if bad != "" {
			return &FormatError{Offset: r.end, Column: strings.Join(l.path, "."), Msg: fmt.Sprintf("row group %d: chunk of %s", g, bad)}
		}
	}
	return nil
}

// chunkStart is where a chunk's first page is: its dictionary page, if
// the metadata says where one is.
func chunkStart(c *chunkMeta) int64 {
	if c.dictOffset > 0 && c.dictOffset < c.dataOffset {
		return c.dictOffset
	}
	return c.dataOffset
}

// leafData is a column chunk decoded: its levels (nil when the leaf has
// none) and its present values.
type leafData struct {
	def, rep []uint8
	vals     leafValues
}

// levels is the number of levels (or values, for a leaf without levels)
// read so far.
func (d *leafData) levels(l *leaf) int {
	switch {
	case l.maxDef > 0:
		return len(d.def)
	case l.maxRep > 0:
		return len(d.rep)
	}
	return d.vals.len()
}

// readLeaf decodes leaf j's chunk of row group g.
func (r *reader) readLeaf(g, j int) (*leafData, error) {
	l, c := &r.leaves[j], &r.foot.groups[g].chunks[j]
	start := chunkStart(c)
	r.chunk = grow(r.chunk, int(c.size))
	if err := r.read(r.chunk, start); err != nil {
		return nil, err
	}
	d := &leafData{}
	var dict *leafValues
	for pos := 0; int64(d.levels(l)) < c.numValues; {
		h, data, next, err := r.pageAt(l, start, pos)
		if err != nil {
			return nil, err
		}
		if err := r.readPage(d, l, &dict, c, h, data); err != nil {
			return nil, pageError(l, start, pos, fmt.Sprintf("page of %d values", h.numValues), err)
		}
		pos = next
	}
	return d, nil
}

// pageAt reads the page at pos in r.chunk, leaf l's chunk, which starts
// at offset start of the part: its header, its bytes as stored, their
// checksum checked when the page has one, and where the next page is.
func (r *reader) pageAt(l *leaf, start int64, pos int) (h pageHeader, data []byte, next int, err error) {
	h, n, err := readPageHeader(r.chunk[pos:])
	if err != nil {
		return h, nil, 0, pageError(l, start, pos, "page header", err)
	}
	body := r.chunk[pos+n:]
	if h.compressed > int64(len(body)) || h.size > maxPageBytes || !h.hasDataOrDic && h.typ != int64(format.IndexPage) {
		return h, nil, 0, pageError(l, start, pos, fmt.Sprintf("page of type %d, %d bytes (%d compressed) with %d left in the chunk", h.typ, h.size, h.compressed, len(body)), nil)
	}
	data = body[:h.compressed]
	if h.crc != 0 && crc32.ChecksumIEEE(data) != uint32(h.crc) {
		return h, nil, 0, pageError(l, start, pos, "page checksum mismatch", nil)
	}
	return h, data, pos + n + int(h.compressed), nil
}

func pageError(l *leaf, start int64, pos int, msg string, err error) error {
	return &FormatError{Offset: start + int64(pos), Column: strings.Join(l.path, "."), Msg: msg, Err: err}
}

// readPage decodes one page into d, or into dict for a dictionary page.
func (r *reader) readPage(d *leafData, l *leaf, dict **leafValues, c *chunkMeta, h pageHeader, data []byte) error {
	switch format.PageType(h.typ) {
	case format.DictionaryPage, format.DataPage:
	case format.DataPageV2:
		return fmt.Errorf("data page v2 is not read here")
	default:
		return nil // an index page: nothing a reader needs
	}
	page, err := decompress(c.codec, r.page, data, int(h.size))
	if err != nil {
		return err
	}
	if cap(page) > cap(r.page) && c.codec != int64(format.Uncompressed) {
		r.page = page[:0]
	}
	if format.PageType(h.typ) == format.DictionaryPage {
		if *dict != nil || d.levels(l) > 0 {
			return fmt.Errorf("a dictionary page after the first page")
		}
		return r.readDictionary(dict, l, h, page)
	}
	if left := c.numValues - int64(d.levels(l)); h.numValues > left || h.numValues > maxPageValues {
		return fmt.Errorf("%d values with %d left in the chunk, at most %d a page", h.numValues, left, maxPageValues)
	}
	return r.readDataPage(d, l, *dict, h, page)
}

func (r *reader) readDictionary(dict **leafValues, l *leaf, h pageHeader, page []byte) error {
	if e := format.Encoding(h.encoding); e != format.Plain && e != format.PlainDictionary {
		return fmt.Errorf("dictionary in encoding %s", e)
	}
	if h.numValues > int64(len(page)) {
		return fmt.Errorf("dictionary of %d entries in %d bytes", h.numValues, len(page))
	}
	v := &leafValues{}
	_, err := decodePlain(v, l.phys, page, int(h.numValues))
	*dict = v
	return err
}

// readDataPage decodes a data page (version 1): repetition levels,
// definition levels, each with its length in 4 bytes, then the values
// present.
func (r *reader) readDataPage(d *leafData, l *leaf, dict *leafValues, h pageHeader, page []byte) error {
	n := int(h.numValues)
	present := n
	var err error
	if l.maxRep > 0 {
		if d.rep, page, err = r.readLevels(d.rep, page, n, l.maxRep, h.repEncoding); err != nil {
			return fmt.Errorf("repetition levels: %w", err)
		}
	}
	if l.maxDef > 0 {
		if d.def, page, err = r.readLevels(d.def, page, n, l.maxDef, h.defEncoding); err != nil {
			return fmt.Errorf("definition levels: %w", err)
		}
		present = 0
		for _, v := range d.def[len(d.def)-n:] {
			present += int(v) / l.maxDef
		}
	}
	switch e := format.Encoding(h.encoding); e {
	case format.Plain:
		_, err = decodePlain(&d.vals, l.phys, page, present)
	case format.RLEDictionary, format.PlainDictionary:
		err = r.readIndexes(d, dict, page, present)
	case format.DeltaBinaryPacked:
		err = readDeltas(d, l, page, present)
	case format.DeltaLengthByteArray:
		err = readDeltaLengths(d, l, page, present)
	default:
		err = fmt.Errorf("values in encoding %s", e)
	}
	return err
}

// readLevels appends n levels, at most max, to dst from the start of
// page, and returns the rest of the page.
func (r *reader) readLevels(dst []uint8, page []byte, n, max int, enc int64) ([]uint8, []byte, error) {
	if format.Encoding(enc) != format.RLE {
		return dst, nil, fmt.Errorf("in encoding %s", format.Encoding(enc))
	}
	if len(page) < 4 {
		return dst, nil, errShortData
	}
	size := binary.LittleEndian.Uint32(page)
	if uint64(size) > uint64(len(page)-4) {
		return dst, nil, fmt.Errorf("%d bytes of levels with %d left: %w", size, len(page)-4, errShortData)
	}
	r.levels = grow32(r.levels, n)
	if err := decodeHybrid(r.levels, page[4:4+size], bits.Len(uint(max))); err != nil {
		return dst, nil, err
	}
	for _, v := range r.levels {
		if v > uint32(max) {
			return dst, nil, fmt.Errorf("level %d, at most %d", v, max)
		}
		dst = append(dst, uint8(v))
	}
	return dst, page[4+size:], nil
}

// readIndexes decodes n dictionary indexes (their bit width in a byte,
// then the hybrid) and appends the entries they point to.
func (r *reader) readIndexes(d *leafData, dict *leafValues, page []byte, n int) error {
	if n == 0 {
		return nil
	}
	if dict == nil {
		return fmt.Errorf("dictionary indexes without a dictionary")
	}
	if len(page) == 0 {
		return errShortData
	}
	r.levels = grow32(r.levels, n)
	if err := decodeHybrid(r.levels, page[1:], int(page[0])); err != nil {
		return err
	}
	for _, i := range r.levels {
		if int(i) >= dict.len() {
			return fmt.Errorf("index %d into a dictionary of %d", i, dict.len())
		}
		if err := d.vals.appendFrom(dict, int(i)); err != nil {
			return err
		}
	}
	return nil
}

func readDeltas(d *leafData, l *leaf, page []byte, n int) error {
	if l.phys != format.Int32 && l.phys != format.Int64 {
		return fmt.Errorf("DELTA_BINARY_PACKED values of physical type %s", l.phys)
	}
	k := len(d.vals.ints)
	d.vals.ints = append(d.vals.ints, make([]int64, n)...)
	if err := decodeDelta(d.vals.ints[k:], page); err != nil {
		return err
	}
	if l.phys == format.Int32 {
		for i, v := range d.vals.ints[k:] {
			d.vals.ints[k+i] = int64(int32(v))
		}
	}
	return nil
}

// readDeltaLengths decodes DELTA_LENGTH_BYTE_ARRAY, which parquet-go's
// generic writer uses for strings: the lengths in DELTA_BINARY_PACKED,
// then the strings one after the other.
func readDeltaLengths(d *leafData, l *leaf, page []byte, n int) error {
	if l.phys != format.ByteArray {
		return fmt.Errorf("DELTA_LENGTH_BYTE_ARRAY values of physical type %s", l.phys)
	}
	lens := make([]int64, n)
	rest, err := decodeDeltaPrefix(lens, page)
	if err != nil {
		return err
	}
	for _, k := range lens {
		if k < 0 || k > int64(len(rest)) {
			return fmt.Errorf("string of %d bytes with %d left: %w", k, len(rest), errShortData)
		}
		if err := d.vals.addString(rest[:k]); err != nil {
			return err
		}
		rest = rest[k:]
	}
	return nil
}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

func grow32(b []uint32, n int) []uint32 {
	if cap(b) < n {
		return make([]uint32, n)
	}
	return b[:n]
}
