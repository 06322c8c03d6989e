package symbolize

import (
	"errors"
	"fmt"

	"github.com/kdf-tools/kdf/ingest"
)

// PCSpace says which addresses a buffer's PCs are.
type PCSpace uint8

const (
	// RuntimePCs are addresses in the running kernel, KASLR included
	// (layout A).
	RuntimePCs PCSpace = iota
	// LinkTimePCs have the boot's KASLR offset subtracted, module PCs
	// too, as mainline kcov's canonicalize_ip does (layout B).
	LinkTimePCs
)

// PCSpaceOf says which addresses a layout records: layout B strips the
// KASLR offset as mainline kcov does, layout A (and an undetected
// layout) records runtime addresses.
func PCSpaceOf(l ingest.Layout) PCSpace {
	if l == ingest.LayoutB {
		return LinkTimePCs
	}
	return RuntimePCs
}

// Config ties a buffer's PCs to the tables that resolve them.
type Config struct {
	Runtime  *Table // the boot's kallsyms snapshot, or nil
	LinkTime *Table // the kernel's System.map, or nil
	PCs      PCSpace
	// KASLR, if not nil, is the boot's KASLR offset. It replaces the
	// offset the tables give for LinkTimePCs, and the 0 assumed for
	// RuntimePCs with only a System.map. RuntimePCs with kallsyms need
	// no offset and ignore it.
	KASLR *uint64
}

// Stats counts a Symbolizer's lookups.
type Stats struct {
	Resolved   int // lookups that found a function
	Unresolved int // lookups that did not
	CacheHits  int // lookups of either kind answered from the cache
}

// cacheBits sizes the direct-mapped cache: 4096 entries of 16 bytes fit
// in L2 and hold the hot functions of a whole-kernel trace.
const cacheBits = 12

// fibHash is 2^64 divided by the golden ratio: multiplying by it spreads
// PCs, which share their low bits (alignment) and high bits (the kernel's
// base), over all cache slots.
const fibHash = 0x9e3779b97f4a7c15

// cacheEntry remembers one pc. id is 0 for an empty entry, -1 for a pc
// that did not resolve, else the symbol's ID + 1.
type cacheEntry struct {
	pc uint64
	id int32
}

// Symbolizer resolves one buffer's PCs against one boot's tables. The
// same PCs repeat millions of times, so it caches answers. It is meant
// for one goroutine; its Table may be shared.
type Symbolizer struct {
	table   *Table
	delta   uint64 // added (wrapping) to a pc to address table
	offset  uint64
	assumed bool
	stats   Stats
	cache   [1 << cacheBits]cacheEntry
}

// New chooses the table and the pc adjustment for cfg:
//
//	RuntimePCs,  kallsyms:          pc in kallsyms
//	RuntimePCs,  System.map only:   pc - offset in System.map (offset 0 unless given)
//	LinkTimePCs, kallsyms:          pc + offset in kallsyms (offset from _text)
//	LinkTimePCs, System.map only:   pc in System.map (module PCs stay unresolved)
func New(cfg Config) (*Symbolizer, error) {
	s := &Symbolizer{table: cfg.Runtime}
	switch {
	case cfg.Runtime == nil && cfg.LinkTime == nil:
		return nil, errors.New("symbolize: no symbol table: need a kallsyms snapshot or a System.map")
	case cfg.PCs != RuntimePCs && cfg.PCs != LinkTimePCs:
		return nil, fmt.Errorf("symbolize: unknown PCSpace %d", cfg.PCs)
	case cfg.Runtime != nil && cfg.PCs == RuntimePCs:
		// runtime PCs in the runtime table: nothing to adjust
	case cfg.Runtime != nil:
		if err := s.setOffset(cfg); err != nil {
			return nil, err
		}
		s.delta = s.offset
	case cfg.PCs == LinkTimePCs:
		s.table = cfg.LinkTime
	default:
		s.table = cfg.LinkTime
		s.assumed = cfg.KASLR == nil
		if !s.assumed {
			s.offset = *cfg.KASLR
		}
		s.delta = -s.offset
	}
	return s, nil
}

func (s *Symbolizer) setOffset(cfg Config) error {
	if cfg.KASLR != nil {
		s.offset = *cfg.KASLR
		return nil
	}
	var err error
	s.offset, err = KASLROffset(cfg.Runtime, cfg.LinkTime)
	return err
}

// Lookup returns the function containing pc, counting the lookup. The
// Func's ID indexes Table().
func (s *Symbolizer) Lookup(pc uint64) (Func, bool) {
	e := &s.cache[(pc*fibHash)>>(64-cacheBits)]
	if e.id != 0 && e.pc == pc {
		s.stats.CacheHits++
	} else {
		e.pc, e.id = pc, s.resolve(pc)
	}
	if e.id < 0 {
		s.stats.Unresolved++
		return Func{}, false
	}
	s.stats.Resolved++
	return s.table.fn(e.id-1, pc+s.delta), true
}

func (s *Symbolizer) resolve(pc uint64) int32 {
	f, ok := s.table.Lookup(pc + s.delta)
	if !ok {
		return -1
	}
	return f.ID + 1
}

// Table returns the table PCs are resolved in: the kallsyms snapshot
// when there is one, else the System.map.
func (s *Symbolizer) Table() *Table { return s.table }

// Offset returns the KASLR offset applied to PCs, 0 when none is needed.
func (s *Symbolizer) Offset() uint64 { return s.offset }

// OffsetAssumed reports that runtime PCs are resolved in a System.map
// with no KASLR offset known, so 0 was assumed: right only for a boot
// with KASLR off (nokaslr), and worth a warning otherwise.
func (s *Symbolizer) OffsetAssumed() bool { return s.assumed }

// MostlyUnresolved reports whether more than half of a buffer's n pcs
// found no function: then the table likely does not fit the buffer, for
// a reason MissCause names.
func MostlyUnresolved(unresolved, n int64) bool { return 2*unresolved > n }

// MissCause says what most often leaves most of a buffer's pcs
// unresolved with this symbolizer: a kallsyms of another boot (KASLR
// moved every symbol) or taken before the module the pcs are in was
// loaded, a System.map looked up without the boot's KASLR offset, or a
// System.map's lack of modules.
func (s *Symbolizer) MissCause() string {
	switch {
	case s.table.Format == systemMapFormat.name && s.assumed:
		return "looked up with a KASLR offset of 0 assumed, right only for a boot with KASLR off: give the boot's kallsyms, or its offset (--kaslr-offset)"
	case s.table.Format == systemMapFormat.name:
		return "a System.map holds no module: pcs in modules resolve only in the boot's kallsyms"
	}
	return "a kallsyms of another boot or kernel looks like this, or one taken before a module the programs ran was loaded: check that it was taken in the boot that wrote the buffer, after its modules were loaded"
}

// Stats returns the lookup counts so far.
func (s *Symbolizer) Stats() Stats { return s.stats }
