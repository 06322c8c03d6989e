package synth

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/cilium/ebpf/btf"

	"github.com/kdf-tools/kdf/transform/types"
)

// BTF returns the kernel's types as a kernel built with
// CONFIG_DEBUG_INFO_BTF exposes them: vmlinux's BTF, as
// /sys/kernel/btf/vmlinux holds it, and each module's split BTF on top
// of it, as /sys/kernel/btf/MODULE does. Every instrumented function has
// its prototype, with the C types of catalog_types.go; a module's
// functions are named as its symbols are (mangled, for Rust).
func (k *Kernel) BTF() (vmlinux []byte, modules map[string][]byte, err error) {
	b := newBTFBuild(k.Structs)
	var base []btf.Type
	b.out = &base
	for i := range k.Funcs {
		if f := &k.Funcs[i]; f.Module < 0 {
			b.fn(f)
		}
	}
	opts := &btf.MarshalOptions{Order: binary.LittleEndian}
	bb, err := btf.NewBuilder(base, nil)
	if err == nil {
		vmlinux, err = bb.Marshal(nil, opts)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("synth: vmlinux BTF: %w", err)
	}
	b.frozen = b.local
	modules = map[string][]byte{}
	for mi, m := range k.Modules {
		var own []btf.Type
		b.out, b.local = &own, map[string]btf.Type{}
		for i := range k.Funcs {
			if f := &k.Funcs[i]; f.Module == mi {
				b.fn(f)
			}
		}
		if modules[m.Name], err = splitBTF(vmlinux, base, own, opts); err != nil {
			return nil, nil, fmt.Errorf("synth: BTF of %s: %w", m.Name, err)
		}
	}
	return vmlinux, modules, nil
}

// Types reads the kernel's BTF back as kdf reads a type source: for
// tests and benchmarks that name records without files.
func (k *Kernel) Types() (*types.Source, error) {
	vmlinux, modules, err := k.BTF()
	if err != nil {
		return nil, err
	}
	src, err := types.ParseBTF(vmlinux, "vmlinux", types.Limits{})
	if err != nil {
		return nil, err
	}
	for name, m := range modules {
		if err := src.AddModuleBTF(name, m, name); err != nil {
			return nil, err
		}
	}
	return src, nil
}

// splitBTF encodes a module's types on top of the base's. The types are
// encoded after the base's, in one blob: the base's type IDs and
// strings come out as they are in the base's own blob, the module's
// follow them, which is what split BTF is. Its sections are then the
// combined blob's past the base's.
func splitBTF(vmlinux []byte, base, own []btf.Type, opts *btf.MarshalOptions) ([]byte, error) {
	b, err := btf.NewBuilder(append(append([]btf.Type(nil), base...), own...), nil)
	if err != nil {
		return nil, err
	}
	all, err := b.Marshal(nil, opts)
	if err != nil {
		return nil, err
	}
	bt, bs := sections(vmlinux)
	at, as := sections(all)
	if !bytes.HasPrefix(at, bt) || !bytes.HasPrefix(as, bs) {
		return nil, fmt.Errorf("the base's types did not encode as in the base")
	}
	t, s := at[len(bt):], as[len(bs):]
	out := make([]byte, 24, 24+len(t)+len(s))
	copy(out, vmlinux[:8]) // magic, version, flags, header length
	binary.LittleEndian.PutUint32(out[8:], 0)
	binary.LittleEndian.PutUint32(out[12:], uint32(len(t)))
	binary.LittleEndian.PutUint32(out[16:], uint32(len(t)))
	binary.LittleEndian.PutUint32(out[20:], uint32(len(s)))
	return append(append(out, t...), s...), nil
}

// sections slices a blob Builder.Marshal wrote into its type and string
// sections.
func sections(raw []byte) (types, strs []byte) {
	u := func(i int) uint32 { return binary.LittleEndian.Uint32(raw[i:]) }
	body := raw[u(4):]
	return body[u(8) : u(8)+u(12)], body[u(16) : u(16)+u(20)]
}

