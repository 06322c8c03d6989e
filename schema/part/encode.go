package part

import (
	"fmt"
	"slices"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/kdf-tools/kdf/schema"
	"github.com/parquet-go/parquet-go"
)

// A leafEncoder appends to dst the Parquet values, levels included, that
// rows [lo, hi) of an Arrow array contribute to one leaf column. The
// values point into the array's buffers (strings are not copied): they
// are valid until the array is released, and parquet-go copies what it
// keeps (dictionary entries, page buffers, statistics).
type leafEncoder func(dst []parquet.Value, a arrow.Array, lo, hi int) []parquet.Value

// leafEncoders returns the encoders of a column's leaves, in the order
// of the leaves in the Parquet schema: one for a scalar or a list, the
// key's then the value's for a map.
func leafEncoders(c schema.Column) ([]leafEncoder, error) {
	top := 0
	if c.Nullable {
		top = 1
	}
	switch t := c.Type.(type) {
	case *arrow.MapType:
		k, err := flat(t.KeyType(), false)
		if err != nil {
			return nil, err
		}
		v, err := flat(t.ItemType(), false)
		if err != nil {
			return nil, err
		}
		keys := func(a arrow.Array) arrow.Array { return a.(*array.Map).Keys() }
		items := func(a arrow.Array) arrow.Array { return a.(*array.Map).Items() }
		return []leafEncoder{
			nested(keys, k, top, 0),
			nested(items, v, top, level(t.ItemField().Nullable)),
		}, nil
	case *arrow.ListType:
		e, err := flat(t.Elem(), false)
		if err != nil {
			return nil, err
		}
		elems := func(a arrow.Array) arrow.Array { return a.(*array.List).ListValues() }
		return []leafEncoder{nested(elems, e, top, level(t.ElemField().Nullable))}, nil
	}
	e, err := flat(c.Type, c.Nullable)
	if err != nil {
		return nil, err
	}
	return []leafEncoder{e}, nil
}

func level(nullable bool) int {
	if nullable {
		return 1
	}
	return 0
}

// flat returns the encoder of a scalar column: one value per row, with
// definition level 1 when present in an optional column and the null
// value otherwise. Each physical type has its own plain loop over
// Arrow's value slice: building a value is then two stores, where a
// generic or per-value call costs several times that.
func flat(t arrow.DataType, nullable bool) (leafEncoder, error) {
	var enc leafEncoder
	switch t.ID() {
	case arrow.INT64:
		enc = func(dst []parquet.Value, a arrow.Array, lo, hi int) []parquet.Value {
			return int64Values(dst, a.(*array.Int64).Int64Values()[lo:hi])
		}
	case arrow.UINT64:
		// The bits are kept; the UINT(64) logical type says how to read them.
		enc = func(dst []parquet.Value, a arrow.Array, lo, hi int) []parquet.Value {
			return int64Values(dst, asSigned[uint64, int64](a.(*array.Uint64).Uint64Values()[lo:hi]))
		}
	case arrow.INT32:
		enc = func(dst []parquet.Value, a arrow.Array, lo, hi int) []parquet.Value {
			return int32Values(dst, a.(*array.Int32).Int32Values()[lo:hi])
		}
	case arrow.UINT32:
		enc = func(dst []parquet.Value, a arrow.Array, lo, hi int) []parquet.Value {
			return int32Values(dst, asSigned[uint32, int32](a.(*array.Uint32).Uint32Values()[lo:hi]))
		}
	case arrow.UINT8:
		enc = uint8Values
	case arrow.FLOAT64:
		enc = doubleValues
	case arrow.BOOL:
		enc = boolValues
	case arrow.STRING:
		enc = stringValues
	default:
		return nil, fmt.Errorf("arrow type %s has no Parquet mapping", t)
	}
	return optional(enc, nullable), nil
}

// asSigned reinterprets unsigned integers as the signed ones of the same
// width, which is how Parquet stores them.
func asSigned[U uint32 | uint64, S int32 | int64](u []U) []S {
	if unsafe.Sizeof(U(0)) != unsafe.Sizeof(S(0)) {
		panic("part: asSigned between different widths")
	}
	return unsafe.Slice((*S)(unsafe.Pointer(unsafe.SliceData(u))), len(u))
}

