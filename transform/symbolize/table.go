package symbolize

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/ianlancetaylor/demangle"
)

// MaxFuncSize bounds how far past its symbol a pc may lie and still be
// attributed to it. The last symbol of the kernel or of a module has no
// successor to bound it, and modules lie far apart, so without a cap a
// wild pc would land in whatever function precedes it. No kernel
// function comes near 1 MiB.
const MaxFuncSize = 1 << 20

// demangleMaxPow caps a demangled name at 2^16 bytes: C++ substitutions
// can make a short hostile name expand exponentially.
const demangleMaxPow = 16

// Symbol is one valid line of a symbol file.
type Symbol struct {
	Addr   uint64
	Type   byte   // the nm(1) type letter
	Name   string // as in the file, mangled; valid UTF-8 (see RawName)
	Module string // "" for the core kernel; valid UTF-8
}

// IsText reports whether the symbol is a function: type t, T, w or W.
func (s Symbol) IsText() bool { return isText(s.Type) }

func isText(typ byte) bool {
	switch typ {
	case 't', 'T', 'w', 'W':
		return true
	}
	return false
}

// Func is the function a pc resolved to.
type Func struct {
	ID     int32  // the symbol's index in its Table, stable for a table
	Name   string // as in the file, mangled; valid UTF-8 (see Table.RawName)
	Module string // "" for the core kernel; valid UTF-8
	Addr   uint64 // the symbol's address in the table looked up
	Offset uint64 // pc - Addr, below MaxFuncSize
}

// Table is one parsed symbol file. It is safe for concurrent use.
type Table struct {
	Name      string // the file name given to the parser
	Format    string // "kallsyms" or "system.map"
	BadLines  int    // lines skipped because they did not parse
	FirstBad  *Error // the first of them (wraps ErrBadLine), or nil
	ZeroAddrs int    // symbols at address zero, left out of lookups

	// Symbols are kept without pointers, their names in one string, so
	// that a 200k-symbol table is a few allocations the GC need not scan.
	recs    []symRec         // in file order; a symbol's ID is its index
	names   string           // all names, back to back, escaped (names.go)
	raw     map[int32]string // the file's bytes of the few names that were escaped
	modules []string         // modules[0] is "", the core kernel; escaped

	addrs []uint64 // distinct non-zero addresses of all symbols, ascending
	best  []int32  // for each addrs entry, the ID of the symbol to report

	demangled sync.Map // symbol ID -> its name demangled, filled by Demangled
}

// symRec is a Symbol as the table stores it.
type symRec struct {
	addr    uint64
	name    uint32 // offset in Table.names
	module  uint32 // index in Table.modules
	nameLen uint16 // < 4*MaxLineLen, escaped
	typ     byte
}

func (t *Table) name(r *symRec) string { return t.names[r.name : r.name+uint32(r.nameLen)] }

// RawName returns symbol id's name as the file has it, which for a
// name that is not valid UTF-8 differs from Symbol.Name: use it to
// match names against other files or tools, never to write them out.
func (t *Table) RawName(id int32) string {
	if id < 0 || int(id) >= len(t.recs) {
		return ""
	}
	if s, ok := t.raw[id]; ok {
		return s
	}
	return t.name(&t.recs[id])
}

// Bytes is about what the table takes of the heap: its symbols, their
// names and its index.
func (t *Table) Bytes() int64 {
	return int64(cap(t.recs))*int64(unsafe.Sizeof(symRec{})) + int64(len(t.names)) +
		int64(cap(t.addrs))*int64(unsafe.Sizeof(uint64(0))) + int64(cap(t.best))*int64(unsafe.Sizeof(int32(0)))
}

// Len returns the number of symbols, zero-address ones included.
func (t *Table) Len() int { return len(t.recs) }

// Symbol returns the symbol with the given ID, or the zero Symbol if
// there is none.
func (t *Table) Symbol(id int32) Symbol {
	if id < 0 || int(id) >= len(t.recs) {
		return Symbol{}
	}
	r := &t.recs[id]
	return Symbol{Addr: r.addr, Type: r.typ, Name: t.name(r), Module: t.modules[r.module]}
}

