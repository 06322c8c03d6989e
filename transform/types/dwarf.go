package types

import (
	"debug/dwarf"
	"debug/elf"
	"fmt"
	"strconv"
	"strings"
)

// maxSameName bounds the definitions kept for one function name: static
// functions of one name in many files are ambiguous long before that.
const maxSameName = 16

// dwarfFinder reads prototypes from DWARF. Opening it indexes every
// function definition by name (DW_AT_name and DW_AT_linkage_name) in
// one pass that skips their bodies; a prototype and the types it names
// are read when first asked for. Types are read entry by entry, never
// through dwarf.Data.Type, which follows references without a bound.
type dwarfFinder struct {
	d       *dwarf.Data
	r       *dwarf.Reader
	funcs   map[string][]dwarf.Offset
	records map[dwarf.Offset]*Record
	enums   map[dwarf.Offset]*Enum
}

func readDWARF(f *elf.File, name string, lim Limits) (*Source, error) {
	var total uint64
	found := false
	for _, s := range f.Sections {
		if strings.HasPrefix(s.Name, ".debug_") || strings.HasPrefix(s.Name, ".zdebug_") {
			total += s.Size
			found = found || s.Name == ".debug_info" || s.Name == ".zdebug_info"
		}
	}
	if !found {
		return nil, &FormatError{File: name, Msg: ErrNoTypes.Error()}
	}
	if total > uint64(lim.MaxDWARFBytes) {
		return nil, &FormatError{File: name, Msg: fmt.Sprintf("DWARF sections of %d bytes, above the %d-byte cap", total, lim.MaxDWARFBytes)}
	}
	d, err := f.DWARF()
	if err != nil {
		return nil, &FormatError{File: name, Msg: fmt.Sprintf("reading DWARF: %v", err)}
	}
	df := &dwarfFinder{d: d, r: d.Reader(), funcs: map[string][]dwarf.Offset{},
		records: map[dwarf.Offset]*Record{}, enums: map[dwarf.Offset]*Enum{}}
	if err := df.index(); err != nil {
		return nil, &FormatError{File: name, Msg: fmt.Sprintf("reading DWARF: %v", err)}
	}
	return newSource(name, "dwarf", df, lim), nil
}

// index finds every function definition: in compile units, and in
// namespaces (Rust, C++), never inside functions or types.
func (df *dwarfFinder) index() error {
	r := df.d.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			return err
		}
		if e == nil {
			return nil
		}
		switch e.Tag {
		case dwarf.TagCompileUnit, dwarf.TagPartialUnit, dwarf.TagNamespace, dwarf.TagModule, 0:
			continue // descend
		case dwarf.TagSubprogram:
			df.add(e)
		}
		if e.Children {
			r.SkipChildren()
		}
	}
}

func (df *dwarfFinder) add(e *dwarf.Entry) {
	if decl, _ := e.Val(dwarf.AttrDeclaration).(bool); decl {
		return
	}
	names := []string{attrString(e, dwarf.AttrName), attrString(e, dwarf.AttrLinkageName)}
	if spec, ok := e.Val(dwarf.AttrSpecification).(dwarf.Offset); ok && names[0] == "" {
		if s := df.entryAt(spec); s != nil {
			names = []string{attrString(s, dwarf.AttrName), attrString(s, dwarf.AttrLinkageName)}
		}
	}
	for i, n := range names {
		if n == "" || (i == 1 && n == names[0]) {
			continue
		}
		if offs := df.funcs[n]; len(offs) < maxSameName {
			df.funcs[n] = append(offs, e.Offset)
		}
	}
}

func attrString(e *dwarf.Entry, a dwarf.Attr) string {
	s, _ := e.Val(a).(string)
	return s
}

// entryAt reads the entry at off; nil when there is none.
func (df *dwarfFinder) entryAt(off dwarf.Offset) *dwarf.Entry {
	df.r.Seek(off)
	e, err := df.r.Next()
	if err != nil || e == nil || e.Offset != off {
		return nil
	}
	return e
}

// children reads the direct children of the entry just read.
func (df *dwarfFinder) children(e *dwarf.Entry) []*dwarf.Entry {
	if !e.Children {
		return nil
	}
	var out []*dwarf.Entry
	for {
		c, err := df.r.Next()
		if err != nil || c == nil || c.Tag == 0 {
			return out
		}
		out = append(out, c)
		if c.Children {
			df.r.SkipChildren()
		}
	}
}

func (df *dwarfFinder) protos(name string) []*Proto {
	var out []*Proto
	for _, off := range df.funcs[name] {
		e := df.entryAt(off)
		if e == nil {
			continue
		}
		kids := df.children(e)
		p := &Proto{Func: name, Ret: df.typeOf(e, true)}
		for _, c := range kids {
			switch c.Tag {
			case dwarf.TagFormalParameter:
				p.Params = append(p.Params, Param{Name: attrString(c, dwarf.AttrName), Type: df.typeOf(c, true)})
			case dwarf.TagUnspecifiedParameters:
				p.Variadic = true
			}
		}
		out = append(out, p)
	}
	return out
}

