package synth

import (
	"encoding/binary"
	"fmt"

	"github.com/kdf-tools/kdf/ingest"
)

const (
	seqMask = 0x00FFFFFF

	// errPtrMin is the first ERR_PTR value: KCOV_DF_IS_ERR(p) is
	// (unsigned long)p >= (unsigned long)-4095.
	errPtrMin = ^uint64(0) - 4094

	// The compare-type bits of linux/kcov.h.
	kcovCmpConst = 1
)

// Callback is one call of an instrumentation hook: what the compiler hands
// the kernel (kind, pc, argument index and size, pointer) and what memory
// holds behind the pointer. A Writer turns it into a record exactly as the
// kernel would, including the kernel's quirks.
type Callback struct {
	Kind ingest.Kind
	// PC is the runtime address the hook receives (KASLR included).
	PC uint64
	// ArgIdx is the argument index; the kernel ignores it for returns and
	// compares.
	ArgIdx uint32
	// Size is the scalar's size, the struct's size for an expanded
	// pointer, or a compare operand's size, in bytes.
	Size uint32
	// Ptr is the pointer the kernel reads through. Layout A stores its
	// low 48 bits in the meta word; layout B stores it whole as the
	// value's address for an expanded struct, and 0 for a scalar, which
	// it receives by value.
	Ptr uint64
	// Fields are the sizes of an expanded struct's fields; nil for a
	// scalar and for a compare.
	Fields []uint8
	// Mem is what memory holds: the scalar in Mem[0] (bits above Size are
	// ignored), one word per field, or the two compare operands.
	Mem []uint64
	// Unreadable makes every read through Ptr fault
	// (copy_from_kernel_nofault fails): the values stay 0.
	Unreadable bool
	// OptimizedOut marks an argument the compiler dropped: layout A gets
	// a NULL pointer (value 0), layout B a header size of 0.
	OptimizedOut bool
	// Const marks a compare with a constant operand (KCOV_CMP_CONST).
	Const bool
}

// Writer mirrors kcov_df_write for one layout over one mapped area of
// u64 words: area[0] counts the record words written after it.
type Writer struct {
	layout ingest.Layout
	area   []uint64
	seq    uint32 // the task's kcov_df_seq: successful writes since ENABLE
	kaslr  uint64 // subtracted from layout-B pcs
}

// NewWriter returns a Writer over a zeroed area of capacity words, as
// KCOV_DF_INIT_TRACK allocates it (2 to MaxBufferWords words).
func NewWriter(layout ingest.Layout, capacity int) (*Writer, error) {
	if layout != ingest.LayoutA && layout != ingest.LayoutB {
		return nil, fmt.Errorf("synth: writer needs layout A or B, not %v", layout)
	}
	if capacity < 2 || capacity > ingest.MaxBufferWords {
		return nil, fmt.Errorf("synth: capacity %d words outside [2, %d]", capacity, ingest.MaxBufferWords)
	}
	return &Writer{layout: layout, area: make([]uint64, capacity)}, nil
}

// SetKASLROffset sets the offset layout B removes from every pc.
func (w *Writer) SetKASLROffset(off uint64) { w.kaslr = off }

// Layout returns the writer's layout.
func (w *Writer) Layout() ingest.Layout { return w.layout }

// Capacity returns the area's size in words, counter included.
func (w *Writer) Capacity() int { return len(w.area) }

// Words returns area[0], the number of record words written.
func (w *Writer) Words() int { return int(w.area[0]) }

// Seq returns the task's sequence counter: the last sequence number used.
func (w *Writer) Seq() uint32 { return w.seq }

// Area returns the live area; callers must not modify it.
func (w *Writer) Area() []uint64 { return w.area }

// Enable mirrors KCOV_DF_ENABLE: the task's sequence restarts at 0 and
// the counter is left alone, so a forked child that re-enables on the
// inherited fd starts a new segment after the parent's records.
func (w *Writer) Enable() { w.seq = 0 }

// ResetCounter mirrors user space writing area[0] = 0: the records
// already written will be overwritten, and stay as stale words until then.
func (w *Writer) ResetCounter() { w.area[0] = 0 }

// Clear zeroes the whole area, as a fresh KCOV_DF_INIT_TRACK mapping.
func (w *Writer) Clear() {
	clear(w.area)
	w.seq = 0
}

// RecordWords returns the number of words the callback's record takes.
func (w *Writer) RecordWords(cb *Callback) int { return ingest.RecordFixed + w.nvals(cb) }

func (w *Writer) nvals(cb *Callback) int {
	switch {
	case cb.Kind == ingest.KindCmp:
		if w.layout == ingest.LayoutA {
			panic("synth: layout A has no compare records")
		}
		return 2
	case len(cb.Fields) > 0:
		return len(cb.Fields)
	}
	return 1
}

// reserve mirrors the kernel's space check and counter update: the record
// is reserved only if all of it fits, and the counter moves before any of
// its words are written. It returns the header's word index, or 0.
func (w *Writer) reserve(recLen int) uint64 {
	count := w.area[0]
	start := 1 + count
	if start+uint64(recLen) > uint64(len(w.area)) {
		return 0
	}
	w.area[0] = count + uint64(recLen)
	w.seq++
	return start
}

