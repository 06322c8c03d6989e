package synth

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
)

const (
	// TextBase is the core kernel's link-time text address (_text).
	TextBase = 0xffffffff81000000
	// ModuleArea is where module text is loaded.
	ModuleArea = 0xffffffffc0000000

	rodataBase = 0xffffffff82000000
	dataBase   = 0xffffffff82800000
	bssBase    = 0xffffffff83000000
	pageSize   = 0x1000
)

// symbol is one symbol table line; for modules, addr is an offset from
// the module's base.
type symbol struct {
	addr   uint64
	typ    byte
	name   string
	percpu bool // absolute per-cpu symbol
}

// layout gives every core symbol its link-time address and every module
// symbol its offset. Functions come in a seeded order, with data symbols
// in some of the gaps between them.
func (k *Kernel) layout(rng *rand.Rand) {
	for _, p := range corePercpu {
		k.core = append(k.core, symbol{addr: p.addr, typ: 'D', name: p.name, percpu: true})
	}
	k.core = append(k.core, symbol{TextBase, 'T', "_text", false}, symbol{TextBase, 'T', "_stext", false},
		symbol{TextBase, 'T', "startup_64", false})
	addr := uint64(TextBase + 0x100)
	gap := 0
	for _, item := range k.textOrder(rng) {
		if item.fid >= 0 {
			f := &k.Funcs[item.fid]
			f.Addr = addr
			k.core = append(k.core, symbol{addr: addr, typ: f.Type, name: f.Name})
			addr += f.Size
		} else {
			k.core = append(k.core, symbol{addr: addr, typ: item.typ, name: item.name})
			if item.pad {
				addr += 0x10 + 0x10*uint64(rng.IntN(4)) // small, so that 200,000 fit below rodata
			} else {
				addr += 0x40 + 0x10*uint64(rng.IntN(16))
			}
		}
		if rng.IntN(4) == 0 {
			if d, ok := gapSymbol(gap); ok {
				k.core = append(k.core, symbol{addr: addr, typ: d.typ, name: d.name})
				addr += 8 * uint64(1+rng.IntN(6))
			}
			gap++
		}
		addr = (addr + 0xf) &^ 0xf
		addr += 0x10 * uint64(rng.IntN(3))
	}
	k.core = append(k.core, symbol{addr, 'T', "_etext", false})
	k.placeData(rng)
	for mi := range k.Modules {
		k.layoutModule(rng, mi)
	}
}

// gapSymbol names the n-th data symbol placed between functions.
func gapSymbol(n int) (dsym, bool) {
	d := coreGapData[n%len(coreGapData)]
	if d.typ >= 'a' {
		return dsym{d.typ, fmt.Sprintf("%s.%d", d.name, n)}, true
	}
	return d, n < len(coreGapData)
}

type textItem struct {
	fid  int // -1 for filler
	typ  byte
	name string
	pad  bool // filler added for Options.Symbols
}

// padding is the filler that brings a kallsyms to about Options.Symbols
// lines, given the text items there are. A text item brings 1.175 lines
// on average: a data symbol follows one in four, and seven in ten of
// those are statics, listed each time (gapSymbol). Names are put
// together from kernel-like words, about as long as a real kernel's;
// one in two is static ('t'), as in a real kallsyms.
func (k *Kernel) padding(items int) []textItem {
	if k.Opts.Symbols == 0 {
		return nil
	}
	lines := len(corePercpu) + 4 + len(coreData) // per-cpu, _text, _stext, startup_64, _etext, data
	for i := range k.Funcs {
		if k.Funcs[i].Module >= 0 {
			lines++
		}
	}
	for _, spec := range moduleSpecs {
		lines += len(spec.filler) + len(spec.data)
	}
	n := int(float64(k.Opts.Symbols-lines)/1.175) - items
	pad := make([]textItem, 0, max(n, 0))
	for i := range n {
		a, b, c := padWords[i%len(padWords)], padWords[(i/len(padWords))%len(padWords)], padObjects[(i/len(padWords)/len(padWords))%len(padObjects)]
		typ := byte('T')
		if i%2 == 1 {
			typ = 't'
		}
		pad = append(pad, textItem{fid: -1, typ: typ, name: fmt.Sprintf("%s_%s_%s_%d", a, b, c, i), pad: true})
	}
	return pad
}

var padWords = []string{"tcp", "xfs", "ext4", "nfs", "blk", "mm", "sched", "irq", "pci", "usb", "drm", "sock", "bpf", "kvm", "crypto", "netlink"}

var padObjects = []string{"init", "alloc_pages", "release", "update_state", "get_entry", "lookup", "submit_bio", "work_fn"}

func (k *Kernel) textOrder(rng *rand.Rand) []textItem {
	var items []textItem
	for i := range k.Funcs {
		if k.Funcs[i].Module < 0 {
			items = append(items, textItem{fid: i})
		}
	}
	for _, s := range coreFiller {
		items = append(items, textItem{fid: -1, typ: s.typ, name: s.name})
	}
	items = append(items, k.padding(len(items))...)
	rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
	return items
}

func (k *Kernel) placeData(rng *rand.Rand) {
	next := map[byte]uint64{'R': rodataBase, 'D': dataBase, 'B': bssBase}
	for _, d := range coreData {
		sec := d.typ &^ 0x20 // upper case: the section
		k.core = append(k.core, symbol{addr: next[sec], typ: d.typ, name: d.name})
		next[sec] += 0x40 * uint64(1+rng.IntN(64))
	}
	sort.SliceStable(k.core, func(i, j int) bool { return k.core[i].addr < k.core[j].addr })
}