// typeOf describes the type e's DW_AT_type refers to (void without
// one).
func (df *dwarfFinder) typeOf(e *dwarf.Entry, record bool) Type {
	off, ok := e.Val(dwarf.AttrType).(dwarf.Offset)
	if !ok {
		return Type{C: "void", Kind: KindVoid}
	}
	ty := Type{C: df.cname(off, 0)}
	u := df.underlying(off)
	if u == nil {
		return ty
	}
	size, _ := u.Val(dwarf.AttrByteSize).(int64)
	switch u.Tag {
	case dwarf.TagBaseType:
		enc, _ := u.Val(dwarf.AttrEncoding).(int64)
		ty.Kind, ty.Size, ty.Signed = KindInt, int(size), enc == 5 || enc == 6 // DW_ATE_signed, signed_char
		if enc == 4 {
			ty.Kind, ty.Signed = KindFloat, true
		}
	case dwarf.TagEnumerationType:
		ty.Kind, ty.Size = KindEnum, int(size)
		ty.Enum = df.enum(u)
		ty.Signed = ty.Enum.Signed
	case dwarf.TagPointerType, dwarf.TagReferenceType, dwarf.TagRvalueReferenceType:
		ty.Kind, ty.Size = KindPointer, 8
		if t, ok := u.Val(dwarf.AttrType).(dwarf.Offset); ok && record {
			if tu := df.underlying(t); tu != nil && isRecord(tu.Tag) {
				ty.Record = df.record(tu)
			}
		}
	case dwarf.TagStructType, dwarf.TagClassType, dwarf.TagUnionType:
		ty.Kind, ty.Size = KindStruct, int(size)
		if u.Tag == dwarf.TagUnionType {
			ty.Kind = KindUnion
		}
		if record {
			ty.Record = df.record(u)
		}
	case dwarf.TagArrayType:
		ty.Kind, ty.Size = KindArray, int(size)
	case dwarf.TagSubroutineType:
		ty.Kind = KindFunc
	}
	return ty
}

func isRecord(t dwarf.Tag) bool {
	return t == dwarf.TagStructType || t == dwarf.TagClassType || t == dwarf.TagUnionType
}

// underlying follows typedefs and qualifiers; nil for void or a broken
// chain.
func (df *dwarfFinder) underlying(off dwarf.Offset) *dwarf.Entry {
	for range maxDepth {
		e := df.entryAt(off)
		if e == nil {
			return nil
		}
		switch e.Tag {
		case dwarf.TagTypedef, dwarf.TagConstType, dwarf.TagVolatileType, dwarf.TagRestrictType, dwarf.TagAtomicType:
			next, ok := e.Val(dwarf.AttrType).(dwarf.Offset)
			if !ok {
				return nil
			}
			off = next
		default:
			return e
		}
	}
	return nil
}

// record reads a struct's or union's members.
func (df *dwarfFinder) record(e *dwarf.Entry) *Record {
	if r, ok := df.records[e.Offset]; ok {
		return r
	}
	size, _ := e.Val(dwarf.AttrByteSize).(int64)
	r := &Record{Name: df.cname(e.Offset, 0), Size: int(size)}
	df.records[e.Offset] = r
	df.entryAt(e.Offset)
	for _, c := range df.children(e) {
		if c.Tag != dwarf.TagMember {
			continue
		}
		f := Field{Name: attrString(c, dwarf.AttrName), Offset: memberOffset(c)}
		if b, ok := c.Val(dwarf.AttrBitSize).(int64); ok {
			f.Bits = int(b)
		}
		f.Type = df.typeOf(c, false) // the children were read already: moving the reader is safe
		r.Fields = append(r.Fields, f)
	}
	return r
}

// memberOffset reads DW_AT_data_member_location (a constant or
// DW_OP_plus_uconst), or DW_AT_data_bit_offset.
func memberOffset(c *dwarf.Entry) int {
	switch v := c.Val(dwarf.AttrDataMemberLoc).(type) {
	case int64:
		return int(v)
	case []byte:
		if len(v) > 1 && v[0] == 0x23 { // DW_OP_plus_uconst
			n, _ := uleb(v[1:])
			return int(n)
		}
	}
	if b, ok := c.Val(dwarf.AttrDataBitOffset).(int64); ok {
		return int(b / 8)
	}
	return 0
}

