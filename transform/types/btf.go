package types

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// The BTF header and type records (see the package comment).
const (
	btfMagic     = 0xEB9F
	btfHeaderLen = 24
	btfTypeLen   = 12

	btfKindShift = 24
	btfKindMask  = 0x1F
	btfVlenMask  = 0xFFFF
	btfKindFlag  = 1 << 31

	btfIntSigned = 1 << 24 // the INT encoding word's BTF_INT_SIGNED bit
)

// BTF kinds.
const (
	btfVoid      = 0
	btfInt       = 1
	btfPtr       = 2
	btfArray     = 3
	btfStruct    = 4
	btfUnion     = 5
	btfEnum      = 6
	btfFwd       = 7
	btfTypedef   = 8
	btfVolatile  = 9
	btfConst     = 10
	btfRestrict  = 11
	btfFunc      = 12
	btfFuncProto = 13
	btfVar       = 14
	btfDatasec   = 15
	btfFloat     = 16
	btfDeclTag   = 17
	btfTypeTag   = 18
	btfEnum64    = 19
)

// extraLen is the size of the data that follows a type record of kind
// k with vlen entries, or -1 for a kind BTF does not have.
func extraLen(k, vlen int) int {
	switch k {
	case btfInt, btfVar, btfDeclTag:
		return 4
	case btfArray:
		return 12
	case btfStruct, btfUnion, btfDatasec, btfEnum64:
		return 12 * vlen
	case btfEnum, btfFuncProto:
		return 8 * vlen
	case btfPtr, btfFwd, btfTypedef, btfVolatile, btfConst, btfRestrict, btfFunc, btfFloat, btfTypeTag:
		return 0
	}
	return -1
}

// btfFile is one decoded BTF blob: a vmlinux's, or a module's split
// BTF on top of it. It keeps the sections as they are and an index of
// where each type starts; types are read when a prototype needs them.
type btfFile struct {
	name    string
	types   []byte // the type section
	strs    []byte // the string section
	base    *btfFile
	firstID uint32   // the ID of the first type: 1, or the base's last ID + 1
	strOff  uint32   // the base's string section length; 0 for a base
	offs    []uint32 // where each type starts in types, by ID - firstID
	funcs   map[string][]uint32
}

// btfType is one type record's fixed part.
type btfType struct {
	name   uint32
	kind   int
	vlen   int
	kflag  bool
	sizeOr uint32 // the size, or the referenced type's ID
	extra  []byte
}

func (f *btfFile) errorf(off int, format string, args ...any) error {
	return &FormatError{File: f.name, Offset: int64(off), Msg: fmt.Sprintf(format, args...)}
}

// parseBTF decodes raw BTF; base is the vmlinux BTF a module's split
// BTF refers to, nil for a vmlinux. Every length and offset is checked
// against the data, and the number of types against lim.
func parseBTF(data []byte, name string, base *btfFile, lim Limits) (*btfFile, error) {
	lim = lim.withDefaults()
	f := &btfFile{name: name, base: base, firstID: 1, funcs: map[string][]uint32{}}
	if base != nil {
		f.firstID = base.firstID + uint32(len(base.offs))
		f.strOff = uint32(len(base.strs))
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, f.errorf(0, "%d bytes, above the %d-byte cap for BTF", len(data), lim.MaxBytes)
	}
	if err := f.header(data); err != nil {
		return nil, err
	}
	if err := f.index(lim); err != nil {
		return nil, err
	}
	return f, nil
}

