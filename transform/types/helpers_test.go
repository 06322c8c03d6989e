package types

import "encoding/binary"

// btfBuilder writes raw BTF by hand, for inputs no compiler makes.
type btfBuilder struct {
	types, strs []byte
	n           uint32
}

func (b *btfBuilder) str(s string) uint32 {
	if len(b.strs) == 0 {
		b.strs = []byte{0}
	}
	off := len(b.strs)
	b.strs = append(append(b.strs, s...), 0)
	return uint32(off)
}

// typ appends a type record and returns its ID; its extra data follows
// with u32.
func (b *btfBuilder) typ(name uint32, kind, vlen int, sizeOr uint32) uint32 {
	b.u32(name, uint32(kind)<<btfKindShift|uint32(vlen), sizeOr)
	b.n++
	return b.n
}

func (b *btfBuilder) u32(vs ...uint32) {
	for _, v := range vs {
		b.types = binary.LittleEndian.AppendUint32(b.types, v)
	}
}

func (b *btfBuilder) bytes() []byte {
	if len(b.strs) == 0 {
		b.strs = []byte{0}
	}
	h := make([]byte, btfHeaderLen)
	binary.LittleEndian.PutUint16(h, btfMagic)
	h[2] = 1
	binary.LittleEndian.PutUint32(h[4:], btfHeaderLen)
	binary.LittleEndian.PutUint32(h[8:], 0)
	binary.LittleEndian.PutUint32(h[12:], uint32(len(b.types)))
	binary.LittleEndian.PutUint32(h[16:], uint32(len(b.types)))
	binary.LittleEndian.PutUint32(h[20:], uint32(len(b.strs)))
	return append(append(h, b.types...), b.strs...)
}
