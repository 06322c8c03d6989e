package part

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/kdf-tools/kdf/internal/buf"
	"github.com/parquet-go/parquet-go/encoding/delta"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/format"
)

// A valueWriter buffers the present values of one leaf's open page and
// encodes them. Nulls and nesting are the column's business (levels);
// a valueWriter sees values only.
type valueWriter interface {
	// add appends a[lo:hi], every one of them present.
	add(a arrow.Array, lo, hi int)
	// size is the buffered values' size in bytes, as counted against
	// Options.PageBytes: their width in memory (4 for a dictionary
	// index), or length plus 4 for a string.
	size() int
	// bounds returns the page's least and greatest values in PLAIN
	// form, and false when it has none. They are valid until the next
	// call.
	bounds() (lo, hi []byte, ok bool)
	// encode appends the page's values to dst, empties the page and
	// returns the encoding used.
	encode(dst []byte) ([]byte, format.Encoding, error)
	// dictionary appends the chunk's dictionary page (PLAIN values) to
	// dst and returns the number of entries; 0 without a dictionary.
	dictionary(dst []byte) ([]byte, int)
	// full says the dictionary has reached dictionaryMaxBytes: the
	// column ends the page, then calls fallback, after which pages are
	// PLAIN until the chunk ends.
	full() bool
	fallback()
	// reset starts a new chunk.
	reset()
}

// newValueWriter returns the writer of a leaf's values.
func newValueWriter(l *leaf) valueWriter {
	switch l.typ.ID() {
	case arrow.INT64:
		if l.dict {
			return newDictNumWriter[int64]()
		}
		return &fixedWriter[int64]{enc: format.DeltaBinaryPacked}
	case arrow.INT32:
		return &fixedWriter[int32]{enc: format.DeltaBinaryPacked}
	case arrow.UINT32:
		return &fixedWriter[uint32]{enc: format.DeltaBinaryPacked}
	case arrow.UINT64:
		return newDictNumWriter[uint64]()
	case arrow.UINT8:
		return newDictNumWriter[uint8]()
	case arrow.FLOAT64:
		return &fixedWriter[float64]{enc: format.Plain}
	case arrow.BOOL:
		return new(boolWriter)
	}
	if l.dict {
		return newDictStringWriter()
	}
	return new(plainStringWriter)
}

// number is the Go type of a numeric Arrow column; its < is the order
// of its Parquet logical type (unsigned for the unsigned ones).
type number interface {
	int32 | int64 | uint32 | uint64 | uint8 | float64
}

// arrowValues returns the values of a numeric Arrow array, offset
// applied.
func arrowValues[T number](a arrow.Array) []T {
	var vs any
	switch a := a.(type) {
	case *array.Int64:
		vs = a.Int64Values()
	case *array.Int32:
		vs = a.Int32Values()
	case *array.Uint32:
		vs = a.Uint32Values()
	case *array.Uint64:
		vs = a.Uint64Values()
	case *array.Uint8:
		vs = a.Uint8Values()
	case *array.Float64:
		vs = a.Float64Values()
	}
	return vs.([]T)
}

// minMax returns the least and greatest of vs, NaNs left out (they have
// no place in Parquet's order), and whether there was any.
func minMax[T number](vs []T) (lo, hi T, ok bool) {
	if f, isFloat := any(vs).([]float64); isFloat {
		l, h, ok := minMaxFloat(f)
		return T(l), T(h), ok
	}
	if len(vs) == 0 {
		return lo, hi, false
	}
	// Four independent pairs of bounds, in conditional moves: a page's
	// bounds cost a fraction of a nanosecond a value, where one pair
	// of compare-and-branch made each value wait for the one before.
	lo0, hi0 := vs[0], vs[0]
	lo1, hi1, lo2, hi2, lo3, hi3 := lo0, hi0, lo0, hi0, lo0, hi0
	i := 0
	for ; i+4 <= len(vs); i += 4 {
		v := vs[i : i+4 : i+4]
		lo0, hi0 = min(lo0, v[0]), max(hi0, v[0])
		lo1, hi1 = min(lo1, v[1]), max(hi1, v[1])
		lo2, hi2 = min(lo2, v[2]), max(hi2, v[2])
		lo3, hi3 = min(lo3, v[3]), max(hi3, v[3])
	}
	for _, v := range vs[i:] {
		lo0, hi0 = min(lo0, v), max(hi0, v)
	}
	return min(lo0, lo1, lo2, lo3), max(hi0, hi1, hi2, hi3), true
}

// minMaxFloat is minMax of doubles, which skips NaNs.
func minMaxFloat(vs []float64) (lo, hi float64, ok bool) {
	for _, v := range vs {
		switch {
		case v != v:
		case !ok:
			lo, hi, ok = v, v, true
		case v < lo:
			lo = v
		case v > hi:
			hi = v
		}
	}
	return lo, hi, ok
}