// header checks the header and slices the sections out of data.
func (f *btfFile) header(data []byte) error {
	if len(data) < btfHeaderLen {
		return f.errorf(0, "%d bytes: too short for a BTF header", len(data))
	}
	switch binary.LittleEndian.Uint16(data) {
	case btfMagic:
	case 0x9FEB:
		return f.errorf(0, "big-endian BTF: kdf reads the BTF of little-endian kernels only")
	default:
		return f.errorf(0, "no BTF magic (0xEB9F)")
	}
	if v := data[2]; v != 1 {
		return f.errorf(2, "BTF version %d: kdf reads version 1", v)
	}
	hdrLen := uint64(binary.LittleEndian.Uint32(data[4:]))
	if hdrLen < btfHeaderLen || hdrLen > uint64(len(data)) {
		return f.errorf(4, "header length %d outside the %d-byte file", hdrLen, len(data))
	}
	body := data[hdrLen:]
	section := func(at int) ([]byte, error) {
		off, n := uint64(binary.LittleEndian.Uint32(data[at:])), uint64(binary.LittleEndian.Uint32(data[at+4:]))
		if off+n > uint64(len(body)) {
			return nil, f.errorf(at, "section at %d of %d bytes outside the %d bytes after the header", off, n, len(body))
		}
		return body[off : off+n], nil
	}
	var err error
	if f.types, err = section(8); err != nil {
		return err
	}
	if f.strs, err = section(16); err != nil {
		return err
	}
	if f.base == nil && (len(f.strs) == 0 || f.strs[0] != 0) {
		return f.errorf(16, "the string section does not start with the empty string")
	}
	return nil
}

// index finds where every type starts and names the functions.
func (f *btfFile) index(lim Limits) error {
	for off := 0; off < len(f.types); {
		if len(f.offs) >= lim.MaxTypes {
			return f.errorf(off, "more than %d types: not read (raise the cap if the file is genuine)", lim.MaxTypes)
		}
		if uint64(f.firstID)+uint64(len(f.offs)) > 1<<31 {
			return f.errorf(off, "type IDs beyond 2^31")
		}
		t, n, err := f.record(off)
		if err != nil {
			return err
		}
		if t.kind == btfFunc {
			if name, ok := f.str(t.name); ok && name != "" {
				f.funcs[name] = append(f.funcs[name], f.firstID+uint32(len(f.offs)))
			}
		}
		f.offs = append(f.offs, uint32(off))
		off += n
	}
	return nil
}

// record reads the type record at off and its length.
func (f *btfFile) record(off int) (btfType, int, error) {
	if len(f.types)-off < btfTypeLen {
		return btfType{}, 0, f.errorf(off, "type record cut by the end of the type section")
	}
	b := f.types[off:]
	info := binary.LittleEndian.Uint32(b[4:])
	t := btfType{
		name:   binary.LittleEndian.Uint32(b),
		kind:   int(info >> btfKindShift & btfKindMask),
		vlen:   int(info & btfVlenMask),
		kflag:  info&btfKindFlag != 0,
		sizeOr: binary.LittleEndian.Uint32(b[8:]),
	}
	n := extraLen(t.kind, t.vlen)
	switch {
	case n < 0:
		return t, 0, f.errorf(off, "unknown BTF kind %d", t.kind)
	case len(b)-btfTypeLen < n:
		return t, 0, f.errorf(off, "kind %d with %d entries cut by the end of the type section", t.kind, t.vlen)
	}
	t.extra = b[btfTypeLen : btfTypeLen+n]
	return t, btfTypeLen + n, nil
}

// typ returns the type of an ID, looking in the base for lower IDs. ID
// 0 is void.
func (f *btfFile) typ(id uint32) (btfType, bool) {
	if id == 0 {
		return btfType{kind: btfVoid}, true
	}
	if id < f.firstID {
		if f.base == nil {
			return btfType{}, false
		}
		return f.base.typ(id)
	}
	i := uint64(id - f.firstID)
	if i >= uint64(len(f.offs)) {
		return btfType{}, false
	}
	t, _, err := f.record(int(f.offs[i]))
	return t, err == nil
}

// str returns the string at off: the base's below strOff, this file's
// above.
func (f *btfFile) str(off uint32) (string, bool) {
	if off < f.strOff {
		return f.base.str(off)
	}
	i := uint64(off - f.strOff)
	if i >= uint64(len(f.strs)) {
		return "", false
	}
	end := bytes.IndexByte(f.strs[i:], 0)
	if end < 0 {
		return "", false
	}
	return string(f.strs[i : i+uint64(end)]), true
}

// u32 reads the i-th 32-bit word of a record's extra data.
func (t btfType) u32(i int) uint32 { return binary.LittleEndian.Uint32(t.extra[4*i:]) }
