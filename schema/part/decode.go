package part

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/klauspost/compress/snappy"
	"github.com/parquet-go/parquet-go/format"
)

// The decoders of the encodings parts use. Each is told how many values
// to expect and fails, rather than allocating or reading beyond, when
// the data disagrees.

// decodeHybrid decodes len(out) values of the RLE/bit-packed hybrid of
// the given bit width (levels, dictionary indexes). A run is a varint
// header: an even one is a run of header/2 copies of the value in the
// next (width+7)/8 bytes, little-endian; an odd one header/2 groups of 8
// values bit-packed in width bytes each, the first value in the lowest
// bits.
func decodeHybrid(out []uint32, src []byte, width int) error {
	if width > 32 {
		return fmt.Errorf("bit width %d", width)
	}
	for n := 0; n < len(out); {
		h, k := binary.Uvarint(src)
		if k <= 0 {
			return fmt.Errorf("run header at value %d of %d: %w", n, len(out), errShortData)
		}
		src = src[k:]
		if h&1 == 0 {
			nb := (width + 7) / 8
			if len(src) < nb {
				return errShortData
			}
			var v uint32
			for i := nb - 1; i >= 0; i-- {
				v = v<<8 | uint32(src[i])
			}
			src = src[nb:]
			count := min(h>>1, uint64(len(out)-n))
			for i := range int(count) {
				out[n+i] = v
			}
			n += int(count)
			continue
		}
		groups := h >> 1
		if groups > uint64(len(src)) || groups*uint64(width) > uint64(len(src)) {
			return fmt.Errorf("bit-packed run of %d groups of width %d in %d bytes: %w", groups, width, len(src), errShortData)
		}
		count := min(groups*8, uint64(len(out)-n))
		unpack(out[n:n+int(count)], src, width)
		n += int(count)
		src = src[groups*uint64(width):]
	}
	return nil
}

var errShortData = errors.New("data ends early")

// unpack reads len(out) values of width bits from src, which holds
// enough of them.
func unpack(out []uint32, src []byte, width int) {
	var acc uint64
	nacc, p := 0, 0
	mask := uint64(1)<<width - 1
	for i := range out {
		for nacc < width {
			acc |= uint64(src[p]) << nacc
			p++
			nacc += 8
		}
		out[i] = uint32(acc & mask)
		acc >>= width
		nacc -= width
	}
}

// decodeDelta decodes len(out) values of DELTA_BINARY_PACKED: a header
// (block size, miniblocks per block, value count, first value), then
// blocks, each its least delta, the bit width of each miniblock, and the
// miniblocks of bit-packed deltas less the least. Sums wrap, as the
// writer's differences did.
func decodeDelta(out []int64, src []byte) error {
	_, err := decodeDeltaPrefix(out, src)
	return err
}

// decodeDeltaPrefix is decodeDelta of the start of src; it returns the
// rest.
func decodeDeltaPrefix(out []int64, src []byte) ([]byte, error) {
	var hdr [4]uint64
	for i := range hdr {
		v, k := binary.Uvarint(src)
		if k <= 0 {
			return nil, errShortData
		}
		hdr[i], src = v, src[k:]
	}
	block, minis, total := hdr[0], hdr[1], hdr[2]
	switch {
	case block == 0 || block%128 != 0 || block > 1<<16:
		return nil, fmt.Errorf("delta block of %d values", block)
	case minis == 0 || block%minis != 0 || (block/minis)%32 != 0:
		return nil, fmt.Errorf("delta block of %d values in %d miniblocks", block, minis)
	case total != uint64(len(out)):
		return nil, fmt.Errorf("%d delta-encoded values where the page has %d", total, len(out))
	case total == 0:
		return src, nil
	}
	prev := int64(hdr[3]>>1) ^ -int64(hdr[3]&1)
	out[0] = prev
	per := int(block / minis)
	deltas := make([]uint32, per)
	for n := 1; n < len(out); {
		least, k := binary.Varint(src)
		if k <= 0 || uint64(len(src)-k) < minis {
			return nil, errShortData
		}
		widths := src[k : k+int(minis)]
		src = src[k+int(minis):]
		for _, w := range widths {
			if n == len(out) {
				break
			}
			if w > 64 {
				return nil, fmt.Errorf("delta bit width %d", w)
			}
			count := min(per, len(out)-n)
			need := min(per*int(w)/8, len(src))
			if count*int(w) > 8*need {
				return nil, errShortData
			}
			if err := addDeltas(out[n:n+count], src[:need], int(w), least, &prev, deltas); err != nil {
				return nil, err
			}
			src = src[need:]
			n += count
		}
	}
	return src, nil
}

