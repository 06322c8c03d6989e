package seedsession

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/kdf-tools/kdf/ingest"
)

// What the printed trees do not show, from the test modules' sources:
// the size of each argument and return value, and struct arguments'
// fields (the tree printed only the first).
var (
	argSizes = map[string][]uint8{
		"ffi_alloc_buf": {8, 8, 8, 4},
		"vprintk_emit":  {4, 4, 8},
		"file_close_fd": {4},
		"fdget_pos":     {4},
		"fdget":         {4},
	}
	retSizes = map[string]uint8{
		"ffi_alloc_buf": 4, "ffi_check_result": 4, "vprintk_emit": 4,
		"vprintk_default": 4, "vprintk": 4, "_printk": 4, "__debugfs_file_get": 4,
	}
	structArgs = map[string][]uint64{
		"df_func_struct":   {0xaaaa, 0xbbbb}, // struct pair {x, y}
		"rdf_func_struct":  {0xaaaa, 0xbbbb},
		"ffi_check_result": {0, 0, 0, 0}, // struct ffi_alloc, buffer NULL
	}
)

const argPtrBase = 0xffffc90000a3fe00 // where scalars are read from

// encode writes the calls as a layout-A buffer, exactly as the kernel
// writer lays them out, and returns it with the number of records that
// fall in [from, to) of the calls.
func encode(calls []call, syms *symbols, from, to int) ([]byte, int) {
	words := []uint64{0}
	seq, window := uint32(0), 0
	add := func(kind ingest.Kind, pc uint64, arg, size uint8, vals []uint64) {
		seq++
		ptr := argPtrBase + uint64(arg)*8
		words = append(words, ingest.HeaderA(kind, uint64(len(vals)), seq), pc, ingest.MetaA(arg, size, ptr))
		words = append(words, vals...)
	}
	for i, c := range calls {
		pc := syms.addr(c.name, c.module)
		first := 0
		if i == from && !c.ret {
			// The window cut this call's first arguments.
			first = syms.arity[c.name] - len(c.values)
		}
		if c.ret {
			add(ingest.KindRet, pc, 0, size(retSizes, c.name), c.values)
		} else {
			for j, v := range c.values {
				idx := first + j
				vals := []uint64{v}
				if f, ok := structArgs[c.name]; ok && idx == 0 {
					vals = f
				}
				add(ingest.KindEntry, pc, uint8(idx), argSize(c.name, idx), vals)
			}
		}
		if i >= from && i < to {
			window += records(c)
		}
	}
	words[0] = uint64(len(words) - 1)
	b := make([]byte, 8*len(words))
	for i, w := range words {
		binary.LittleEndian.PutUint64(b[8*i:], w)
	}
	return b, window
}

func records(c call) int {
	if c.ret {
		return 1
	}
	return len(c.values)
}

func argSize(name string, idx int) uint8 {
	if s, ok := argSizes[name]; ok && idx < len(s) {
		return s[idx]
	}
	return 8
}

func size(m map[string]uint8, name string) uint8 {
	if s, ok := m[name]; ok {
		return s
	}
	return 8
}

// symbols places every function of a session in one boot's address
// space: core functions after _text at the boot's KASLR base, with data
// symbols in between, module functions at the module's load address.
type symbols struct {
	order []string // "module\x00name", in order of first appearance
	arity map[string]int
}

const (
	kaslrText  = 0xffffffff8e000000 // this boot's _text
	moduleBase = 0xffffffffc0a00000
)

func newSymbols(calls []call) *symbols {
	s := &symbols{arity: map[string]int{}}
	for _, c := range calls {
		key := c.module + "\x00" + c.name
		if !slices.Contains(s.order, key) {
			s.order = append(s.order, key)
		}
		if !c.ret {
			s.arity[c.name] = max(s.arity[c.name], len(c.values))
		}
	}
	// The cut vfs_write had four arguments (file, buf, count, pos).
	s.arity["vfs_write"] = max(s.arity["vfs_write"], 4)
	s.arity["ksys_write"] = max(s.arity["ksys_write"], 3)
	return s
}

func (s *symbols) addr(name, module string) uint64 {
	i := slices.Index(s.order, module+"\x00"+name)
	if module == "" {
		return kaslrText + 0x100000 + uint64(i)*0x400
	}
	return moduleBase + uint64(i)*0x100
}

// kallsyms renders the snapshot, sorted by address as the kernel
// prints it.
func (s *symbols) kallsyms() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%016x T _text\n", uint64(kaslrText))
	fmt.Fprintf(&b, "%016x T _stext\n", uint64(kaslrText)+0x1000)
	for _, key := range s.order {
		module, name, _ := strings.Cut(key, "\x00")
		if module != "" {
			continue
		}
		a := s.addr(name, module)
		fmt.Fprintf(&b, "%016x T %s\n", a, name)
		fmt.Fprintf(&b, "%016x d __%s_data\n", a+0x200, name) // data must not capture pcs
	}
	fmt.Fprintf(&b, "%016x T _etext\n", uint64(kaslrText)+0x1000000)
	for _, key := range s.order {
		module, name, _ := strings.Cut(key, "\x00")
		if module == "" {
			continue
		}
		fmt.Fprintf(&b, "%016x t %s\t[%s]\n", s.addr(name, module), name, module)
	}
	return []byte(b.String())
}
