package types

import (
	"strconv"
	"strings"
)

// maxDepth bounds every walk along type references (typedefs,
// qualifiers, pointers, arrays): a cycle or a hostile chain stops there
// and the type reads "?".
const maxDepth = 32

// btfConv turns a BTF file's types into the package's, keeping the
// records and enums it built so that prototypes share them. Not safe for
// concurrent use: Source serializes it.
type btfConv struct {
	f       *btfFile
	records map[uint32]*Record
	enums   map[uint32]*Enum
}

func newBTFConv(f *btfFile) *btfConv {
	return &btfConv{f: f, records: map[uint32]*Record{}, enums: map[uint32]*Enum{}}
}

// protos returns the prototypes of the functions called name.
func (c *btfConv) protos(name string) []*Proto {
	var out []*Proto
	for _, id := range c.f.funcs[name] {
		fn, ok := c.f.typ(id)
		if !ok {
			continue
		}
		if p := c.proto(name, fn.sizeOr); p != nil {
			out = append(out, p)
		}
	}
	return out
}

func (c *btfConv) proto(name string, protoID uint32) *Proto {
	t, ok := c.f.typ(protoID)
	if !ok || t.kind != btfFuncProto {
		return nil
	}
	p := &Proto{Func: name, Ret: c.typeOf(t.sizeOr, true)}
	for i := range t.vlen {
		pname, _ := c.f.str(t.u32(2 * i))
		ptype := t.u32(2*i + 1)
		if ptype == 0 && pname == "" && i == t.vlen-1 {
			p.Variadic = true
			break
		}
		p.Params = append(p.Params, Param{Name: pname, Type: c.typeOf(ptype, true)})
	}
	return p
}

// typeOf describes type id; with record, a struct or union (or a pointer
// to one) gets its fields.
func (c *btfConv) typeOf(id uint32, record bool) Type {
	ty := Type{C: c.cname(id, 0)}
	u, uid, ok := c.underlying(id)
	if !ok {
		return ty
	}
	switch u.kind {
	case btfVoid:
		ty.Kind = KindVoid
	case btfInt:
		ty.Kind, ty.Size = KindInt, int(u.sizeOr)
		ty.Signed = len(u.extra) == 4 && u.u32(0)&btfIntSigned != 0
	case btfFloat:
		ty.Kind, ty.Size, ty.Signed = KindFloat, int(u.sizeOr), true
	case btfEnum, btfEnum64:
		ty.Kind, ty.Size, ty.Signed = KindEnum, int(u.sizeOr), u.kflag
		ty.Enum = c.enum(uid, u)
	case btfPtr:
		ty.Kind, ty.Size = KindPointer, 8
		if record {
			if tu, tid, ok := c.underlying(u.sizeOr); ok && (tu.kind == btfStruct || tu.kind == btfUnion) {
				ty.Record = c.record(tid, tu)
			}
		}
	case btfStruct, btfUnion:
		ty.Kind, ty.Size = KindStruct, int(u.sizeOr)
		if u.kind == btfUnion {
			ty.Kind = KindUnion
		}
		if record {
			ty.Record = c.record(uid, u)
		}
	case btfFwd:
		ty.Kind = KindStruct
		if u.kflag {
			ty.Kind = KindUnion
		}
	case btfArray:
		ty.Kind = KindArray
		if et, _, ok := c.underlying(u.u32(0)); ok {
			ty.Size = arraySize(c.sizeOf(et), u.u32(2))
		}
	case btfFuncProto:
		ty.Kind = KindFunc
	}
	return ty
}

// sizeOf is a type's size without following arrays further.
func (c *btfConv) sizeOf(t btfType) int {
	switch t.kind {
	case btfInt, btfFloat, btfEnum, btfEnum64, btfStruct, btfUnion:
		return int(t.sizeOr)
	case btfPtr:
		return 8
	}
	return 0
}

func arraySize(elem int, n uint32) int {
	if elem <= 0 || uint64(elem)*uint64(n) > 1<<31 {
		return 0
	}
	return elem * int(n)
}

// underlying follows typedefs, qualifiers and type tags.
func (c *btfConv) underlying(id uint32) (btfType, uint32, bool) {
	for range maxDepth {
		t, ok := c.f.typ(id)
		if !ok {
			return t, id, false
		}
		switch t.kind {
		case btfTypedef, btfConst, btfVolatile, btfRestrict, btfTypeTag:
			id = t.sizeOr
		default:
			return t, id, true
		}
	}
	return btfType{}, id, false
}