// btfBuild makes the types of one blob, each once: by its C spelling,
// in the types of the base (frozen) or of the blob being built (local),
// so that a module's blob holds only the types the base lacks.
type btfBuild struct {
	structs map[string]*Struct
	out     *[]btf.Type
	frozen  map[string]btf.Type
	local   map[string]btf.Type
}

func newBTFBuild(structs map[string]*Struct) *btfBuild {
	return &btfBuild{structs: structs, frozen: map[string]btf.Type{}, local: map[string]btf.Type{}}
}

func (b *btfBuild) add(c string, t btf.Type) btf.Type {
	*b.out = append(*b.out, t)
	b.local[c] = t
	return t
}

// fn adds a function and its prototype.
func (b *btfBuild) fn(f *Func) {
	proto := &btf.FuncProto{Return: b.ctype(retCType(f))}
	for i := range f.Args {
		proto.Params = append(proto.Params, btf.FuncParam{Name: f.Args[i].Name, Type: b.ctype(argCType(f, i))})
	}
	if variadic[f.Name] {
		proto.Params = append(proto.Params, btf.FuncParam{Type: &btf.Void{}})
	}
	*b.out = append(*b.out, proto)
	linkage := btf.GlobalFunc
	if f.Type == 't' {
		linkage = btf.StaticFunc
	}
	*b.out = append(*b.out, &btf.Func{Name: f.Name, Type: proto, Linkage: linkage})
}

// ctype returns the type spelled c: a base type, a typedef, "struct S",
// "enum E", with "const" before, "__user" after and pointers.
func (b *btfBuild) ctype(c string) btf.Type {
	if c == "void" {
		return &btf.Void{}
	}
	if t, ok := b.frozen[c]; ok {
		return t
	}
	if t, ok := b.local[c]; ok {
		return t
	}
	switch {
	case strings.HasSuffix(c, "*"):
		inner := strings.TrimSpace(strings.TrimSuffix(c, "*"))
		return b.add(c, &btf.Pointer{Target: b.ctype(inner)})
	case strings.HasSuffix(c, " __user"):
		return b.add(c, &btf.TypeTag{Value: "user", Type: b.ctype(strings.TrimSuffix(c, " __user"))})
	case strings.HasPrefix(c, "const "):
		return b.add(c, &btf.Const{Type: b.ctype(strings.TrimPrefix(c, "const "))})
	case strings.HasPrefix(c, "struct "):
		return b.record(c)
	case strings.HasPrefix(c, "enum "):
		return b.enum(c)
	}
	if t, ok := cInts[c]; ok {
		enc := btf.Unsigned
		switch {
		case c == "_Bool":
			enc = btf.Bool
		case c == "char":
			enc = btf.Char | btf.Signed
		case t.signed:
			enc = btf.Signed
		}
		return b.add(c, &btf.Int{Name: c, Size: uint32(t.size), Encoding: enc})
	}
	if under, ok := cTypedefs[c]; ok {
		return b.add(c, &btf.Typedef{Name: c, Type: b.ctype(under)})
	}
	panic("synth: no C type " + c)
}

// record adds a synthetic struct with its fields.
func (b *btfBuild) record(c string) btf.Type {
	st := b.structs[strings.TrimPrefix(c, "struct ")]
	if st == nil {
		panic("synth: no struct for " + c)
	}
	s := &btf.Struct{Name: st.Name, Size: uint32(st.Size)}
	b.add(c, s) // before its fields: they may point back at it
	for i := range st.Fields {
		fd := &st.Fields[i]
		s.Members = append(s.Members, btf.Member{Name: fd.Name, Type: b.ctype(fieldCType(st, fd)), Offset: btf.Bits(8 * fd.Offset)})
	}
	return s
}

func (b *btfBuild) enum(c string) btf.Type {
	e, ok := cEnums[c]
	if !ok {
		panic("synth: no enum " + c)
	}
	out := &btf.Enum{Name: strings.TrimPrefix(c, "enum "), Size: uint32(e.size)}
	for i, n := range e.names {
		out.Values = append(out.Values, btf.EnumValue{Name: n, Value: uint64(i)})
	}
	return b.add(c, out)
}