// appendPlain appends v in the PLAIN encoding of its physical type:
// little-endian, 4 bytes for INT32 (uint8 and uint32 included), 8 for
// INT64 and DOUBLE.
func appendPlain[T number](dst []byte, v T) []byte {
	switch v := any(v).(type) {
	case int32:
		return binary.LittleEndian.AppendUint32(dst, uint32(v))
	case uint32:
		return binary.LittleEndian.AppendUint32(dst, v)
	case uint8:
		return binary.LittleEndian.AppendUint32(dst, uint32(v))
	case int64:
		return binary.LittleEndian.AppendUint64(dst, uint64(v))
	case uint64:
		return binary.LittleEndian.AppendUint64(dst, v)
	case float64:
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
	}
	panic("part: no PLAIN encoding")
}

// appendPlainSlice appends vs PLAIN-encoded.
func appendPlainSlice[T number](dst []byte, vs []T) []byte {
	if len(vs) == 0 {
		return dst
	}
	var zero T
	if unsafe.Sizeof(zero) == 1 { // uint8 widens to INT32
		for _, v := range vs {
			dst = appendPlain(dst, v)
		}
		return dst
	}
	// The host is little-endian (amd64, arm64), as PLAIN is.
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(vs))), len(vs)*int(unsafe.Sizeof(zero)))
	return append(dst, b...)
}

// boundsBytes turns a page's typed bounds into PLAIN bytes kept in buf.
// A zero bound of a double is written as -0 when least and +0 when
// greatest, as the format asks, so that readers comparing either zero
// skip nothing they should not.
func boundsBytes[T number](buf []byte, lo, hi T) ([]byte, []byte, []byte) {
	if f, ok := any(lo).(float64); ok && f == 0 {
		lo = any(math.Copysign(0, -1)).(T)
	}
	if f, ok := any(hi).(float64); ok && f == 0 {
		hi = any(0.0).(T)
	}
	buf = appendPlain(appendPlain(buf[:0], lo), hi)
	n := len(buf) / 2
	return buf, buf[:n:n], buf[n:]
}

// appendEncoded appends to dst what enc writes into the buffer it is
// given: parquet-go's encoders write from the start of their dst, so
// they get dst's spare capacity, and only when they outgrow it is their
// output copied.
func appendEncoded(dst []byte, enc func([]byte) ([]byte, error)) ([]byte, error) {
	n := len(dst)
	out, err := enc(dst[n:n])
	if err != nil {
		return dst, err
	}
	if len(out) > 0 && n < cap(dst) && unsafe.SliceData(out) == unsafe.SliceData(dst[n:n+1]) {
		return dst[:n+len(out)], nil
	}
	return append(dst, out...), nil
}

// fixedWriter writes leaves of fixed-width numbers, in
// DELTA_BINARY_PACKED (ids, indexes, offsets and counts, which are
// sorted or change slowly and take a few bits each) or in PLAIN.
type fixedWriter[T number] struct {
	enc  format.Encoding
	vals []T
	buf  []byte
}

var deltaEncoding delta.BinaryPackedEncoding

// appendByteArray appends a BYTE_ARRAY value as PLAIN has it: its
// length in 4 bytes, then its bytes.
func appendByteArray(dst, s []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(buf.Reserve(dst, 4+len(s)), uint32(len(s)))
	return append(dst, s...)
}

func (w *fixedWriter[T]) add(a arrow.Array, lo, hi int) {
	w.vals = buf.Append(w.vals, arrowValues[T](a)[lo:hi]...)
}

func (w *fixedWriter[T]) size() int { return len(w.vals) * int(unsafe.Sizeof(T(0))) }

func (w *fixedWriter[T]) bounds() ([]byte, []byte, bool) {
	lo, hi, ok := minMax(w.vals)
	if !ok {
		return nil, nil, false
	}
	var l, h []byte
	w.buf, l, h = boundsBytes(w.buf, lo, hi)
	return l, h, true
}

func (w *fixedWriter[T]) encode(dst []byte) ([]byte, format.Encoding, error) {
	defer func() { w.vals = w.vals[:0] }()
	if w.enc == format.Plain {
		return appendPlainSlice(dst, w.vals), format.Plain, nil
	}
	// Unsigned integers are stored as the signed ones of their width;
	// the deltas wrap the same way.
	p := unsafe.Pointer(unsafe.SliceData(w.vals))
	dst, err := appendEncoded(dst, func(b []byte) ([]byte, error) {
		if unsafe.Sizeof(T(0)) == 8 {
			return deltaEncoding.EncodeInt64(b, unsafe.Slice((*int64)(p), len(w.vals)))
		}
		return deltaEncoding.EncodeInt32(b, unsafe.Slice((*int32)(p), len(w.vals)))
	})
	return dst, format.DeltaBinaryPacked, err
}