// record returns the struct or union of type id with its members.
func (c *btfConv) record(id uint32, t btfType) *Record {
	if r, ok := c.records[id]; ok {
		return r
	}
	r := &Record{Name: c.cname(id, 0), Size: int(t.sizeOr)}
	c.records[id] = r
	for i := range t.vlen {
		name, _ := c.f.str(t.u32(3 * i))
		mtype, off := t.u32(3*i+1), t.u32(3*i+2)
		fd := Field{Name: name, Type: c.typeOf(mtype, false), Offset: int(off / 8)}
		if t.kflag {
			fd.Offset, fd.Bits = int(off&0xFFFFFF)/8, int(off>>24)
		}
		r.Fields = append(r.Fields, fd)
	}
	return r
}

// enum returns the enum of type id with its values.
func (c *btfConv) enum(id uint32, t btfType) *Enum {
	if e, ok := c.enums[id]; ok {
		return e
	}
	vals := make([]EnumValue, 0, t.vlen)
	for i := range t.vlen {
		var v EnumValue
		if t.kind == btfEnum64 {
			v.Name, _ = c.f.str(t.u32(3 * i))
			v.Value = uint64(t.u32(3*i+1)) | uint64(t.u32(3*i+2))<<32
		} else {
			v.Name, _ = c.f.str(t.u32(2 * i))
			v.Value = uint64(int64(int32(t.u32(2*i + 1))))
		}
		vals = append(vals, v)
	}
	e := newEnum(c.cname(id, 0), int(t.sizeOr), t.kflag, vals)
	c.enums[id] = e
	return e
}

// cname spells type id as C does.
func (c *btfConv) cname(id uint32, depth int) string {
	if depth > maxDepth {
		return "?"
	}
	t, ok := c.f.typ(id)
	if !ok {
		return "?"
	}
	name, _ := c.f.str(t.name)
	switch t.kind {
	case btfVoid:
		return "void"
	case btfInt, btfFloat, btfTypedef:
		return orAnon(name, "?")
	case btfStruct, btfFwd:
		if t.kind == btfFwd && t.kflag {
			return "union " + orAnon(name, "{...}")
		}
		return "struct " + orAnon(name, "{...}")
	case btfUnion:
		return "union " + orAnon(name, "{...}")
	case btfEnum, btfEnum64:
		return "enum " + orAnon(name, "{...}")
	case btfPtr:
		if tt, ok := c.f.typ(t.sizeOr); ok && tt.kind == btfFuncProto {
			return c.funcType(tt, "(*)", depth+1)
		}
		return pointerTo(c.cname(t.sizeOr, depth+1))
	case btfConst, btfVolatile:
		q := "const"
		if t.kind == btfVolatile {
			q = "volatile"
		}
		return qualify(q, c.cname(t.sizeOr, depth+1))
	case btfRestrict:
		return c.cname(t.sizeOr, depth+1)
	case btfTypeTag:
		return c.cname(t.sizeOr, depth+1) + " __" + name
	case btfArray:
		return c.cname(t.u32(0), depth+1) + "[" + strconv.FormatUint(uint64(t.u32(2)), 10) + "]"
	case btfFuncProto:
		return c.funcType(t, "", depth+1)
	}
	return "?"
}

// funcType spells a function type: "int (*)(struct file *, int)".
func (c *btfConv) funcType(t btfType, ptr string, depth int) string {
	var b strings.Builder
	b.WriteString(c.cname(t.sizeOr, depth))
	b.WriteString(" " + ptr + "(")
	for i := range t.vlen {
		if i > 0 {
			b.WriteString(", ")
		}
		if id := t.u32(2*i + 1); id == 0 && i == t.vlen-1 {
			b.WriteString("...")
		} else {
			b.WriteString(c.cname(id, depth))
		}
	}
	b.WriteString(")")
	return b.String()
}

func orAnon(name, anon string) string {
	if name == "" {
		return anon
	}
	return name
}

// pointerTo spells a pointer to a type spelled inner.
func pointerTo(inner string) string {
	if strings.HasSuffix(inner, "*") {
		return inner + "*"
	}
	return inner + " *"
}

// qualify adds const or volatile: before a plain type ("const char"),
// after a pointer ("char *const").
func qualify(q, inner string) string {
	if strings.HasSuffix(inner, "*") {
		return inner + q
	}
	return q + " " + inner
}