func uleb(b []byte) (uint64, bool) {
	var v uint64
	for i, c := range b {
		if i == 10 {
			return 0, false
		}
		v |= uint64(c&0x7F) << (7 * uint(i))
		if c&0x80 == 0 {
			return v, true
		}
	}
	return 0, false
}

// enum reads an enumeration's values.
func (df *dwarfFinder) enum(e *dwarf.Entry) *Enum {
	if en, ok := df.enums[e.Offset]; ok {
		return en
	}
	size, _ := e.Val(dwarf.AttrByteSize).(int64)
	name := df.cname(e.Offset, 0)
	signed := false
	if t, ok := e.Val(dwarf.AttrType).(dwarf.Offset); ok {
		if u := df.underlying(t); u != nil {
			enc, _ := u.Val(dwarf.AttrEncoding).(int64)
			signed = enc == 5 || enc == 6
		}
	}
	df.entryAt(e.Offset)
	var vals []EnumValue
	for _, c := range df.children(e) {
		if c.Tag != dwarf.TagEnumerator {
			continue
		}
		v := EnumValue{Name: attrString(c, dwarf.AttrName)}
		switch x := c.Val(dwarf.AttrConstValue).(type) {
		case int64:
			v.Value = uint64(x)
			signed = signed || x < 0
		case uint64:
			v.Value = x
		}
		vals = append(vals, v)
	}
	en := newEnum(name, int(size), signed, vals)
	df.enums[e.Offset] = en
	return en
}

// cname spells the type at off as C does.
func (df *dwarfFinder) cname(off dwarf.Offset, depth int) string {
	if depth > maxDepth {
		return "?"
	}
	e := df.entryAt(off)
	if e == nil {
		return "?"
	}
	name := attrString(e, dwarf.AttrName)
	next, hasNext := e.Val(dwarf.AttrType).(dwarf.Offset)
	inner := func() string {
		if !hasNext {
			return "void"
		}
		return df.cname(next, depth+1)
	}
	switch e.Tag {
	case dwarf.TagBaseType, dwarf.TagTypedef, dwarf.TagUnspecifiedType:
		return orAnon(name, "?")
	case dwarf.TagStructType, dwarf.TagClassType:
		return "struct " + orAnon(name, "{...}")
	case dwarf.TagUnionType:
		return "union " + orAnon(name, "{...}")
	case dwarf.TagEnumerationType:
		return "enum " + orAnon(name, "{...}")
	case dwarf.TagPointerType, dwarf.TagReferenceType, dwarf.TagRvalueReferenceType:
		if name != "" { // Rust names its pointer types: "&mut File", "*const u8"
			return name
		}
		if hasNext {
			if t := df.entryAt(next); t != nil && t.Tag == dwarf.TagSubroutineType {
				return df.funcType(t, depth+1)
			}
		}
		return pointerTo(inner())
	case dwarf.TagConstType:
		return qualify("const", inner())
	case dwarf.TagVolatileType:
		return qualify("volatile", inner())
	case dwarf.TagRestrictType, dwarf.TagAtomicType:
		return inner()
	case dwarf.TagArrayType:
		return inner() + "[" + df.arrayLen(e) + "]"
	case dwarf.TagSubroutineType:
		return df.funcType(e, depth+1)
	}
	return orAnon(name, "?")
}

// arrayLen reads an array's first dimension: "" when unknown.
func (df *dwarfFinder) arrayLen(e *dwarf.Entry) string {
	df.entryAt(e.Offset)
	for _, c := range df.children(e) {
		if c.Tag != dwarf.TagSubrangeType {
			continue
		}
		if n, ok := c.Val(dwarf.AttrCount).(int64); ok {
			return strconv.FormatInt(n, 10)
		}
		if n, ok := c.Val(dwarf.AttrUpperBound).(int64); ok {
			return strconv.FormatInt(n+1, 10)
		}
		return ""
	}
	return ""
}

// funcType spells a pointer to the function type e: "int (*)(int)".
func (df *dwarfFinder) funcType(e *dwarf.Entry, depth int) string {
	ret := "void"
	if t, ok := e.Val(dwarf.AttrType).(dwarf.Offset); ok {
		ret = df.cname(t, depth)
	}
	df.entryAt(e.Offset)
	var params []dwarf.Offset
	variadic := false
	for _, c := range df.children(e) {
		switch c.Tag {
		case dwarf.TagFormalParameter:
			if t, ok := c.Val(dwarf.AttrType).(dwarf.Offset); ok {
				params = append(params, t)
			}
		case dwarf.TagUnspecifiedParameters:
			variadic = true
		}
	}
	var b strings.Builder
	b.WriteString(ret + " (*)(")
	for i, t := range params {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(df.cname(t, depth))
	}
	if variadic {
		if len(params) > 0 {
			b.WriteString(", ")
		}
		b.WriteString("...")
	}
	b.WriteString(")")
	return b.String()
}