func (w *fixedWriter[T]) dictionary(dst []byte) ([]byte, int) { return dst, 0 }
func (w *fixedWriter[T]) full() bool                          { return false }
func (w *fixedWriter[T]) fallback()                           {}
func (w *fixedWriter[T]) reset()                              { w.vals = w.vals[:0] }

// boolWriter writes boolean leaves in PLAIN: one bit each, the first
// value in the lowest bit.
type boolWriter struct {
	vals []bool
	seen [2]bool
}

func (w *boolWriter) add(a arrow.Array, lo, hi int) {
	b := a.(*array.Boolean)
	for i := lo; i < hi; i++ {
		v := b.Value(i)
		w.vals = append(w.vals, v)
		w.seen[bit(v)] = true
	}
}

func bit(v bool) int {
	if v {
		return 1
	}
	return 0
}

func (w *boolWriter) size() int { return len(w.vals) }

var falseTrue = []byte{0, 1}

func (w *boolWriter) bounds() ([]byte, []byte, bool) {
	lo, hi := bit(!w.seen[0]), bit(w.seen[1])
	return falseTrue[lo : lo+1], falseTrue[hi : hi+1], w.seen[0] || w.seen[1]
}

func (w *boolWriter) encode(dst []byte) ([]byte, format.Encoding, error) {
	for i := 0; i < len(w.vals); i += 8 {
		var b byte
		for j, v := range w.vals[i:min(i+8, len(w.vals))] {
			b |= byte(bit(v)) << j
		}
		dst = append(dst, b)
	}
	w.vals, w.seen = w.vals[:0], [2]bool{}
	return dst, format.Plain, nil
}

func (w *boolWriter) dictionary(dst []byte) ([]byte, int) { return dst, 0 }
func (w *boolWriter) full() bool                          { return false }
func (w *boolWriter) fallback()                           {}
func (w *boolWriter) reset()                              { w.vals, w.seen = w.vals[:0], [2]bool{} }

// encodeIndexes appends indexes into a dictionary of n entries in the
// RLE_DICTIONARY layout: their bit width in one byte, then the
// RLE/bit-packed hybrid. The width is the dictionary's, which saves a
// pass over the indexes to find the largest; it differs from the
// page's only in a page that adds no entry, and by little. Up to 16
// bits, parquet-go's encoder (vectorised, and finding runs); wider
// indexes, which it packs several times slower, in one bit-packed run.
func encodeIndexes(dst []byte, idx []int32, n int) ([]byte, error) {
	width := bits.Len(uint(n - 1))
	dst = append(dst, byte(width))
	if width > 16 {
		return appendBitPacked(dst, idx, width), nil
	}
	enc := rle.Encoding{BitWidth: width}
	return appendEncoded(dst, func(b []byte) ([]byte, error) { return enc.EncodeInt32(b, idx) })
}

// appendBitPacked appends idx as one bit-packed run of the hybrid: its
// header (the count of groups of 8 values, shifted, with the low bit
// set), then the values width bits each, the first in the lowest bits,
// the last group padded with zeros.
func appendBitPacked(dst []byte, idx []int32, width int) []byte {
	groups := (len(idx) + 7) / 8
	dst = binary.AppendUvarint(dst, uint64(groups)<<1|1)
	n := len(dst)
	dst = slices.Grow(dst, groups*width)[:n+groups*width]
	out := dst[n:]
	var acc uint64
	nbits, p := 0, 0
	for _, v := range idx {
		acc |= uint64(uint32(v)) << nbits
		if nbits += width; nbits >= 32 {
			binary.LittleEndian.PutUint32(out[p:], uint32(acc))
			p, acc, nbits = p+4, acc>>32, nbits-32
		}
	}
	for ; p < len(out); p++ {
		out[p], acc = byte(acc), acc>>8
	}
	return dst
}

// stringData returns a string array's offsets (offset applied) and the
// data buffer they index.
func stringData(a arrow.Array) ([]int32, []byte) {
	s := a.(*array.String)
	var data []byte
	if b := s.Data().Buffers()[2]; b != nil {
		data = b.Bytes()
	}
	return s.ValueOffsets(), data
}

// forPresent calls add for each run of present values among a[lo:hi].
func forPresent(a arrow.Array, lo, hi int, add func(lo, hi int)) {
	bm := a.NullBitmapBytes()
	if a.NullN() == 0 || len(bm) == 0 {
		add(lo, hi)
		return
	}
	off := a.Data().Offset()
	for i := lo; i < hi; {
		for i < hi && !bitutil.BitIsSet(bm, off+i) {
			i++
		}
		j := i
		for j < hi && bitutil.BitIsSet(bm, off+j) {
			j++
		}
		if i < j {
			add(i, j)
		}
		i = j
	}
}
