package types

import "github.com/kdf-tools/kdf/ingest"

// Verdict is what a record says about a prototype.
type Verdict uint8

const (
	// Unchecked: no prototype, a compare record, or an argument the
	// prototype cannot describe (past a variadic function's named ones).
	Unchecked Verdict = iota
	// Agrees: the record is what the prototype says the hook writes.
	Agrees
	// Disagrees: an argument index past the parameters, a return from a
	// void function, or a size or value count the type cannot have.
	Disagrees
)

// Check compares a record with its function's prototype. What a hook
// writes (docs/FORMAT.md): a scalar is one value word of the type's
// size; a pointer to a struct or union one word per field, of the
// struct's size (layout A; kdf also accepts the pointer's 8 bytes, the
// series leaves it open) or the pointer itself; a struct passed by value
// is expanded in layout A and one 8-byte record per register in layout
// B. Layout A sizes wrap at 256, layout B sizes are clamped to 255, and
// a layout-B size of 0 (optimised out) agrees with any type.
func Check(p *Proto, kind ingest.Kind, layout ingest.Layout, argIdx, size uint8, nvals int) Verdict {
	if p == nil {
		return Unchecked
	}
	var t Type
	switch kind {
	case ingest.KindEntry:
		switch {
		case int(argIdx) < len(p.Params):
			t = p.Params[argIdx].Type
		case p.Variadic || (layout == ingest.LayoutB && argIdx == 255):
			return Unchecked
		default:
			return Disagrees
		}
	case ingest.KindRet:
		if p.Ret.Kind == KindVoid || argIdx != 0 {
			return Disagrees
		}
		t = p.Ret
	default:
		return Unchecked
	}
	if t.Fits(layout, size, nvals) {
		return Agrees
	}
	return Disagrees
}

// Fits reports whether a record of size bytes and nvals value words can
// hold a value of type t in a layout (see Check).
func (t Type) Fits(layout ingest.Layout, size uint8, nvals int) bool {
	if layout == ingest.LayoutB && size == 0 {
		return true
	}
	if t.Kind == KindUnknown || (t.Size == 0 && t.Kind != KindPointer) {
		return true // nothing to compare with
	}
	wire := func(n int) uint8 {
		if layout == ingest.LayoutB {
			return uint8(min(n, 255))
		}
		return uint8(n) // the size overflows into the argument index
	}
	if t.Expanded() {
		fields := len(t.Record.Fields)
		whole := size == wire(t.Record.Size) && nvals == fields
		switch t.Kind {
		case KindPointer:
			return whole || (size == 8 && (nvals == 1 || nvals == fields))
		case KindStruct, KindUnion:
			return whole || (layout == ingest.LayoutB && nvals == 1 && size <= 8)
		}
	}
	return nvals == 1 && size == wire(t.Size)
}
