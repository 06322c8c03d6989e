package pipeline

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The records and calls tables' fixed-width and list columns become
// Arrow arrays by wrapping slices as the arrays' buffers: filling Arrow
// builders instead zeroes each buffer twice (Go's allocator, then
// Arrow's) and copies it once more. A lent batch wraps the Processor's
// own slices, reused for the next batch; an owned one wraps copies.

type fixedWidth interface {
	~int32 | ~int64 | ~uint8 | ~uint32 | ~uint64
}

// batchSlices says whether a batch's arrays may wrap the Processor's
// slices (lent) or must wrap copies (owned).
type batchSlices bool

const (
	owned batchSlices = false
	lent  batchSlices = true
)

// of returns vals for a batch: vals itself when lent, else a copy.
func of[T any](b batchSlices, vals []T) []T {
	if b == lent {
		return vals
	}
	return slices.Clone(vals)
}

// scratch returns a slice of n elements for a batch: buf's memory,
// grown as needed and kept for the next batch, when lent; new memory
// otherwise.
func scratch[T any](b batchSlices, buf *[]T, n int) []T {
	if b == owned {
		return make([]T, n)
	}
	if cap(*buf) < n {
		*buf = make([]T, n)
	}
	*buf = (*buf)[:n]
	return *buf
}

// fixedArray is an array of type t holding vals (a copy of them unless
// lent), null where valid is false (nil: no nulls).
func fixedArray[T fixedWidth](b batchSlices, t arrow.DataType, vals []T, valid []bool) arrow.Array {
	return ownedArray(t, of(b, vals), valid)
}

// ownedArray is an array wrapping vals as they are.
func ownedArray[T fixedWidth](t arrow.DataType, vals []T, valid []bool) arrow.Array {
	mask, nulls := bitmap(valid)
	d := array.NewData(t, len(vals), []*memory.Buffer{mask, memory.NewBufferBytes(bytesOf(vals))}, nil, nulls, 0)
	defer d.Release()
	return array.MakeFromData(d)
}

// fieldsArray is the records table's fields column of n rows: row i
// holds the next nvals[i] values of flat, or is null when nvals[i] < 2
// (a scalar). offsets and valid are the scratch of the column.
func fieldsArray(b batchSlices, t *arrow.ListType, nvals []int32, flat []uint64, offsets *[]int32, valid *[]bool) arrow.Array {
	offs, ok := scratch(b, offsets, len(nvals)+1), scratch(b, valid, len(nvals))
	offs[0] = 0
	var at int32
	for i, k := range nvals {
		if k > 1 {
			at += k
		}
		ok[i] = k > 1
		offs[i+1] = at
	}
	return ownedListArray(t, offs, of(b, flat[:at]), ok)
}

// ownedListArray is a list column whose row i holds values
// [offsets[i], offsets[i+1]), null where valid is false (nil: no nulls);
// the batch keeps offsets and values.
func ownedListArray[T fixedWidth](t *arrow.ListType, offsets []int32, values []T, valid []bool) arrow.Array {
	vd := array.NewData(t.Elem(), len(values), []*memory.Buffer{nil, memory.NewBufferBytes(bytesOf(values))}, nil, 0, 0)
	defer vd.Release()
	mask, nulls := bitmap(valid)
	d := array.NewData(t, len(offsets)-1, []*memory.Buffer{mask, memory.NewBufferBytes(bytesOf(offsets))}, []arrow.ArrayData{vd}, nulls, 0)
	defer d.Release()
	return array.MakeFromData(d)
}

// bitmap is the validity bitmap of valid and its count of nulls; nil
// when nothing is null.
func bitmap(valid []bool) (*memory.Buffer, int) {
	b := make([]byte, bitutil.BytesForBits(int64(len(valid))))
	set := 0
	whole := len(valid) &^ 7
	for i := 0; i < whole; i += 8 {
		// Eight bools, 0 or 1 each, as one word: the multiply gathers
		// their low bits into its top byte, first bool lowest.
		w := binary.LittleEndian.Uint64(unsafe.Slice((*byte)(unsafe.Pointer(&valid[i])), 8))
		b[i/8] = byte(w * 0x0102040810204080 >> 56)
		set += bits.OnesCount8(b[i/8])
	}
	for i := whole; i < len(valid); i++ {
		if valid[i] {
			bitutil.SetBit(b, i)
			set++
		}
	}
	if set == len(valid) {
		return nil, 0
	}
	return memory.NewBufferBytes(b), len(valid) - set
}

func bytesOf[T fixedWidth](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(zero)))
}
