package calltree

import (
	"strconv"
	"strings"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/transform/errno"
	"github.com/kdf-tools/kdf/transform/pair"
	"github.com/kdf-tools/kdf/transform/types"
)

// SetTypes names what the tree prints from a type source, for a buffer
// of the given layout: arguments as name=value, integers in decimal
// (signed ones with their sign), enum values by name, struct fields as
// {field=value, ...}, and a call without nested records on one line,
// `f(args) = ret`. A record that disagrees with its prototype
// (types.Check) prints as it would without types.
func (v *Tree) SetTypes(src *types.Source, layout ingest.Layout) {
	v.types, v.layout, v.protos = src, layout, map[uint64]*types.Proto{}
}

// proto is the prototype of the function at pc, nil if unknown.
func (v *Tree) proto(pc uint64) *types.Proto {
	if v.types == nil {
		return nil
	}
	if p, ok := v.protos[pc]; ok {
		return p
	}
	var p *types.Proto
	if f, ok := v.lookup(pc); ok {
		p = v.types.Proto(f.Module, f.Name)
	}
	v.protos[pc] = p
	return p
}

// argValue formats an argument, with its name when the record agrees
// with the prototype.
func (v *Tree) argValue(c *pair.Call, x *pair.Value) string {
	p := v.proto(c.PC)
	if types.Check(p, ingest.KindEntry, v.layout, x.Idx, x.Size, len(x.Values)) != types.Agrees {
		return value(x)
	}
	prm := &p.Params[x.Idx]
	s := typedValue(&prm.Type, x)
	if prm.Name == "" {
		return s
	}
	return prm.Name + "=" + s
}

// retTyped formats a return value by its function's return type; ok is
// false when it cannot (no prototype, or a disagreeing record).
func (v *Tree) retTyped(pc uint64, x *pair.Value) (string, bool) {
	p := v.proto(pc)
	if types.Check(p, ingest.KindRet, v.layout, 0, x.Size, len(x.Values)) != types.Agrees {
		return "", false
	}
	s := typedValue(&p.Ret, x)
	if len(x.Values) == 1 && (p.Ret.Signed || p.Ret.Kind == types.KindPointer) && x.Values[0] != ingest.FaultMarker {
		if e := errno.Describe(x.Values[0], x.Size); e != "" {
			s += " (" + e + ")"
		}
	}
	return s, true
}

// typedValue formats a value of type t: a struct field by field when
// the record holds every field, else one word.
func typedValue(t *types.Type, x *pair.Value) string {
	if x.Size == 0 {
		return "?" // optimised out (layout B)
	}
	if t.Expanded() && len(x.Values) == len(t.Record.Fields) {
		parts := make([]string, len(x.Values))
		for i, f := range t.Record.Fields {
			parts[i] = orIndex(f.Name, i) + "=" + typedWord(&f.Type, x.Values[i], f.Type.Size)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	if len(x.Values) > 1 {
		return value(x)
	}
	return typedWord(t, x.Values[0], int(x.Size))
}

func orIndex(name string, i int) string {
	if name == "" {
		return "#" + strconv.Itoa(i)
	}
	return name
}

// decimalBelow: unsigned integers below it print in decimal (counts,
// descriptors, small sizes), from it on in hex (flags, masks,
// addresses).
const decimalBelow = 4096

// typedWord formats one word of a scalar type read in size bytes.
func typedWord(t *types.Type, w uint64, size int) string {
	if w == ingest.FaultMarker {
		return "FAULT"
	}
	switch t.Kind {
	case types.KindEnum:
		if n, ok := t.Enum.Lookup(w); ok {
			return n
		}
		fallthrough
	case types.KindInt:
		if t.Signed && size > 0 && size <= 8 {
			return strconv.FormatInt(errno.SignExtend(w, uint8(size)), 10)
		}
		if w < decimalBelow {
			return strconv.FormatUint(w, 10)
		}
	case types.KindPointer:
		if w == 0 {
			return "NULL"
		}
	}
	return word(w)
}
