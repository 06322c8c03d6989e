package types

import (
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/ingest"
)

// The fixture's prototypes, as both BTF and DWARF must spell them.
var fixtureProtos = map[string]string{
	"vfs_write":    "ssize_t vfs_write(struct file *file, const char *buf, size_t count, loff_t *pos)",
	"pid_nr":       "int pid_nr(enum pid_type type, enum fix_signed s, volatile int *const p)",
	"fix_printk":   "int fix_printk(const char *fmt, ...)",
	"fix_void":     "void fix_void(void)",
	"fix_by_value": "struct file fix_by_value(struct file f, unsigned char c, _Bool b, short int h)",
}

// The fixture's struct file, member by member: name, C type, offset,
// bitfield width.
var fixtureFile = []struct {
	name, c   string
	off, bits int
}{
	{"f_mode", "unsigned int", 0, 0},
	{"f_flags", "u32", 4, 0},
	{"f_pos", "loff_t", 8, 0},
	{"f_next", "struct file *", 16, 0},
	{"f_ro", "unsigned int", 24, 1},
	{"f_wr", "unsigned int", 24, 1},
	{"f_name", "char[16]", 25, 0},
	{"f_op", "int (*)(struct file *, int)", 48, 0},
	{"f_u", "union {...}", 56, 0},
}

func load(t *testing.T, path string) *Source {
	t.Helper()
	s, err := Load(path, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestFixture reads the fixture's raw BTF, its ELF with .BTF and its
// ELF with DWARF only: the three give the same prototypes, fields and
// enums.
func TestFixture(t *testing.T) {
	for _, tc := range []struct{ file, format string }{
		{"testdata/fixture.btf", "btf"},
		{"testdata/fixture-btf.o", "btf"},
		{"testdata/fixture.o", "dwarf"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			s := load(t, tc.file)
			if s.Format != tc.format {
				t.Errorf("format %q, want %q", s.Format, tc.format)
			}
			for fn, want := range fixtureProtos {
				p := s.Proto("", fn)
				if p == nil {
					t.Errorf("%s: no prototype", fn)
					continue
				}
				if got := p.String(); got != want {
					t.Errorf("%s:\n got %s\nwant %s", fn, got, want)
				}
			}
			checkFixtureTypes(t, s)
		})
	}
}

func checkFixtureTypes(t *testing.T, s *Source) {
	t.Helper()
	w := s.Proto("", "vfs_write")
	if w == nil {
		t.Fatal("no vfs_write")
	}
	file := w.Params[0].Type
	if file.Kind != KindPointer || file.Size != 8 || file.Record == nil || file.Record.Name != "struct file" || file.Record.Size != 64 {
		t.Fatalf("vfs_write's file: %+v", file)
	}
	if len(file.Record.Fields) != len(fixtureFile) {
		t.Fatalf("struct file has %d fields, want %d", len(file.Record.Fields), len(fixtureFile))
	}
	for i, want := range fixtureFile {
		f := file.Record.Fields[i]
		if f.Name != want.name || f.Type.C != want.c || f.Offset != want.off || f.Bits != want.bits {
			t.Errorf("field %d: %s %q at %d:%d, want %s %q at %d:%d", i, f.Name, f.Type.C, f.Offset, f.Bits, want.name, want.c, want.off, want.bits)
		}
	}
	if c := w.Params[2].Type; c.Kind != KindInt || c.Size != 8 || c.Signed {
		t.Errorf("size_t: %+v", c)
	}
	if r := w.Ret; r.Kind != KindInt || r.Size != 8 || !r.Signed {
		t.Errorf("ssize_t: %+v", r)
	}
	p := s.Proto("", "pid_nr")
	pt, fs := p.Params[0].Type, p.Params[1].Type
	if pt.Kind != KindEnum || pt.Enum == nil || pt.Signed || pt.Size != 4 {
		t.Fatalf("enum pid_type: %+v", pt)
	}
	if n, ok := pt.Enum.Lookup(2); !ok || n != "PIDTYPE_PGID" {
		t.Errorf("pid_type 2 = %q %v", n, ok)
	}
	if _, ok := pt.Enum.Lookup(9); ok {
		t.Error("pid_type 9 has a name")
	}
	if !fs.Signed || fs.Enum == nil {
		t.Fatalf("enum fix_signed: %+v", fs)
	}
	// -2 as a 4-byte record holds it: zero-extended.
	if n, ok := fs.Enum.Lookup(0xfffffffe); !ok || n != "FIX_NEG" {
		t.Errorf("fix_signed 0xfffffffe = %q %v", n, ok)
	}
	bv := s.Proto("", "fix_by_value").Params[0].Type
	if bv.Kind != KindStruct || !bv.Expanded() || bv.Size != 64 {
		t.Errorf("struct by value: %+v", bv)
	}
}

// TestModule reads a module's split BTF on top of the fixture's.
func TestModule(t *testing.T) {
	s := load(t, "testdata/fixture.btf")
	data, err := os.ReadFile("testdata/fixture_mod.btf")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddModuleBTF("fixture_mod", data, "fixture_mod.btf"); err != nil {
		t.Fatal(err)
	}
	p := s.Proto("fixture_mod", "mod_sum")
	if p == nil {
		t.Fatal("no mod_sum in the module")
	}
	if got, want := p.String(), "long unsigned int mod_sum(struct mod_pair *p, struct file *f)"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if r := p.Params[0].Type.Record; r == nil || len(r.Fields) != 2 || r.Fields[1].Name != "y" || r.Fields[1].Offset != 4 {
		t.Errorf("struct mod_pair: %+v", r)
	}
	if len(p.Params[1].Type.Record.Fields) != len(fixtureFile) {
		t.Error("the module's struct file is not the base's")
	}
	if s.Proto("", "mod_sum") != nil || s.Proto("fixture_mod", "vfs_write") != nil || s.Proto("other", "mod_sum") != nil {
		t.Error("a function found outside its module")
	}
	dw := load(t, "testdata/fixture.o")
	if err := dw.AddModuleBTF("fixture_mod", data, "fixture_mod.btf"); err == nil {
		t.Error("module BTF accepted on top of DWARF")
	}
}

// TestMachine reads this machine's own kernel BTF.
func TestMachine(t *testing.T) {
	const path = "/sys/kernel/btf/vmlinux"
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s does not exist: this kernel was built without CONFIG_DEBUG_INFO_BTF, so there is no kernel BTF to read", path)
	}
	s := load(t, path)
	w := s.Proto("", "vfs_write")
	if w == nil {
		t.Fatal("no vfs_write in the kernel's BTF")
	}
	if got, want := w.String(), "ssize_t vfs_write(struct file *file, const char *buf, size_t count, loff_t *pos)"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	rec := w.Params[0].Type.Record
	if rec == nil || rec.Name != "struct file" || rec.Size < 64 || !hasField(rec, "f_mode") || !hasField(rec, "f_flags") {
		t.Errorf("struct file: %+v", rec)
	}
	p := s.Proto("", "__task_pid_nr_ns")
	if p == nil || len(p.Params) != 3 || p.Params[1].Type.Enum == nil {
		t.Fatalf("__task_pid_nr_ns: %v", p)
	}
	if n, ok := p.Params[1].Type.Enum.Lookup(1); !ok || n != "PIDTYPE_TGID" {
		t.Errorf("enum pid_type 1 = %q", n)
	}
	if s.Proto("", "no_such_function_in_any_kernel") != nil {
		t.Error("a prototype for a function that does not exist")
	}
}

