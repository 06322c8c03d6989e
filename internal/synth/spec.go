package synth

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
)

// The catalog is written in a compact notation, parsed once by NewKernel:
//
//	args   "name:type[/domain][<source] ..."
//	ret    "" (void) or "type[/domain][<source]"
//	flags  "err=EBADF,EINVAL null pre rec=4 noret hostile root=write:fd,uptr,size w=4"
//	calls  "a b? c* d+ x|y|z self?"
//
// Types are u8..u64, i8..i64, ptr (8 bytes, signed: it can carry an
// ERR_PTR), *S (struct pointer), &S (__user struct pointer), =S (struct
// by value). A source takes the caller's argument (<2) or one of its
// fields (<0.1); for returns, the function's own argument (<2), the sum
// of its arguments (<sum) or its last callee's return value (<c).
// Callees: plain is called once, ? maybe, * 0-3 times, + 1-3 times,
// a|b picks one; self is direct recursion (needs rec=N).
type fspec struct {
	name  string
	typ   byte
	args  string
	ret   string
	flags string
	calls string
}

type sspec struct{ name, fields string }

type edge struct {
	names    []string // until resolved
	to       []int
	min, max int  // repetitions
	maybe    bool // called with a probability
}

type cmpSite struct {
	pos     int    // emitted before edge pos (len(edges): at the end)
	off     uint64 // pc offset of the comparison
	size    uint32
	isConst bool
	iters   int    // at most this many evaluations per visit
	arg     int    // operand from this argument, -1 for a loop counter
	c       uint64 // the other operand
}

var errnoNames = map[string]int{
	"EPERM": 1, "ENOENT": 2, "EINTR": 4, "EIO": 5, "EBADF": 9, "EAGAIN": 11,
	"ENOMEM": 12, "EACCES": 13, "EFAULT": 14, "EBUSY": 16, "EEXIST": 17,
	"ENOTDIR": 20, "EINVAL": 22, "EMFILE": 24, "ENOTTY": 25, "EFBIG": 27,
	"ENOSPC": 28, "EPIPE": 32, "ERANGE": 34, "ENAMETOOLONG": 36,
	"ENOTSOCK": 88, "EMSGSIZE": 90, "EOPNOTSUPP": 95, "ECONNREFUSED": 111,
	"ENOIOCTLCMD": 515, "E2BIG": 7,
}

func parseStructs(specs []sspec) map[string]*Struct {
	m := map[string]*Struct{}
	for _, s := range specs {
		st := &Struct{Name: s.name}
		for _, tok := range strings.Fields(s.fields) {
			name, rest, _ := strings.Cut(tok, ":")
			size, signed, gen, err := parseScalar(rest)
			if err != nil {
				panic(fmt.Sprintf("synth: struct %s: %v", s.name, err))
			}
			off := (st.Size + size - 1) / size * size
			st.Fields = append(st.Fields, Field{Name: name, Offset: off, Size: size, Signed: signed, gen: gen, tok: typeTok(rest)})
			st.sizes = append(st.sizes, uint8(size))
			st.Size = off + size
		}
		st.Size = (st.Size + 7) / 8 * 8
		m[s.name] = st
	}
	return m
}

func parseFunc(s fspec, structs map[string]*Struct) (Func, error) {
	f := Func{Name: s.name, Type: s.typ}
	for _, tok := range strings.Fields(s.args) {
		name, rest, _ := strings.Cut(tok, ":")
		a, err := parseArg(rest, structs)
		if err != nil {
			return f, fmt.Errorf("%s(%s): %v", s.name, name, err)
		}
		a.Name = name
		f.Args = append(f.Args, a)
	}
	var err error
	if f.Ret, err = parseRet(s.ret, structs); err != nil {
		return f, fmt.Errorf("%s return: %v", s.name, err)
	}
	if err = parseFlags(&f, s.flags); err != nil {
		return f, fmt.Errorf("%s: %v", s.name, err)
	}
	f.edges = parseEdges(s.calls)
	return f, nil
}

func parseArg(s string, structs map[string]*Struct) (Arg, error) {
	kinds := map[byte]ArgKind{'*': StructPtr, '&': UserStructPtr, '=': StructByValue}
	if kind, ok := kinds[s[0]]; ok {
		name, gen, err := splitGen(s[1:], domKptr)
		st := structs[name]
		if err == nil && st == nil {
			err = fmt.Errorf("unknown struct %q", name)
		}
		if kind == UserStructPtr && gen.kind == genDomain && gen.dom == domKptr {
			gen.dom = domUptr
		}
		return Arg{Kind: kind, Size: sizeOf(st), Signed: true, Struct: st, gen: gen}, err
	}
	size, signed, gen, err := parseScalar(s)
	return Arg{Kind: Scalar, Size: size, Signed: signed, gen: gen, tok: typeTok(s)}, err
}

// typeTok is the type of "type[/domain][<source]": u64, i32, ptr.
func typeTok(s string) string {
	if i := strings.IndexAny(s, "/<"); i >= 0 {
		return s[:i]
	}
	return s
}

func sizeOf(st *Struct) int {
	if st == nil {
		return 0
	}
	return st.Size
}

