package part

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/kdf-tools/kdf/internal/buf"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/uncompressed"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/format"
)

// column writes one leaf column: rows become levels and values, which
// become data pages of the open row group's column chunk, kept in
// memory until the row group ends (the dictionary page, known last,
// goes first).
type column struct {
	*leaf
	vals    valueWriter
	compare func(a, b []byte) int

	def, rep []byte   // the open page's levels
	defHist  [4]int64 // the open page's levels, counted
	repHist  [2]int64
	pageRows int
	perRow   int // bytes buffered per row in the last page: sizes the next step

	codec       compress.Codec // of every chunk, nil when stored
	codecChosen bool           // codec is set, from the column's first chunk

	chunk chunk
}

// chunk is a column chunk of the open row group: its data pages, and
// what its metadata and page index need, gathered page by page. Pages
// are compressed as they are cut, unless the column was found not
// worth compressing (writeChunk decides on its first chunk).
type chunk struct {
	bodies  []byte     // the pages' data, one after the other
	pages   []dataPage // where each ends in bodies, and its header's fields
	packed  bool       // the pages in bodies are compressed
	rows    int64
	values  int64 // levels written: Parquet's num_values
	nulls   int64
	lo, hi  []byte // bounds of the whole chunk, when has
	has     bool
	index   format.ColumnIndex
	defHist []int64
	repHist []int64
}

type dataPage struct {
	end       int   // in bodies
	size      int32 // uncompressed
	numValues int32
	encoding  format.Encoding
	firstRow  int64
}

// A column takes rows a step at a time, as many as its estimate of the
// page's room says, within these bounds: a page or a dictionary
// overshoots its bound by one step at most.
const (
	minStepRows = 64
	maxStepRows = 4096
)

func newColumn(l *leaf) *column {
	c := &column{leaf: l, vals: newValueWriter(l), compare: comparer(l), perRow: firstPerRow}
	c.chunk.defHist = make([]int64, l.maxDef+1)
	c.chunk.repHist = make([]int64, l.maxRep+1)
	return c
}

// firstPerRow sizes a column's first step, before a page tells.
const firstPerRow = 4

// reset returns the column to its state in a new Writer, keeping its
// buffers.
func (c *column) reset() {
	c.def, c.rep, c.pageRows, c.perRow = c.def[:0], c.rep[:0], 0, firstPerRow
	c.defHist, c.repHist = [4]int64{}, [2]int64{}
	c.codec, c.codecChosen = nil, false
	c.resetChunk()
}