// Write writes the callback's record and reports whether it fit. A record
// that does not fit is dropped silently: nothing changes, not even the
// sequence number.
func (w *Writer) Write(cb *Callback) bool {
	nvals := w.nvals(cb)
	start := w.reserve(ingest.RecordFixed + nvals)
	if start == 0 {
		return false
	}
	w.encode(w.area[start:start+uint64(ingest.RecordFixed+nvals)], cb, nvals, w.seq)
	return true
}

// encode builds the record's words in rec with sequence number seq.
func (w *Writer) encode(rec []uint64, cb *Callback, nvals int, seq uint32) {
	if w.layout == ingest.LayoutA {
		w.fillA(rec, cb, nvals, seq)
	} else {
		w.fillB(rec, cb, nvals, seq)
	}
}

// Tear mirrors a dump taken while a callback was between its counter
// update and its first store: the counter covers one more record of
// nvals value words whose body is still zero or stale. It reports false,
// changing nothing, when that record would not have fit.
func (w *Writer) Tear(nvals int) bool {
	return w.reserve(ingest.RecordFixed+max(nvals, 1)) != 0
}

// fillA writes an RFC v2 record. The value count goes into the header
// unmasked and the meta word is built the way the C expression builds it:
// arg_idx << 56 | arg_size << 48 | ptr & 0xFFFFFFFFFFFF, all in u64, so a
// size above 255 would carry into the index bits.
func (w *Writer) fillA(rec []uint64, cb *Callback, nvals int, seq uint32) {
	argIdx, ptr := cb.ArgIdx, cb.Ptr
	if cb.Kind == ingest.KindRet {
		argIdx = 0 // __sanitizer_cov_trace_ret takes no index
	}
	if cb.OptimizedOut {
		ptr = 0
	}
	rec[0] = ingest.HeaderA(cb.Kind, uint64(nvals), seq)
	rec[1] = cb.PC
	rec[2] = ingest.MetaA(uint8(argIdx), uint8(cb.Size), ptr) | uint64(cb.Size>>8)<<56
	readValues(rec[3:], cb, ptr, true)
}

// fillB writes a record of the fork's uAPI.
func (w *Writer) fillB(rec []uint64, cb *Callback, nvals int, seq uint32) {
	size, argIdx := min(cb.Size, 255), min(cb.ArgIdx, 255)
	if cb.Kind != ingest.KindEntry {
		argIdx = 0
	}
	if cb.OptimizedOut {
		size = 0
	}
	rec[0] = ingest.HeaderB(cb.Kind, uint16(nvals), uint8(size), uint8(argIdx), seq)
	rec[1] = cb.PC - w.kaslr
	switch {
	case cb.Kind == ingest.KindCmp:
		m := sizeMask(cb.Size)
		rec[2] = cmpType(cb.Size, cb.Const)
		rec[3], rec[4] = cb.Mem[0]&m, cb.Mem[1]&m
	case len(cb.Fields) == 0:
		rec[2], rec[3] = 0, cb.Mem[0]&sizeMask(cb.Size)
		if cb.OptimizedOut {
			rec[3] = 0
		}
	default:
		ptr := cb.Ptr
		if cb.OptimizedOut {
			ptr = 0
		}
		rec[2] = ptr
		readValues(rec[3:], cb, ptr, false)
	}
}

// readValues mirrors the kernel's reads: a scalar through ptr with its
// size, zero-extended (0 through NULL or an ERR_PTR); struct fields at
// ptr+offset, 0xBADADD85 in every field when ptr is an ERR_PTR, 0 for a
// field whose read faults.
func readValues(dst []uint64, cb *Callback, ptr uint64, scalarByRef bool) {
	if len(cb.Fields) == 0 {
		var v uint64
		if !scalarByRef || (ptr != 0 && ptr < errPtrMin && !cb.Unreadable) {
			v = cb.Mem[0] & sizeMask(cb.Size)
		}
		dst[0] = v
		return
	}
	if ptr >= errPtrMin {
		for i := range cb.Fields {
			dst[i] = ingest.FaultMarker
		}
		return
	}
	for i, fs := range cb.Fields {
		var v uint64
		if ptr != 0 && !cb.Unreadable { // NULL+offset faults too
			v = cb.Mem[i] & sizeMask(uint32(fs))
		}
		dst[i] = v
	}
}

// sizeMask keeps the low size bytes; reads are capped at 8 bytes.
func sizeMask(size uint32) uint64 {
	if size >= 8 {
		return ^uint64(0)
	}
	return 1<<(8*size) - 1
}

// cmpType is linux/kcov.h's KCOV_CMP_SIZE(log2 size) | KCOV_CMP_CONST.
func cmpType(size uint32, isConst bool) uint64 {
	var t uint64
	switch size {
	case 2:
		t = 1 << 1
	case 4:
		t = 2 << 1
	case 8:
		t = 3 << 1
	}
	if isConst {
		t |= kcovCmpConst
	}
	return t
}

// Bytes dumps the area little-endian: the whole mapping when full, else
// only the counter and the 1+area[0] words it covers.
func (w *Writer) Bytes(full bool) []byte {
	n := len(w.area)
	if !full {
		n = min(n, 1+int(w.area[0]))
	}
	b := make([]byte, n*ingest.WordBytes)
	for i, v := range w.area[:n] {
		binary.LittleEndian.PutUint64(b[i*ingest.WordBytes:], v)
	}
	return b
}