func hasField(r *Record, name string) bool {
	for _, f := range r.Fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// TestSuffix: a symbol's compiler suffix is looked up without it, and
// the prototype keeps the symbol's name.
func TestSuffix(t *testing.T) {
	s := load(t, "testdata/fixture.btf")
	p := s.Proto("", "vfs_write.isra.0")
	if p == nil || !strings.HasPrefix(p.String(), "ssize_t vfs_write.isra.0(") {
		t.Errorf("got %v", p)
	}
}

func TestCheck(t *testing.T) {
	s := load(t, "testdata/fixture.btf")
	w, bv, v := s.Proto("", "vfs_write"), s.Proto("", "fix_by_value"), s.Proto("", "fix_void")
	A, B := ingest.LayoutA, ingest.LayoutB
	entry, ret, cmp := ingest.KindEntry, ingest.KindRet, ingest.KindCmp
	for _, tc := range []struct {
		name   string
		p      *Proto
		kind   ingest.Kind
		layout ingest.Layout
		idx    uint8
		size   uint8
		nvals  int
		want   Verdict
	}{
		{"scalar", w, entry, A, 2, 8, 1, Agrees},
		{"scalar wrong size", w, entry, A, 2, 4, 1, Disagrees},
		{"past the parameters", w, entry, A, 4, 8, 1, Disagrees},
		{"struct pointer expanded", w, entry, A, 0, 64, 9, Agrees},
		{"struct pointer as pointer", w, entry, B, 0, 8, 1, Agrees},
		{"struct pointer, fields of the pointer's size", w, entry, A, 0, 8, 9, Agrees},
		{"struct pointer wrong count", w, entry, A, 0, 64, 3, Disagrees},
		{"optimised out", w, entry, B, 2, 0, 1, Agrees},
		{"size 0 in layout A", w, entry, A, 2, 0, 1, Disagrees},
		{"by value expanded", bv, entry, A, 0, 64, 9, Agrees},
		{"by value in registers", bv, entry, B, 0, 8, 1, Agrees},
		{"by value in registers, layout A", bv, entry, A, 0, 8, 1, Disagrees},
		{"bool", bv, entry, A, 2, 1, 1, Agrees},
		{"ret", w, ret, A, 0, 8, 1, Agrees},
		{"ret of void", v, ret, A, 0, 8, 1, Disagrees},
		{"ret struct by value", bv, ret, A, 0, 64, 9, Agrees},
		{"compare", w, cmp, B, 0, 4, 2, Unchecked},
		{"no prototype", nil, entry, A, 9, 3, 1, Unchecked},
	} {
		if got := Check(tc.p, tc.kind, tc.layout, tc.idx, tc.size, tc.nvals); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestHostile: damaged and oversized BTF is refused with the offset of
// the problem, never read out of bounds, and reference chains are cut.
func TestHostile(t *testing.T) {
	good, err := os.ReadFile("testdata/fixture.btf")
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	for _, tc := range []struct {
		name string
		data []byte
		lim  Limits
		want string
	}{
		{"empty", nil, Limits{}, "too short"},
		{"magic", edit(func(b []byte) []byte { b[0] = 0; return b }), Limits{}, "no BTF magic"},
		{"big-endian", edit(func(b []byte) []byte { b[0], b[1] = 0xEB, 0x9F; return b }), Limits{}, "big-endian"},
		{"version", edit(func(b []byte) []byte { b[2] = 2; return b }), Limits{}, "version 2"},
		{"header length", edit(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[4:], 1<<30); return b }), Limits{}, "header length"},
		{"type section", edit(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[12:], 1<<31); return b }), Limits{}, "outside"},
		{"string section", edit(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[20:], 1<<31); return b }), Limits{}, "outside"},
		{"cut", good[:len(good)-700], Limits{}, "outside"},
		{"unknown kind", edit(func(b []byte) []byte { b[btfHeaderLen+7] = 31; return b }), Limits{}, "unknown BTF kind"},
		{"too large", good, Limits{MaxBytes: 100}, "cap"},
		{"too many types", good, Limits{MaxTypes: 5}, "more than 5 types"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseBTF(tc.data, tc.name, tc.lim)
			var fe *FormatError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want a FormatError saying %q", err, tc.want)
			}
		})
	}
	// A million pointers in a chain, the last one pointing at the
	// first, and a function taking the first: read in bounded time and
	// space, spelled with "?" past the depth bound.
	const n = 1_000_000
	var b btfBuilder
	for i := range n {
		b.typ(0, btfPtr, 0, uint32((i+1)%n+1))
	}
	proto := b.typ(0, btfFuncProto, 1, 0)
	b.u32(b.str("p"), 1)
	b.typ(b.str("chain"), btfFunc, 0, proto)
	s, err := ParseBTF(b.bytes(), "chain", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	p := s.Proto("", "chain")
	if p == nil || !strings.HasPrefix(p.Params[0].Type.C, "?") || p.Params[0].Type.Kind != KindPointer {
		t.Errorf("chain: %v", p)
	}
}