// write appends rows [lo, hi) of the table column a, whose leaf values
// are v, cutting a page whenever its buffered size reaches PageBytes.
// Pages begin at row boundaries, as the page index requires.
func (c *column) write(w *Writer, a, v arrow.Array, lo, hi int) error {
	for lo < hi {
		if c.vals.full() {
			if err := c.flushPage(w); err != nil {
				return err
			}
			c.vals.fallback()
		}
		n := min(maxStepRows, max(minStepRows, (w.opt.PageBytes-c.pageSize())/c.perRow))
		e := min(hi, lo+n)
		c.addRows(a, v, lo, e)
		lo = e
		if c.pageSize() >= w.opt.PageBytes {
			if err := c.flushPage(w); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *column) pageSize() int { return c.vals.size() + len(c.def) + len(c.rep) }

func (c *column) addRows(a, v arrow.Array, lo, hi int) {
	c.pageRows += hi - lo
	switch {
	case c.nesting != flat:
		c.addNested(a, v, lo, hi)
	case c.maxDef == 0:
		c.vals.add(v, lo, hi)
	default:
		c.def = appendDefs(c.def, a, lo, hi)
		present := 0
		forPresent(v, lo, hi, func(s, e int) {
			c.vals.add(v, s, e)
			present += e - s
		})
		c.defHist[0] += int64(hi - lo - present)
		c.defHist[1] += int64(present)
	}
}

// appendDefs appends the definition levels of rows [lo, hi) of a flat
// optional column: 1 when present, 0 when null.
func appendDefs(def []byte, a arrow.Array, lo, hi int) []byte {
	n := len(def)
	def = buf.Reserve(def, hi-lo)[:n+hi-lo]
	out := def[n:]
	bm := a.NullBitmapBytes()
	if a.NullN() == 0 || len(bm) == 0 {
		for i := range out {
			out[i] = 1
		}
		return def
	}
	off := a.Data().Offset() + lo
	for i := range out {
		out[i] = bm[(off+i)>>3] >> ((off + i) & 7) & 1
	}
	return def
}

// addNested appends rows [lo, hi) of a list or map column. Per row: a
// null list is one level pair (rep 0, def 0), an empty one (0, top),
// and each element a pair whose rep is 0 for the first and 1 for the
// others, and whose def is maxDef, or maxDef-1 for a null element. The
// values of consecutive rows are contiguous in v and added in runs.
func (c *column) addNested(a, v arrow.Array, lo, hi int) {
	offs := listOffsets(a)
	valid := validity(a)
	elems := validity(v)
	if !c.valuesNullable() {
		elems = nil
	}
	k, n := len(c.def), hi-lo+int(offs[hi]-offs[lo])
	def, rep := buf.Reserve(c.def, n)[:k+n], buf.Reserve(c.rep, n)[:k+n]
	top, maxDef := byte(c.top), byte(c.maxDef)
	var nulls, empty, absent, present int64
	runLo, runHi := 0, -1
	for i := lo; i < hi; i++ {
		s, e := int(offs[i]), int(offs[i+1])
		switch {
		case valid != nil && !valid.isSet(i):
			def[k], rep[k] = 0, 0
			k, nulls = k+1, nulls+1
			continue
		case s == e:
			def[k], rep[k] = top, 0
			k, empty = k+1, empty+1
			continue
		}
		rep[k] = 0
		for j := k + 1; j < k+e-s; j++ {
			rep[j] = 1
		}
		for j := range e - s {
			def[k+j] = maxDef
			if elems != nil && !elems.isSet(s+j) {
				def[k+j] = maxDef - 1
				absent++
			}
		}
		k, present = k+e-s, present+int64(e-s)
		if s != runHi {
			c.addValues(v, runLo, runHi, elems != nil)
			runLo = s
		}
		runHi = e
	}
	c.def, c.rep = def[:k], rep[:k]
	c.defHist[0] += nulls
	c.defHist[top] += empty
	c.defHist[maxDef] += present - absent
	c.defHist[maxDef-1] += absent
	c.repHist[0] += int64(hi - lo)
	c.repHist[1] += present - int64(hi-lo) + nulls + empty
	c.addValues(v, runLo, runHi, elems != nil)
}

// bitmap is an Arrow validity bitmap, from bit off.
type bitmap struct {
	bits []byte
	off  int
}

func (b *bitmap) isSet(i int) bool {
	i += b.off
	return b.bits[i>>3]>>(i&7)&1 != 0
}

// validity returns a's validity bitmap, nil when it has no nulls.
func validity(a arrow.Array) *bitmap {
	bm := a.NullBitmapBytes()
	if a.NullN() == 0 || len(bm) == 0 {
		return nil
	}
	return &bitmap{bm, a.Data().Offset()}
}

func (c *column) addValues(v arrow.Array, lo, hi int, nulls bool) {
	switch {
	case lo >= hi:
	case nulls:
		forPresent(v, lo, hi, func(s, e int) { c.vals.add(v, s, e) })
	default:
		c.vals.add(v, lo, hi)
	}
}

// listOffsets returns the offsets of a list or map array's rows in its
// child: row i's elements are [offs[i], offs[i+1]).
func listOffsets(a arrow.Array) []int32 {
	var offs []int32
	switch a := a.(type) {
	case *array.List:
		offs = a.Offsets()
	case *array.Map:
		offs = a.Offsets()
	}
	if a.Len() == 0 {
		return nil
	}
	off := a.Data().Offset()
	return offs[off : off+a.Len()+1]
}

// leafArray returns the array holding a leaf's values in its column a.
func leafArray(l *leaf, a arrow.Array) arrow.Array {
	switch l.nesting {
	case listElem:
		return a.(*array.List).ListValues()
	case mapKey:
		return a.(*array.Map).Keys()
	case mapValue:
		return a.(*array.Map).Items()
	}
	return a
}

// flushPage ends the open page: levels and values encoded, compressed
// if the column's codec is known, appended to the chunk; its statistics
// go to the chunk's and the page index.
func (c *column) flushPage(w *Writer) error {
	if c.pageRows == 0 {
		return nil
	}
	ch := &c.chunk
	size := c.pageSize()
	lo, hi, ok := c.vals.bounds()
	body := appendLevels(w.page[:0], c.rep, c.maxRep)
	body = appendLevels(body, c.def, c.maxDef)
	body, enc, err := c.vals.encode(body)
	w.page = body
	if err != nil {
		return err
	}
	if len(body) > math.MaxInt32 {
		// Page sizes are 32-bit: only strings of gigabytes get here.
		return fmt.Errorf("a page of %d bytes", len(body))
	}
	z := w.codec
	if c.codecChosen {
		z = c.codec
	}
	if _, none := z.(*uncompressed.Codec); none {
		z = nil
	}
	// Room for the page as stored, or as compressed at worst, so that
	// the codec writes into the chunk instead of a buffer of its own.
	room := len(body)
	if b, ok := z.(interface{ maxEncodedLen(int) int }); ok {
		room = b.maxEncodedLen(len(body))
	}
	ch.bodies = buf.Reserve(ch.bodies, room)
	if ch.packed = z != nil; ch.packed {
		ch.bodies, err = appendEncoded(ch.bodies, func(b []byte) ([]byte, error) { return z.Encode(b, body) })
	} else {
		ch.bodies = append(ch.bodies, body...)
	}
	if err != nil {
		return err
	}
	numValues := c.pageRows
	if c.maxDef > 0 {
		numValues = len(c.def)
	}
	ch.pages = append(ch.pages, dataPage{end: len(ch.bodies), size: int32(len(body)), numValues: int32(numValues), encoding: enc, firstRow: ch.rows})
	c.indexPage(lo, hi, ok, numValues)
	c.perRow = max(1, size/c.pageRows)
	c.def, c.rep, c.pageRows = c.def[:0], c.rep[:0], 0
	return nil
}

// page returns the body of the chunk's i-th data page.
func (ch *chunk) page(i int) []byte {
	start := 0
	if i > 0 {
		start = ch.pages[i-1].end
	}
	return ch.bodies[start:ch.pages[i].end]
}

// appendLevels appends levels in data page v1 form: the RLE/bit-packed
// hybrid's length in 4 bytes, then the hybrid itself, as wide as the
// largest level needs. A leaf whose largest level is 0 has none.
func appendLevels(dst, levels []byte, maxLevel int) []byte {
	if maxLevel == 0 {
		return dst
	}
	n := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	enc := rle.Encoding{BitWidth: bits.Len(uint(maxLevel))}
	dst, _ = appendEncoded(dst, func(b []byte) ([]byte, error) { return enc.EncodeLevels(b, levels) })
	binary.LittleEndian.PutUint32(dst[n:], uint32(len(dst)-n-4))
	return dst
}

// indexPage records a flushed page's statistics: its entry in the
// column index, the level histograms, and the chunk's bounds.
func (c *column) indexPage(lo, hi []byte, ok bool, numValues int) {
	ch := &c.chunk
	nulls := int64(0)
	if c.maxDef > 0 {
		h := c.defHist[:c.maxDef+1]
		ch.index.DefinitionLevelHistogram = append(ch.index.DefinitionLevelHistogram, h...)
		addTo(ch.defHist, h)
		nulls = int64(len(c.def)) - h[c.maxDef]
	}
	if c.maxRep > 0 {
		h := c.repHist[:c.maxRep+1]
		ch.index.RepetitionLevelHistogram = append(ch.index.RepetitionLevelHistogram, h...)
		addTo(ch.repHist, h)
	}
	c.defHist, c.repHist = [4]int64{}, [2]int64{}
	ch.index.NullCounts = append(ch.index.NullCounts, nulls)
	ch.index.NullPages = append(ch.index.NullPages, !ok)
	if ok {
		c.mergeBounds(lo, hi)
		lo, hi = c.indexBound(lo, false), c.indexBound(hi, true)
	} else {
		lo, hi = []byte{}, []byte{}
	}
	ch.index.MinValues = append(ch.index.MinValues, lo)
	ch.index.MaxValues = append(ch.index.MaxValues, hi)
	ch.rows += int64(c.pageRows)
	ch.values += int64(numValues)
	ch.nulls += nulls
}

func addTo(total, h []int64) {
	for i, n := range h {
		total[i] += n
	}
}

func (c *column) mergeBounds(lo, hi []byte) {
	ch := &c.chunk
	if !ch.has || c.compare(lo, ch.lo) < 0 {
		ch.lo = append(make([]byte, 0, len(lo)), lo...)
	}
	if !ch.has || c.compare(hi, ch.hi) > 0 {
		ch.hi = append(make([]byte, 0, len(hi)), hi...)
	}
	ch.has = true
}

// indexBoundBytes is the longest string bound the column index holds:
// path-like values would otherwise fill it.
const indexBoundBytes = 16

// indexBound returns a copy of a page bound for the column index. A
// longer string is cut at a character boundary; a greatest value then
// has its last character raised so that it stays an upper bound
// (characters that cannot be raised are dropped; when none can, the
// value is kept whole). Both stay valid UTF-8.
func (c *column) indexBound(v []byte, isMax bool) []byte {
	if c.phys != format.ByteArray || len(v) <= indexBoundBytes {
		return append([]byte{}, v...)
	}
	n := indexBoundBytes
	for n > 0 && !utf8.RuneStart(v[n]) {
		n--
	}
	p := append([]byte{}, v[:n]...)
	if !isMax {
		return p
	}
	for len(p) > 0 {
		r, size := utf8.DecodeLastRune(p)
		p = p[:len(p)-size]
		if r++; r == 0xd800 {
			r = 0xe000 // past the surrogates
		}
		if r <= utf8.MaxRune {
			return utf8.AppendRune(p, r)
		}
	}
	return append([]byte{}, v...)
}

// countPage counts a page of type t and encoding e.
func countPage(st []format.PageEncodingStats, t format.PageType, e format.Encoding) []format.PageEncodingStats {
	for i := range st {
		if st[i].PageType == t && st[i].Encoding == e {
			st[i].Count++
			return st
		}
	}
	return append(st, format.PageEncodingStats{PageType: t, Encoding: e, Count: 1})
}

// resetChunk empties the chunk for the next row group, keeping its
// buffers.
func (c *column) resetChunk() {
	ch := &c.chunk
	ch.bodies, ch.pages, ch.packed = ch.bodies[:0], ch.pages[:0], false
	ch.rows, ch.values, ch.nulls, ch.has = 0, 0, 0, false
	ch.index = format.ColumnIndex{}
	clear(ch.defHist)
	clear(ch.repHist)
	c.vals.reset()
}

// comparer returns the order of a leaf's PLAIN-encoded bounds: signed
// or unsigned as its logical type says, IEEE for doubles, bytes for
// strings and booleans.
func comparer(l *leaf) func(a, b []byte) int {
	le32, le64 := binary.LittleEndian.Uint32, binary.LittleEndian.Uint64
	switch l.typ.ID() {
	case arrow.INT64:
		return func(a, b []byte) int { return cmp.Compare(int64(le64(a)), int64(le64(b))) }
	case arrow.UINT64:
		return func(a, b []byte) int { return cmp.Compare(le64(a), le64(b)) }
	case arrow.INT32:
		return func(a, b []byte) int { return cmp.Compare(int32(le32(a)), int32(le32(b))) }
	case arrow.UINT32, arrow.UINT8:
		return func(a, b []byte) int { return cmp.Compare(le32(a), le32(b)) }
	case arrow.FLOAT64:
		return func(a, b []byte) int {
			return cmp.Compare(math.Float64frombits(le64(a)), math.Float64frombits(le64(b)))
		}
	}
	return bytes.Compare
}
