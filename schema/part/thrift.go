package part

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The footer and the page headers are thrift structures in the compact
// protocol. They are read here, into the few fields a reader of parts
// needs, rather than with parquet-go's decoder: that one sizes each list
// by the count the input gives, so a few hostile bytes could make it
// allocate gigabytes. Here no count is trusted: a list may not claim
// more elements than there are bytes left, nesting is bounded, and the
// lists that become Go slices have the sizes the table implies.
//
// Compact protocol, as far as it matters here: a struct is a sequence
// of fields, each a header byte (the field id's delta from the previous
// one in the high nibble, or 0 and a zigzag varint id after it; the type
// in the low nibble), then the value; a 0 byte ends the struct.
// Integers are zigzag varints, binaries a varint length and the bytes,
// lists a header byte (size in the high nibble, 15 meaning a varint
// size follows; element type in the low nibble) and the elements.

// Compact protocol types.
const (
	tBoolTrue  = 1
	tBoolFalse = 2
	tByte      = 3
	tI16       = 4
	tI32       = 5
	tI64       = 6
	tDouble    = 7
	tBinary    = 8
	tList      = 9
	tSet       = 10
	tMap       = 11
	tStruct    = 12
	tUUID      = 13
)

// maxThriftDepth bounds the nesting of structures and lists; the
// footer needs 6.
const maxThriftDepth = 16

var errThriftShort = errors.New("thrift: structure ends early")

// thriftReader reads one compact protocol structure from b.
type thriftReader struct {
	b     []byte
	pos   int
	depth int
}

func (r *thriftReader) byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, errThriftShort
	}
	r.pos++
	return r.b[r.pos-1], nil
}

func (r *thriftReader) uvarint() (uint64, error) {
	v, n := binary.Uvarint(r.b[r.pos:])
	if n <= 0 {
		if n == 0 {
			return 0, errThriftShort
		}
		return 0, errors.New("thrift: varint overflows 64 bits")
	}
	r.pos += n
	return v, nil
}

func (r *thriftReader) varint() (int64, error) {
	u, err := r.uvarint()
	return int64(u>>1) ^ -int64(u&1), err
}

// integer reads an integer field of type typ that must fit in [0, max].
func (r *thriftReader) integer(typ byte, max int64) (int64, error) {
	if typ != tI16 && typ != tI32 && typ != tI64 && typ != tByte {
		return 0, fmt.Errorf("thrift: type %d where an integer was expected", typ)
	}
	var v int64
	var err error
	if typ == tByte {
		var b byte
		b, err = r.byte()
		v = int64(int8(b))
	} else {
		v, err = r.varint()
	}
	if err == nil && (v < 0 || v > max) {
		err = fmt.Errorf("thrift: %d out of range [0, %d]", v, max)
	}
	return v, err
}

// binary reads a binary field: the bytes are b's, not copied.
func (r *thriftReader) binary(typ byte) ([]byte, error) {
	if typ != tBinary {
		return nil, fmt.Errorf("thrift: type %d where a binary was expected", typ)
	}
	n, err := r.uvarint()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(r.b)-r.pos) {
		return nil, fmt.Errorf("thrift: binary of %d bytes with %d left", n, len(r.b)-r.pos)
	}
	r.pos += int(n)
	return r.b[r.pos-int(n) : r.pos], nil
}

// list reads a list header of type typ and returns its element type and
// count, which is at most the bytes left and at most max.
func (r *thriftReader) list(typ byte, max int) (byte, int, error) {
	if typ != tList && typ != tSet {
		return 0, 0, fmt.Errorf("thrift: type %d where a list was expected", typ)
	}
	h, err := r.byte()
	if err != nil {
		return 0, 0, err
	}
	n := uint64(h >> 4)
	if n == 15 {
		if n, err = r.uvarint(); err != nil {
			return 0, 0, err
		}
	}
	if n > uint64(len(r.b)-r.pos) || n > uint64(max) {
		return 0, 0, fmt.Errorf("thrift: list of %d elements, at most %d allowed", n, min(max, len(r.b)-r.pos))
	}
	return h & 15, int(n), nil
}

// nest enters a structure, list or map, within maxThriftDepth; the
// caller leaves it with r.depth--.
func (r *thriftReader) nest() error {
	if r.depth++; r.depth > maxThriftDepth {
		return errors.New("thrift: nested too deep")
	}
	return nil
}

// fields calls f with the id and type of each field of a structure; f
// reads the value or calls skip.
func (r *thriftReader) fields(f func(id int16, typ byte) error) error {
	defer func() { r.depth-- }()
	if err := r.nest(); err != nil {
		return err
	}
	id := int16(0)
	for {
		h, err := r.byte()
		if err != nil || h == 0 {
			return err
		}
		if d := int16(h >> 4); d != 0 {
			id += d
		} else {
			v, err := r.varint()
			if err != nil {
				return err
			}
			id = int16(v)
		}
		if err := f(id, h&15); err != nil {
			return err
		}
	}
}

// skip reads past a value of type typ.
func (r *thriftReader) skip(typ byte) error {
	var err error
	switch typ {
	case tBoolTrue, tBoolFalse:
	case tByte:
		_, err = r.byte()
	case tI16, tI32, tI64:
		_, err = r.uvarint()
	case tDouble, tUUID:
		n := map[byte]int{tDouble: 8, tUUID: 16}[typ]
		if len(r.b)-r.pos < n {
			return errThriftShort
		}
		r.pos += n
	case tBinary:
		_, err = r.binary(typ)
	case tList, tSet:
		err = r.skipList(typ)
	case tMap:
		err = r.skipMap()
	case tStruct:
		err = r.fields(func(_ int16, t byte) error { return r.skip(t) })
	default:
		err = fmt.Errorf("thrift: unknown type %d", typ)
	}
	return err
}

func (r *thriftReader) skipList(typ byte) error {
	et, n, err := r.list(typ, len(r.b))
	if err != nil {
		return err
	}
	defer func() { r.depth-- }()
	if err := r.nest(); err != nil {
		return err
	}
	for range n {
		if et == tBoolTrue || et == tBoolFalse { // a list's booleans take a byte each
			et = tByte
		}
		if err := r.skip(et); err != nil {
			return err
		}
	}
	return nil
}

func (r *thriftReader) skipMap() error {
	n, err := r.uvarint()
	if err != nil || n == 0 {
		return err
	}
	if n > uint64(len(r.b)-r.pos) {
		return fmt.Errorf("thrift: map of %d entries with %d bytes left", n, len(r.b)-r.pos)
	}
	kv, err := r.byte()
	if err != nil {
		return err
	}
	defer func() { r.depth-- }()
	if err := r.nest(); err != nil {
		return err
	}
	for range n {
		if err := r.skip(kv >> 4); err != nil {
			return err
		}
		if err := r.skip(kv & 15); err != nil {
			return err
		}
	}
	return nil
}
