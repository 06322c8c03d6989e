package ingest

import "fmt"

// Layout names one of the two known kcov_dataflow buffer layouts.
type Layout uint8

const (
	LayoutUnknown Layout = 0
	// LayoutA is the RFC v2 series' layout: 32-bit headers, a meta word
	// with the argument index, size and low 48 bits of the pointer.
	LayoutA Layout = 'A'
	// LayoutB is the kernel fork's uAPI layout: 64-bit headers carrying
	// nvals, size and argument index; link-time PCs; compare records.
	LayoutB Layout = 'B'
)

func (l Layout) String() string {
	switch l {
	case LayoutA:
		return "A"
	case LayoutB:
		return "B"
	}
	return "?"
}

// ParseLayout reads "A", "B" or "auto" (LayoutUnknown: detect per buffer).
func ParseLayout(s string) (Layout, error) {
	switch s {
	case "A", "a":
		return LayoutA, nil
	case "B", "b":
		return LayoutB, nil
	case "", "auto":
		return LayoutUnknown, nil
	}
	return LayoutUnknown, fmt.Errorf("unknown layout %q: want A, B or auto", s)
}

// Kind is a record's type.
type Kind uint8

const (
	KindEntry Kind = 1 // one argument at function entry
	KindRet   Kind = 2 // the return value at function exit
	KindCmp   Kind = 3 // a comparison's two operands (layout B only)
)

func (k Kind) String() string {
	switch k {
	case KindEntry:
		return "entry"
	case KindRet:
		return "ret"
	case KindCmp:
		return "cmp"
	}
	return "unknown"
}

// The words and bit fields of both layouts. Every record is a header
// word, a pc word, a third word (meta, address or compare type) and its
// value words.
const (
	WordBytes   = 8
	RecordFixed = 3 // header, pc, meta/address

	// MaxBufferWords is the kernel's limit per fd: 128 MiB of u64 words.
	MaxBufferWords = 128 << 20 / WordBytes

	// FaultMarker in a value word means the kernel could not read it.
	FaultMarker = 0xBADADD85

	seqMask   = 0x00FFFFFF // bits 0..23, both layouts
	typeShift = 28         // bits 28..31, both layouts
	typeMask  = 0xF

	typeCmp   = 0xC
	typeEntry = 0xE
	typeRet   = 0xF

	// Layout A header: bits 24..27 the number of value words (at least
	// 1 when written correctly), bits 32..63 zero.
	aCountShift = 24
	aCountMask  = 0xF

	// Layout A meta word.
	aMetaArgShift  = 56
	aMetaSizeShift = 48
	aMetaPtrMask   = 1<<48 - 1

	// Layout B header: bits 32..47 nvals, 48..55 size, 56..63 arg index.
	// Bits 24..27 are never written.
	bNvalsShift = 32
	bNvalsMask  = 0xFFFF
	bSizeShift  = 48
	bArgShift   = 56
	bUnusedMask = 0xF << 24
)

// HeaderA builds a layout-A header exactly as the RFC v2 writer does:
// the value count is shifted in unmasked and ORed with the type, so 16
// or more struct fields spill into the type bits (and past bit 31 from
// 256 on).
func HeaderA(kind Kind, nvals uint64, seq uint32) uint64 {
	return typeBits(kind) | nvals<<aCountShift | uint64(seq&seqMask)
}

// MetaA builds a layout-A meta word.
func MetaA(argIdx, size uint8, ptr uint64) uint64 {
	return uint64(argIdx)<<aMetaArgShift | uint64(size)<<aMetaSizeShift | ptr&aMetaPtrMask
}

// HeaderB builds a layout-B header; size and argIdx are already clamped
// to 255 by the kernel.
func HeaderB(kind Kind, nvals uint16, size, argIdx uint8, seq uint32) uint64 {
	return uint64(argIdx)<<bArgShift | uint64(size)<<bSizeShift |
		uint64(nvals)<<bNvalsShift | typeBits(kind) | uint64(seq&seqMask)
}

func typeBits(k Kind) uint64 {
	switch k {
	case KindEntry:
		return typeEntry << typeShift
	case KindRet:
		return typeRet << typeShift
	case KindCmp:
		return typeCmp << typeShift
	}
	return 0
}
