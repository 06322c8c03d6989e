package types

import (
	"sort"
	"strings"
)

// Kind is what a type is once typedefs and qualifiers are looked
// through.
type Kind uint8

const (
	KindUnknown Kind = iota // a type the source does not describe
	KindVoid
	KindInt // integers, char and bool
	KindEnum
	KindPointer
	KindStruct
	KindUnion
	KindArray
	KindFloat
	KindFunc // a function type (reached only through a pointer)
)

var kindNames = [...]string{"unknown", "void", "int", "enum", "pointer", "struct", "union", "array", "float", "func"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Type is one argument's, field's or return value's type as kdf needs
// it: its C spelling and what the records hold of it.
type Type struct {
	// C is the type as C spells it: "size_t", "struct file *",
	// "const char *".
	C string
	// Kind, Size and Signed describe the type under its typedefs and
	// qualifiers: a size_t is an unsigned int of 8 bytes. Size is 0 when
	// unknown.
	Kind   Kind
	Size   int
	Signed bool
	// Enum is set when the type is an enum: its values have names.
	Enum *Enum
	// Record is set for a struct or union, and for a pointer to one:
	// the fields the kernel's hooks expand, one value word each.
	Record *Record
}

// Expanded reports whether the hooks record the type field by field:
// a pointer to a struct or union, or one passed by value.
func (t Type) Expanded() bool { return t.Record != nil && len(t.Record.Fields) > 0 }

// Record is a struct or union with its members in order.
type Record struct {
	Name   string // "struct file", "union {...}" when anonymous
	Size   int
	Fields []Field
}

// Field is one member of a Record. Its Type has no Record of its own:
// the hooks read 8 bytes at most per field.
type Field struct {
	Name   string // "" for an anonymous member
	Type   Type
	Offset int // bytes from the start of the record
	Bits   int // a bitfield's width in bits, 0 for a whole member
}

// Enum is an enumeration: its values by name.
type Enum struct {
	Name   string // "enum pid_type"
	Size   int
	Signed bool
	// Values are sorted by Value, which holds each enumerator truncated
	// to Size bytes: what a record of the type holds, zero-extended.
	Values []EnumValue
}

// EnumValue is one enumerator.
type EnumValue struct {
	Name  string
	Value uint64
}

func newEnum(name string, size int, signed bool, vals []EnumValue) *Enum {
	e := &Enum{Name: name, Size: size, Signed: signed}
	mask := sizeMask(size)
	for _, v := range vals {
		e.Values = append(e.Values, EnumValue{v.Name, v.Value & mask})
	}
	sort.SliceStable(e.Values, func(i, j int) bool { return e.Values[i].Value < e.Values[j].Value })
	return e
}

// Lookup returns the name of the enumerator of value v, as a record
// holds it (zero-extended from the enum's size). Of enumerators that
// share a value the first declared wins.
func (e *Enum) Lookup(v uint64) (string, bool) {
	v &= sizeMask(e.Size)
	i := sort.Search(len(e.Values), func(i int) bool { return e.Values[i].Value >= v })
	if i < len(e.Values) && e.Values[i].Value == v {
		return e.Values[i].Name, true
	}
	return "", false
}

func sizeMask(size int) uint64 {
	if size <= 0 || size >= 8 {
		return ^uint64(0)
	}
	return 1<<(8*uint(size)) - 1
}

// Proto is a function's prototype.
type Proto struct {
	Func   string
	Module string // "" for the core kernel
	Ret    Type   // Kind KindVoid for a void function
	Params []Param
	// Variadic: the parameter list ends in "...".
	Variadic bool
}

// Param is one formal parameter.
type Param struct {
	Name string // "" when the source has none
	Type Type
}

// String returns the prototype as a C declaration:
// "ssize_t vfs_write(struct file *file, const char *buf, size_t count, loff_t *pos)".
func (p *Proto) String() string {
	var b strings.Builder
	b.WriteString(Declare(p.Ret.C, p.Func))
	b.WriteByte('(')
	for i, a := range p.Params {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(Declare(a.Type.C, a.Name))
	}
	switch {
	case p.Variadic && len(p.Params) > 0:
		b.WriteString(", ...")
	case p.Variadic:
		b.WriteString("...")
	case len(p.Params) == 0:
		b.WriteString("void")
	}
	b.WriteByte(')')
	return b.String()
}

// Declare joins a C type and a name: "char *" and "buf" give "char
// *buf", "int" and "n" give "int n"; a function pointer or an array
// takes the name inside.
func Declare(c, name string) string {
	switch {
	case name == "":
		return c
	case strings.Contains(c, "(*)"):
		return strings.Replace(c, "(*)", "(*"+name+")", 1)
	case strings.HasSuffix(c, "]"):
		i := strings.IndexByte(c, '[')
		return c[:i] + " " + name + c[i:]
	case strings.HasSuffix(c, "*"):
		return c + name
	}
	return c + " " + name
}