// addDeltas decodes a miniblock: each value is the previous one plus the
// least delta plus its packed delta.
func addDeltas(out []int64, src []byte, width int, least int64, prev *int64, scratch []uint32) error {
	if width <= 32 {
		d := scratch[:len(out)]
		unpack(d, src, width)
		for i, v := range d {
			*prev += least + int64(v)
			out[i] = *prev
		}
		return nil
	}
	var acc uint64
	nacc, p := 0, 0
	for i := range out {
		var v uint64
		for got := 0; got < width; {
			if nacc == 0 {
				acc, nacc = uint64(src[p]), 8
				p++
			}
			take := min(width-got, nacc)
			v |= (acc & (1<<take - 1)) << got
			acc >>= take
			nacc -= take
			got += take
		}
		*prev += least + int64(v)
		out[i] = *prev
	}
	return nil
}

// decompress returns src decompressed, size bytes, in dst's memory when
// it is large enough.
func decompress(codec int64, dst, src []byte, size int) ([]byte, error) {
	var out []byte
	var err error
	switch format.CompressionCodec(codec) {
	case format.Uncompressed:
		out = src
	case format.Snappy:
		var n int
		if n, err = snappy.DecodedLen(src); err != nil {
			return nil, err
		}
		if n != size {
			return nil, fmt.Errorf("snappy data of %d bytes, the header says %d", n, size)
		}
		out, err = snappy.Decode(dst[:cap(dst)], src)
	case format.Zstd:
		if cap(dst) < size {
			dst = make([]byte, 0, size)
		}
		out, err = zstdDecoder().DecodeAll(src, dst[:0])
	default:
		return nil, fmt.Errorf("compression codec %d", codec)
	}
	if err == nil && len(out) != size {
		err = fmt.Errorf("page of %d bytes, the header says %d", len(out), size)
	}
	return out, err
}

// plainWidth is the size of a PLAIN value of a fixed-width physical
// type, 0 for BYTE_ARRAY and BOOLEAN.
func plainWidth(t format.Type) int {
	switch t {
	case format.Int32:
		return 4
	case format.Int64, format.Double:
		return 8
	}
	return 0
}

// decodePlain appends n PLAIN values of physical type t from src to
// v, and returns the bytes used.
func decodePlain(v *leafValues, t format.Type, src []byte, n int) (int, error) {
	switch t {
	case format.Boolean:
		if len(src)*8 < n {
			return 0, errShortData
		}
		for i := range n {
			v.ints = append(v.ints, int64(src[i>>3]>>(i&7)&1))
		}
		return (n + 7) / 8, nil
	case format.ByteArray:
		p := 0
		for range n {
			if len(src)-p < 4 {
				return 0, errShortData
			}
			l := int(binary.LittleEndian.Uint32(src[p:]))
			if l > len(src)-p-4 {
				return 0, fmt.Errorf("string of %d bytes with %d left: %w", l, len(src)-p-4, errShortData)
			}
			if err := v.addString(src[p+4 : p+4+l]); err != nil {
				return 0, err
			}
			p += 4 + l
		}
		return p, nil
	}
	w := plainWidth(t)
	if w == 0 || len(src)/w < n {
		return 0, errShortData
	}
	for i := range n {
		b := src[i*w:]
		switch t {
		case format.Int32:
			v.ints = append(v.ints, int64(int32(binary.LittleEndian.Uint32(b))))
		case format.Int64:
			v.ints = append(v.ints, int64(binary.LittleEndian.Uint64(b)))
		case format.Double:
			v.floats = append(v.floats, math.Float64frombits(binary.LittleEndian.Uint64(b)))
		}
	}
	return n * w, nil
}

// leafValues are decoded values of one physical type: integers (and
// booleans as 0 and 1), doubles, or strings, which are strs[offs[i]:
// offs[i+1]].
type leafValues struct {
	ints   []int64
	floats []float64
	strs   []byte
	offs   []int32
}

// maxChunkStrings bounds the bytes of a column chunk's strings once
// decoded (a dictionary entry counts each time it is used): Arrow's
// offsets are 32-bit.
const maxChunkStrings = 1 << 30

func (v *leafValues) addString(s []byte) error {
	if len(v.offs) == 0 {
		v.offs = append(v.offs, 0)
	}
	if len(v.strs)+len(s) > maxChunkStrings {
		return fmt.Errorf("strings of the column chunk pass %d bytes", maxChunkStrings)
	}
	v.strs = append(v.strs, s...)
	v.offs = append(v.offs, int32(len(v.strs)))
	return nil
}

func (v *leafValues) len() int {
	return len(v.ints) + len(v.floats) + max(0, len(v.offs)-1)
}

// appendFrom appends value i of d to v.
func (v *leafValues) appendFrom(d *leafValues, i int) error {
	switch {
	case d.ints != nil:
		v.ints = append(v.ints, d.ints[i])
	case d.floats != nil:
		v.floats = append(v.floats, d.floats[i])
	default:
		return v.addString(d.strs[d.offs[i]:d.offs[i+1]])
	}
	return nil
}