// TestRustDWARF reads a Rust crate's DWARF: an extern "C" function by
// its name, a Rust function by its name and by its mangled symbol (the
// name kallsyms gives it), Rust's named pointer types, a repr(C)
// struct's fields and a repr(u8) enum's values.
func TestRustDWARF(t *testing.T) {
	s := load(t, "testdata/fixture-rust.o")
	for fn, want := range map[string]string{
		"rust_ffi_sum":  "isize rust_ffi_sum(*const fixture_rust::Pair p, usize count)",
		"write_handler": "i64 write_handler(u64 count, &fixture_rust::Pair pair, enum Mode mode)",
	} {
		p := s.Proto("", fn)
		if p == nil || p.String() != want {
			t.Errorf("%s: %v, want %s", fn, p, want)
		}
	}
	var mangled string
	for name := range s.base.(*dwarfFinder).funcs {
		if strings.HasPrefix(name, "_ZN12fixture_rust13write_handler") {
			mangled = name
		}
	}
	p := s.Proto("", mangled)
	if p == nil || len(p.Params) != 3 {
		t.Fatalf("by its symbol %q: %v", mangled, p)
	}
	if r := p.Params[1].Type.Record; r == nil || len(r.Fields) != 2 || r.Fields[1].Name != "y" || r.Fields[1].Offset != 4 {
		t.Errorf("Pair: %+v", r)
	}
	if e := p.Params[2].Type.Enum; e == nil || e.Size != 1 || len(e.Values) != 2 {
		t.Errorf("Mode: %+v", e)
	} else if n, ok := e.Lookup(2); !ok || n != "Write" {
		t.Errorf("Mode 2 = %q", n)
	}
}
