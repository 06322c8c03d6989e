package synth

import (
	"fmt"
	"math/rand/v2"
)

// ArgKind says how an argument or return value reaches the hook.
type ArgKind uint8

const (
	// Scalar is an integer or pointer recorded as one value word.
	Scalar ArgKind = iota
	// StructPtr is a kernel pointer to a struct, expanded field by field.
	StructPtr
	// UserStructPtr is a __user pointer to a struct: the kernel's
	// nofault reads refuse user addresses, so every field records 0.
	UserStructPtr
	// StructByValue is a struct passed in registers. Layout A records it
	// as one expanded record (read through its stack copy); layout B as
	// one scalar ENTRY record per 8-byte register, all with the same
	// argument index.
	StructByValue
)

// Field is one struct field as DWARF describes it.
type Field struct {
	Name   string
	Offset int
	Size   int
	Signed bool
	gen    valueGen
	tok    string // the catalog's type: u8..u64, i8..i64, ptr
}

// Struct is a struct type whose fields the hooks expand.
type Struct struct {
	Name   string
	Fields []Field
	Size   int // bytes, with natural alignment

	sizes []uint8 // field sizes, as Callback.Fields wants them
}

// Arg is one formal argument of an instrumented function.
type Arg struct {
	Name   string
	Kind   ArgKind
	Size   int // bytes of a scalar; of the struct for the struct kinds
	Signed bool
	Struct *Struct
	// OptimizedOut: the compiler dropped the argument (layout A: NULL
	// pointer, value 0; layout B: header size 0).
	OptimizedOut bool
	gen          valueGen
	tok          string // the catalog's type of a scalar: u8..u64, i8..i64, ptr
}

// Ret is a function's return value.
type Ret struct {
	Void   bool
	Kind   ArgKind // Scalar or StructPtr
	Size   int     // bytes of the scalar; of the struct for StructPtr
	Signed bool    // the value is a signed integer or pointer: errnos apply
	Struct *Struct
	gen    valueGen
	tok    string
}

// Func is one instrumented function. (The symbol tables also list
// uninstrumented text that no program calls; it has no Func.)
type Func struct {
	Name   string // as the symbol table spells it (mangled for Rust)
	Module int    // index into Kernel.Modules, -1 for the core kernel
	Type   byte   // kallsyms type: 'T', 't' or 'W'
	// Addr is the link-time address for the core kernel, the offset from
	// the module's base for a module function.
	Addr uint64
	Size uint64
	Args []Arg
	Ret  Ret
	// PreEntryRet: a RET record with this function's pc precedes its
	// ENTRY records (seen in the seed's sessions, unexplained).
	PreEntryRet bool
	// MaxRecursion bounds direct recursion (0: not recursive).
	MaxRecursion int
	// NoReturn: the function never returns (exit paths).
	NoReturn bool
	// Errnos the function may fail with; a pointer return fails with
	// ERR_PTR(-errno).
	Errnos []int
	// MayReturnNull: a pointer return may be NULL.
	MayReturnNull bool
	// Syscall names a syscall-like root ("" otherwise).
	Syscall string

	entryOff, retOff uint64 // pc offsets in layout B with Options.PCInside
	edges            []edge
	cmps             []cmpSite
	sysArgs          []valueGen // a root's syscall arguments (pt_regs di, si, ...)
	weight           int        // a root's share of programs
	hostile          bool       // only called with Options.Hostile
}

// Module is a loadable module.
type Module struct {
	Name string
	Rust bool
	Text uint64 // bytes of text
	Data uint64 // bytes of data, placed after the text
	syms []symbol
}

// Options select kernel traits that are off by default.
type Options struct {
	// Hostile adds syscalls whose struct arguments have 16 or more
	// fields: their layout-A headers carry the count into the type bits.
	Hostile bool
	// PCInside makes layout-B entry and return pcs point a few bytes
	// into the function (a newer toolchain) instead of at its start.
	PCInside bool
	// Symbols pads the core kernel's text with uncalled functions, and
	// the data symbols between them, until a boot's kallsyms has about
	// this many lines, as a real kernel's has (120,000 to 200,000):
	// what reading a boot's snapshot costs. 0 adds none.
	Symbols int
	// NoKASLR loads every boot at the link address, its modules at the
	// same addresses each time, as a kernel built without
	// CONFIG_RANDOMIZE_BASE does (the configuration syzkaller
	// recommends): every boot's kallsyms is the same bytes.
	NoKASLR bool
}

// MaxSymbols bounds Options.Symbols: the padded text must end below
// the read-only data.
const MaxSymbols = 200_000