// layoutModule places a module's functions and filler in its text and
// its data after it; kallsyms lists a module's symbols in symtab order,
// which is not address order, so they are shuffled.
func (k *Kernel) layoutModule(rng *rand.Rand, mi int) {
	m := &k.Modules[mi]
	spec := moduleSpecs[mi]
	off := uint64(0)
	for i := range k.Funcs {
		if f := &k.Funcs[i]; f.Module == mi {
			f.Addr = off
			m.syms = append(m.syms, symbol{addr: off, typ: f.Type, name: f.Name})
			off = (off + f.Size + 0xf) &^ 0xf
		}
	}
	for _, s := range spec.filler {
		m.syms = append(m.syms, symbol{addr: off, typ: s.typ, name: s.name})
		off += 0x80 + 0x10*uint64(rng.IntN(32))
	}
	m.Text = (off + pageSize - 1) &^ (pageSize - 1)
	doff := m.Text
	for _, s := range spec.data {
		m.syms = append(m.syms, symbol{addr: doff, typ: s.typ, name: s.name})
		doff += 0x40 * uint64(1+rng.IntN(8))
	}
	m.Data = doff - m.Text
	rng.Shuffle(len(m.syms), func(i, j int) { m.syms[i], m.syms[j] = m.syms[j], m.syms[i] })
}

// SystemMap returns the link-time System.map of the core kernel, one
// "%016x %c %s" line per symbol in address order (modules are not in it).
func (k *Kernel) SystemMap() []byte {
	var b strings.Builder
	for _, s := range k.core {
		fmt.Fprintf(&b, "%016x %c %s\n", s.addr, s.typ, s.name)
	}
	return []byte(b.String())
}

// Boot is one boot of the kernel: its KASLR offset and module load
// addresses.
type Boot struct {
	Index int
	k     *Kernel
	kaslr uint64
	base  []uint64 // per module
	order []int    // module load order
	addr  []uint64 // runtime start of every function
}

// Boot returns boot i, deterministic for the kernel's seed: a KASLR
// offset that is a non-zero multiple of 2 MiB below 1 GiB, and random
// module load addresses from ModuleArea. With Options.NoKASLR, the
// offset is 0 and the modules' addresses those of boot 0, in every boot.
func (k *Kernel) Boot(i int) *Boot {
	layout := uint64(i)
	if k.Opts.NoKASLR {
		layout = 0
	}
	rng := rand.New(rand.NewPCG(mix(k.Seed, 0xb007, layout), 1))
	b := &Boot{Index: i, k: k, base: make([]uint64, len(k.Modules))}
	b.kaslr = uint64(1+rng.IntN(511)) << 21
	if k.Opts.NoKASLR {
		b.kaslr = 0
	}
	b.order = rng.Perm(len(k.Modules))
	next := uint64(ModuleArea) + pageSize*uint64(rng.IntN(64))
	for _, mi := range b.order {
		m := &k.Modules[mi]
		b.base[mi] = next
		next += (m.Text + m.Data + pageSize - 1) &^ (pageSize - 1)
		next += pageSize * uint64(1+rng.IntN(16))
	}
	b.addr = make([]uint64, len(k.Funcs))
	for fid := range k.Funcs {
		b.addr[fid] = b.FuncAddr(fid)
	}
	return b
}

// Kernel returns the booted kernel.
func (b *Boot) Kernel() *Kernel { return b.k }

// KASLR returns the boot's kernel base offset.
func (b *Boot) KASLR() uint64 { return b.kaslr }

// ModuleBase returns a module's load address in this boot.
func (b *Boot) ModuleBase(module int) uint64 { return b.base[module] }

// FuncAddr returns a function's runtime start address in this boot.
func (b *Boot) FuncAddr(fid int) uint64 {
	f := &b.k.Funcs[fid]
	if f.Module < 0 {
		return f.Addr + b.kaslr
	}
	return b.base[f.Module] + f.Addr
}

// Kallsyms returns the boot's /proc/kallsyms: core symbols relocated by
// the KASLR offset in address order (per-cpu symbols absolute, type 'A'),
// then each module's symbols, newest module first, "\t[module]" appended.
// hidden gives every address as zero, as kptr_restrict does.
func (b *Boot) Kallsyms(hidden bool) []byte {
	var sb strings.Builder
	line := func(addr uint64, typ byte, name, mod string) {
		if hidden {
			addr = 0
		}
		fmt.Fprintf(&sb, "%016x %c %s", addr, typ, name)
		if mod != "" {
			fmt.Fprintf(&sb, "\t[%s]", mod)
		}
		sb.WriteByte('\n')
	}
	for _, s := range b.k.core {
		if s.percpu {
			line(s.addr, 'A', s.name, "")
		} else {
			line(s.addr+b.kaslr, s.typ, s.name, "")
		}
	}
	for i := len(b.order) - 1; i >= 0; i-- {
		mi := b.order[i]
		for _, s := range b.k.Modules[mi].syms {
			line(b.base[mi]+s.addr, s.typ, s.name, b.k.Modules[mi].Name)
		}
	}
	return []byte(sb.String())
}