// grow extends dst by n values and returns it with the new part.
func grow(dst []parquet.Value, n int) ([]parquet.Value, []parquet.Value) {
	k := len(dst)
	dst = slices.Grow(dst, n)[:k+n]
	return dst, dst[k:]
}

func int64Values(dst []parquet.Value, vs []int64) []parquet.Value {
	dst, out := grow(dst, len(vs))
	for i, v := range vs {
		out[i] = parquet.Int64Value(v)
	}
	return dst
}

func int32Values(dst []parquet.Value, vs []int32) []parquet.Value {
	dst, out := grow(dst, len(vs))
	for i, v := range vs {
		out[i] = parquet.Int32Value(v)
	}
	return dst
}

func uint8Values(dst []parquet.Value, a arrow.Array, lo, hi int) []parquet.Value {
	dst, out := grow(dst, hi-lo)
	for i, v := range a.(*array.Uint8).Uint8Values()[lo:hi] {
		out[i] = parquet.Int32Value(int32(v))
	}
	return dst
}

func doubleValues(dst []parquet.Value, a arrow.Array, lo, hi int) []parquet.Value {
	dst, out := grow(dst, hi-lo)
	for i, v := range a.(*array.Float64).Float64Values()[lo:hi] {
		out[i] = parquet.DoubleValue(v)
	}
	return dst
}

func boolValues(dst []parquet.Value, a arrow.Array, lo, hi int) []parquet.Value {
	b := a.(*array.Boolean)
	dst, out := grow(dst, hi-lo)
	for i := range out {
		out[i] = parquet.BooleanValue(b.Value(lo + i))
	}
	return dst
}

// stringValues points each value at the string's bytes in Arrow's data
// buffer: no copy, no allocation.
func stringValues(dst []parquet.Value, a arrow.Array, lo, hi int) []parquet.Value {
	s := a.(*array.String)
	offs := s.ValueOffsets()[lo : hi+1]
	var data []byte
	if buf := s.Data().Buffers()[2]; buf != nil {
		data = buf.Bytes()
	}
	dst, out := grow(dst, hi-lo)
	for i := range out {
		b, e := offs[i], offs[i+1]
		out[i] = parquet.ByteArrayValue(data[b:e:e])
	}
	return dst
}

// optional wraps an encoder of present values for a column that may be
// optional: present values get definition level 1, null rows become
// the null value. Required columns were checked for nulls by the
// writer and pass through.
func optional(enc leafEncoder, nullable bool) leafEncoder {
	if !nullable {
		return enc
	}
	return func(dst []parquet.Value, a arrow.Array, lo, hi int) []parquet.Value {
		k := len(dst)
		dst = enc(dst, a, lo, hi)
		vals := dst[k:]
		if a.NullN() == 0 {
			for i := range vals {
				vals[i].SetDefinitionLevel(1)
			}
			return dst
		}
		for i := range vals {
			if a.IsValid(lo + i) {
				vals[i].SetDefinitionLevel(1)
			} else {
				vals[i] = parquet.Value{}
			}
		}
		return dst
	}
}

// nested encodes the leaf of a list (the elements) or of a map (the keys
// or the values). top is 1 when the column itself is optional, elem 1
// when its elements may be null. Per row: a null list is one value with
// definition level 0, an empty one one value with level top, and each
// element a value with repetition level 0 for the first and 1 for the
// others, and definition level top+1+elem (top+1 for a null element).
func nested(child func(arrow.Array) arrow.Array, enc leafEncoder, top, elem int) leafEncoder {
	return func(dst []parquet.Value, a arrow.Array, lo, hi int) []parquet.Value {
		l := a.(array.ListLike)
		c := child(a)
		for i := lo; i < hi; i++ {
			if l.IsNull(i) {
				dst = append(dst, parquet.Value{})
				continue
			}
			s, e := l.ValueOffsets(i)
			if s == e {
				var v parquet.Value
				v.SetDefinitionLevel(top)
				dst = append(dst, v)
				continue
			}
			k := len(dst)
			dst = enc(dst, c, int(s), int(e))
			for j := range dst[k:] {
				v := &dst[k+j]
				if elem == 1 && c.IsNull(int(s)+j) {
					*v = parquet.Value{}
					v.SetDefinitionLevel(top + 1)
				} else {
					v.SetDefinitionLevel(top + 1 + elem)
				}
				v.SetRepetitionLevel(min(j, 1))
			}
		}
		return dst
	}
}