// Lookup returns the function that contains pc. It fails when pc is
// below every symbol, when the symbol at or below pc is not text (pc is
// in data, or past the end of the function), or when pc is MaxFuncSize
// or more past it.
func (t *Table) Lookup(pc uint64) (Func, bool) {
	i := t.find(pc)
	if i < 0 {
		return Func{}, false
	}
	id := t.best[i]
	r := &t.recs[id]
	if !isText(r.typ) || pc-r.addr >= MaxFuncSize {
		return Func{}, false
	}
	return t.fn(id, pc), true
}

// fn builds the Func for symbol id containing pc.
func (t *Table) fn(id int32, pc uint64) Func {
	r := &t.recs[id]
	return Func{ID: id, Name: t.name(r), Module: t.modules[r.module], Addr: r.addr, Offset: pc - r.addr}
}

// find returns the index in addrs of the greatest address <= pc, or -1.
func (t *Table) find(pc uint64) int {
	lo, hi := 0, len(t.addrs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.addrs[m] <= pc {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo - 1
}

// Addr returns the address of the core kernel symbol called name (as
// the file spells it, see RawName): the first text symbol of that name,
// else the first symbol of any type. It reads the table through, which
// costs far less than a map of a 200k-symbol table's names: a boot's
// table is asked for one name, _text, by each of its symbolizers.
func (t *Table) Addr(name string) (uint64, bool) {
	found := -1
	for i := range t.recs {
		r := &t.recs[i]
		if r.module != 0 || t.RawName(int32(i)) != name {
			continue
		}
		if isText(r.typ) {
			return r.addr, true
		}
		if found < 0 {
			found = i
		}
	}
	if found < 0 {
		return 0, false
	}
	return t.recs[found].addr, true
}

// Demangled returns the readable name of symbol id: Rust v0 (_R...),
// Rust legacy (_ZN...17h<hash>E, hash dropped) and C++ names demangled
// without parameter types, other names as Symbol.Name gives them. The
// raw name is demangled and the result escaped like Symbol.Name. Names
// are demangled on first use and cached, since a table has ~200k
// symbols and a trace touches a few thousand: in a map, not a slot per
// symbol, which for a boot's table would be a megabyte of pointers for
// the collector to scan.
func (t *Table) Demangled(id int32) string {
	if id < 0 || int(id) >= len(t.recs) {
		return ""
	}
	name := t.RawName(id)
	if !strings.HasPrefix(name, "_R") && !strings.HasPrefix(name, "_Z") {
		return t.name(&t.recs[id])
	}
	if s, ok := t.demangled.Load(id); ok {
		return s.(string)
	}
	s := validName(demangle.Filter(name, demangle.NoParams, demangle.MaxLength(demangleMaxPow)))
	t.demangled.Store(id, s)
	return s
}

// index builds addrs and best. Symbols sharing an address are ranked so
// that the answer is deterministic and matches the kernel's own choice
// where it can: text first, then by rank, then the first listed (the
// kernel's kallsyms lists the preferred alias first). The sort keys are
// held by value, address and preference side by side: comparing through
// the symbols cost a boot's 120,000-symbol kallsyms some 50 ms. A
// kallsyms lists the core kernel in address order, modules after it in
// their own: only what follows the start in address order is sorted,
// then merged, the best symbol of an address kept as it comes.
func (t *Table) index() {
	ordered := 0 // the symbols up to here are in address order
	for last := uint64(0); ordered < len(t.recs); ordered++ {
		if a := t.recs[ordered].addr; a != 0 {
			if a < last {
				break
			}
			last = a
		}
	}
	var tail []indexKey
	for i := ordered; i < len(t.recs); i++ {
		if t.recs[i].addr != 0 {
			tail = append(tail, t.key(i))
		}
	}
	slices.SortFunc(tail, compareKeys)
	n := len(t.recs) - t.ZeroAddrs
	t.addrs = make([]uint64, 0, n)
	t.best = make([]int32, 0, n)
	var bestPref uint32 // of the last address
	for head := 0; ; {
		for head < ordered && t.recs[head].addr == 0 {
			head++
		}
		var k indexKey
		switch {
		case head < ordered && (len(tail) == 0 || t.recs[head].addr <= tail[0].addr):
			k = t.key(head)
			head++
		case len(tail) > 0:
			k, tail = tail[0], tail[1:]
		default:
			return
		}
		if n := len(t.addrs); n > 0 && t.addrs[n-1] == k.addr {
			if k.pref < bestPref {
				bestPref, t.best[n-1] = k.pref, k.id()
			}
			continue
		}
		bestPref = k.pref
		t.addrs = append(t.addrs, k.addr)
		t.best = append(t.best, k.id())
	}
}

// key is symbol i's place in the index.
func (t *Table) key(i int) indexKey {
	r := &t.recs[i]
	return indexKey{r.addr, uint32(rank(r.typ))<<idBits | uint32(i)}
}

func compareKeys(a, b indexKey) int {
	if a.addr != b.addr {
		return cmp.Compare(a.addr, b.addr)
	}
	return cmp.Compare(a.pref, b.pref)
}

// indexKey orders a symbol in the index: by address, then by pref, its
// rank above its ID.
type indexKey struct {
	addr uint64
	pref uint32
}

// id is the symbol's ID, below its rank in pref.
func (k indexKey) id() int32 { return int32(k.pref & (1<<idBits - 1)) }

// idBits holds any symbol ID (below MaxSymbols).
const idBits = 24

const _ = uint(1<<idBits - MaxSymbols) // every ID fits in idBits

// compare orders symbol IDs by address, then by preference, as index
// does; Check holds the index to it.
func (t *Table) compare(a, b int32) int {
	ra, rb := &t.recs[a], &t.recs[b]
	return cmp.Or(cmp.Compare(ra.addr, rb.addr),
		cmp.Compare(rank(ra.typ), rank(rb.typ)),
		cmp.Compare(a, b))
}

// rank orders the types of symbols sharing an address, best first:
// strong functions, local ones, weak ones, then everything else.
func rank(typ byte) int {
	switch typ {
	case 'T':
		return 0
	case 't':
		return 1
	case 'W':
		return 2
	case 'w':
		return 3
	}
	return 4
}

// Check reports whether the table's invariants hold: the index is
// sorted, covers every non-zero symbol, and picks the best symbol at
// each address. Tests and fuzzers call it.
func (t *Table) Check() error {
	if len(t.addrs) != len(t.best) {
		return fmt.Errorf("symbolize: %s: %d addresses but %d symbols indexed", t.Name, len(t.addrs), len(t.best))
	}
	for i, a := range t.addrs {
		id := t.best[i]
		switch {
		case a == 0 || i > 0 && a <= t.addrs[i-1]:
			return fmt.Errorf("symbolize: %s: index not ascending at %d (%#x)", t.Name, i, a)
		case id < 0 || int(id) >= len(t.recs) || t.recs[id].addr != a:
			return fmt.Errorf("symbolize: %s: index entry %d (%#x) names symbol %d", t.Name, i, a, id)
		}
	}
	zero := 0
	for i := range int32(len(t.recs)) {
		if r := &t.recs[i]; int(r.name)+int(r.nameLen) > len(t.names) || int(r.module) >= len(t.modules) {
			return fmt.Errorf("symbolize: %s: symbol %d's name or module out of range", t.Name, i)
		}
		s := t.Symbol(i)
		if validName(s.Name) != s.Name || validName(s.Module) != s.Module || validName(t.RawName(i)) != s.Name {
			return fmt.Errorf("symbolize: %s: symbol %d's name %q or module %q is not its raw name escaped", t.Name, i, s.Name, s.Module)
		}
		if s.Addr == 0 {
			zero++
			continue
		}
		j := t.find(s.Addr)
		if j < 0 || t.addrs[j] != s.Addr {
			return fmt.Errorf("symbolize: %s: symbol %d %s at %#x not indexed", t.Name, i, s.Name, s.Addr)
		}
		if t.compare(i, t.best[j]) < 0 {
			return fmt.Errorf("symbolize: %s: symbol %d %s outranks symbol %d at %#x", t.Name, i, s.Name, t.best[j], s.Addr)
		}
	}
	if zero != t.ZeroAddrs {
		return fmt.Errorf("symbolize: %s: %d zero addresses, ZeroAddrs says %d", t.Name, zero, t.ZeroAddrs)
	}
	return nil
}