// Kernel is a synthetic kernel build: its functions, modules and symbols.
type Kernel struct {
	Seed    uint64
	Opts    Options
	Funcs   []Func
	Modules []Module
	Structs map[string]*Struct

	byName     map[string]int // "name" for the core kernel, "module:name" for modules
	roots      []int
	rootWeight int
	core       []symbol // sorted by address
	fid        struct{ ioctl, secIoctl, doVfsIoctl, fpregs, clone, exitGroup int }
}

// NewKernel builds the synthetic kernel for a seed: the function catalog
// is fixed, while text sizes, compare sites, optimised-out arguments and
// the order of functions in the text vary with the seed.
func NewKernel(seed uint64, opts Options) *Kernel {
	k := &Kernel{Seed: seed, Opts: opts, byName: map[string]int{}}
	rng := rand.New(rand.NewPCG(mix(seed, 0x6b65726e), 0))
	k.Structs = parseStructs(structSpecs)
	for _, s := range coreSpecs {
		k.addFunc(s, -1)
	}
	for mi, m := range moduleSpecs {
		k.Modules = append(k.Modules, Module{Name: m.name, Rust: m.rust})
		for _, s := range m.funcs {
			k.addFunc(s, mi)
		}
	}
	for i := range k.Funcs {
		k.resolve(i)
	}
	k.traits(rng)
	k.layout(rng)
	k.fid.ioctl = k.mustFunc("__x64_sys_ioctl")
	k.fid.secIoctl = k.mustFunc("security_file_ioctl")
	k.fid.doVfsIoctl = k.mustFunc("do_vfs_ioctl")
	k.fid.fpregs = k.mustFunc("fpregs_assert_state_consistent")
	k.fid.clone = k.mustFunc("__x64_sys_clone")
	k.fid.exitGroup = k.mustFunc("__x64_sys_exit_group")
	return k
}

// Lookup finds a function by name: "vfs_write" for the core kernel,
// "eight_args_c:df_func2" for a module.
func (k *Kernel) Lookup(name string) (int, bool) {
	i, ok := k.byName[name]
	return i, ok
}

func (k *Kernel) mustFunc(name string) int {
	i, ok := k.byName[name]
	if !ok {
		panic("synth: catalog lacks " + name)
	}
	return i
}

// QualifiedName returns "name" or "module:name".
func (k *Kernel) QualifiedName(fid int) string {
	f := &k.Funcs[fid]
	if f.Module < 0 {
		return f.Name
	}
	return k.Modules[f.Module].Name + ":" + f.Name
}

func (k *Kernel) addFunc(s fspec, module int) {
	f, err := parseFunc(s, k.Structs)
	if err != nil {
		panic(fmt.Sprintf("synth: catalog: %v", err))
	}
	f.Module = module
	name := f.Name
	if module >= 0 {
		name = moduleSpecs[module].name + ":" + f.Name
	}
	if _, dup := k.byName[name]; dup {
		panic("synth: catalog: duplicate " + name)
	}
	k.byName[name] = len(k.Funcs)
	k.Funcs = append(k.Funcs, f)
}

// resolve turns callee names into function indices; a bare name inside a
// module means that module's function if it has one.
func (k *Kernel) resolve(fid int) {
	f := &k.Funcs[fid]
	for ei := range f.edges {
		e := &f.edges[ei]
		for _, name := range e.names {
			to, ok := k.byName[name]
			if !ok && f.Module >= 0 {
				to, ok = k.byName[k.Modules[f.Module].Name+":"+name]
			}
			if name == "self" {
				to, ok = fid, true
			}
			if !ok {
				panic(fmt.Sprintf("synth: catalog: %s calls unknown %s", f.Name, name))
			}
			e.to = append(e.to, to)
		}
		e.names = nil
	}
	if f.Syscall != "" && (!f.hostile || k.Opts.Hostile) {
		k.roots = append(k.roots, fid)
		k.rootWeight += f.weight
	}
}

// traits draws the seed-dependent details of every function.
func (k *Kernel) traits(rng *rand.Rand) {
	for i := range k.Funcs {
		f := &k.Funcs[i]
		f.Size = 0x40 + 0x10*uint64(rng.IntN(0x60))
		f.entryOff = 4 + 4*uint64(rng.IntN(4))
		f.retOff = f.Size - 0x10 + uint64(rng.IntN(8))
		f.cmps = drawCmpSites(rng, f)
		for ai := range f.Args {
			a := &f.Args[ai]
			// A few core scalars are optimised out in this build; the
			// seed's modules keep all theirs.
			if f.Module < 0 && a.Kind == Scalar && rng.IntN(40) == 0 {
				a.OptimizedOut = true
			}
		}
	}
}

// mix derives independent seeds (splitmix64 over the inputs).
func mix(vals ...uint64) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, v := range vals {
		h ^= v + 0x9e3779b97f4a7c15 + h<<6 + h>>2
		h ^= h >> 30
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 27
		h *= 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}

func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h
}