func parseRet(s string, structs map[string]*Struct) (Ret, error) {
	if s == "" {
		return Ret{Void: true}, nil
	}
	a, err := parseArg(s, structs)
	if err == nil && a.Kind != Scalar && a.Kind != StructPtr {
		err = fmt.Errorf("return kind %q", s)
	}
	return Ret{Kind: a.Kind, Size: a.Size, Signed: a.Signed, Struct: a.Struct, gen: a.gen, tok: a.tok}, err
}

// parseScalar reads "type[/domain][<source]".
func parseScalar(s string) (size int, signed bool, gen valueGen, err error) {
	typ, gen, err := splitGen(s, domSmall)
	switch typ {
	case "u8", "u16", "u32", "u64":
		size, _ = strconv.Atoi(typ[1:])
	case "i8", "i16", "i32", "i64":
		size, _ = strconv.Atoi(typ[1:])
		signed = true
	case "ptr":
		size, signed = 64, true
		if gen.kind == genDomain && gen.dom == domSmall && !strings.Contains(s, "/") {
			gen.dom = domKptr
		}
	default:
		return 0, false, gen, fmt.Errorf("unknown type %q", typ)
	}
	return size / 8, signed, gen, err
}

// splitGen splits "head[/domain][<source]" and parses the generator.
func splitGen(s string, def domain) (string, valueGen, error) {
	gen := valueGen{kind: genDomain, dom: def}
	s, src, hasSrc := strings.Cut(s, "<")
	head, dom, hasDom := strings.Cut(s, "/")
	if hasDom {
		d, c, err := parseDomain(dom)
		if err != nil {
			return head, gen, err
		}
		gen.dom, gen.c = d, c
		if d == domConst {
			gen.kind = genConst
		}
		if d == domLocal {
			gen.kind = genLocal
		}
	}
	if hasSrc {
		return head, gen, parseSource(&gen, src)
	}
	return head, gen, nil
}

func parseSource(gen *valueGen, src string) error {
	switch src {
	case "sum":
		gen.kind = genSum
		return nil
	case "c":
		gen.kind = genChild
		return nil
	}
	a, b, field := strings.Cut(src, ".")
	n, err := strconv.Atoi(a)
	if err != nil {
		return fmt.Errorf("source %q", src)
	}
	gen.kind, gen.n = genArg, int8(n)
	if field {
		m, err := strconv.Atoi(b)
		if err != nil {
			return fmt.Errorf("source %q", src)
		}
		gen.kind, gen.m = genField, int8(m)
	}
	return nil
}

func parseFlags(f *Func, flags string) error {
	for _, tok := range strings.Fields(flags) {
		key, val, _ := strings.Cut(tok, "=")
		switch key {
		case "err":
			for _, name := range strings.Split(val, ",") {
				e, ok := errnoNames[name]
				if !ok {
					return fmt.Errorf("unknown errno %q", name)
				}
				f.Errnos = append(f.Errnos, e)
			}
		case "null":
			f.MayReturnNull = true
		case "pre":
			f.PreEntryRet = true
		case "noret":
			f.NoReturn = true
		case "hostile":
			f.hostile = true
		case "rec":
			f.MaxRecursion, _ = strconv.Atoi(val)
		case "w":
			f.weight, _ = strconv.Atoi(val)
		case "root":
			if err := parseRoot(f, val); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unknown flag %q", tok)
		}
	}
	return nil
}

func parseRoot(f *Func, val string) error {
	name, args, _ := strings.Cut(val, ":")
	f.Syscall, f.weight = name, max(f.weight, 1)
	for _, d := range strings.Split(args, ",") {
		if d == "" {
			continue
		}
		dom, c, err := parseDomain(d)
		if err != nil {
			return err
		}
		f.sysArgs = append(f.sysArgs, valueGen{kind: genDomain, dom: dom, c: c})
	}
	return nil
}

func parseEdges(calls string) []edge {
	var edges []edge
	for _, tok := range strings.Fields(calls) {
		e := edge{min: 1, max: 1}
		switch tok[len(tok)-1] {
		case '?':
			e.maybe = true
		case '*':
			e.min, e.max = 0, 3
		case '+':
			e.min, e.max = 1, 3
		}
		tok = strings.TrimRight(tok, "?*+")
		e.names = strings.Split(tok, "|")
		edges = append(edges, e)
	}
	return edges
}

var cmpConsts = []uint64{0, 1, 2, 0x10, 0x1000, 0x7fffffff, 0xffffffffffffffea, 0xfffffffffffffff2}

// drawCmpSites places 0 to 3 comparisons in a function's body; a few sit
// in loops, so compare records outnumber the others by far.
func drawCmpSites(rng *rand.Rand, f *Func) []cmpSite {
	n := rng.IntN(4)
	sites := make([]cmpSite, n)
	for i := range sites {
		s := &sites[i]
		s.pos = rng.IntN(len(f.edges) + 1)
		s.off = f.entryOff + 8 + uint64(rng.IntN(int(f.retOff-f.entryOff-8)))
		s.size = uint32(1) << rng.IntN(4)
		s.isConst = rng.IntN(10) < 7
		s.iters = 1
		if rng.IntN(3) == 0 {
			s.iters = 2 + rng.IntN(31)
		}
		s.arg = -1
		if len(f.Args) > 0 && rng.IntN(2) == 0 {
			s.arg = rng.IntN(len(f.Args))
		}
		s.c = cmpConsts[rng.IntN(len(cmpConsts))]
	}
	sort.SliceStable(sites, func(a, b int) bool { return sites[a].pos < sites[b].pos })
	return sites
}
