package types

import (
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Limits bound what a type source may cost. Zero values take the
// defaults given with each field.
type Limits struct {
	// MaxBytes caps one BTF blob: a file, or an ELF's .BTF section.
	// Default 256 MiB (a vmlinux's BTF is 5 to 10 MiB).
	MaxBytes int64
	// MaxTypes caps the types of one BTF blob. Default 4,000,000 (a
	// vmlinux has about 150,000).
	MaxTypes int
	// MaxDWARFBytes caps the DWARF sections of a vmlinux, decompressed,
	// all together: they are held in memory while prototypes are read.
	// Default 4 GiB.
	MaxDWARFBytes int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = 256 << 20
	}
	if l.MaxTypes <= 0 {
		l.MaxTypes = 4_000_000
	}
	if l.MaxDWARFBytes <= 0 {
		l.MaxDWARFBytes = 4 << 30
	}
	return l
}

// FormatError is a type source that cannot be read, with the byte
// offset of the problem when there is one.
type FormatError struct {
	File   string
	Offset int64
	Msg    string
}

func (e *FormatError) Error() string {
	if e.Offset > 0 {
		return fmt.Sprintf("types: %s: at byte %d: %s", e.File, e.Offset, e.Msg)
	}
	return fmt.Sprintf("types: %s: %s", e.File, e.Msg)
}

// ErrNoTypes: an ELF file has neither BTF nor DWARF.
var ErrNoTypes = errors.New("no .BTF section and no DWARF")

// finder answers the prototypes of the functions of one name, in one
// kernel image or module.
type finder interface {
	protos(name string) []*Proto
}

// Source is one kernel build's types: its vmlinux's and its modules'.
// Prototypes are read when first asked for and kept; a Source is safe
// for concurrent use.
type Source struct {
	// Name says where the types came from, for messages and the runs
	// table.
	Name string
	// Format is "btf" or "dwarf": how the vmlinux's types were read.
	Format string

	mu      sync.Mutex
	base    finder
	btf     *btfFile // the vmlinux BTF that module BTF splits from
	modules map[string]finder
	cache   map[protoKey]*Proto
	lim     Limits
}

type protoKey struct{ module, fn string }

func newSource(name, format string, base finder, lim Limits) *Source {
	return &Source{Name: name, Format: format, base: base, modules: map[string]finder{},
		cache: map[protoKey]*Proto{}, lim: lim}
}

// ParseBTF reads the raw BTF of a vmlinux, as /sys/kernel/btf/vmlinux
// holds it.
func ParseBTF(data []byte, name string, lim Limits) (*Source, error) {
	f, err := parseBTF(data, name, nil, lim)
	if err != nil {
		return nil, err
	}
	s := newSource(name, "btf", newBTFConv(f), lim)
	s.btf = f
	return s, nil
}

// AddModuleBTF adds a module's split BTF, as /sys/kernel/btf/MODULE
// holds it, on top of the vmlinux BTF. A Source read from DWARF takes
// no module BTF: its type IDs are not those the module's BTF refers to.
func (s *Source) AddModuleBTF(module string, data []byte, name string) error {
	if s.btf == nil {
		return &FormatError{File: name, Msg: "module BTF needs the vmlinux's BTF, and the types of " + s.Name + " are " + s.Format}
	}
	f, err := parseBTF(data, name, s.btf, s.lim)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.modules[module] = newBTFConv(f)
	return nil
}

// Modules reports how many modules have types.
func (s *Source) Modules() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.modules)
}

// Proto returns the prototype of function fn of module ("" for the
// core kernel), or nil when the source does not know it or knows
// several different ones by that name (static functions of one name in
// several files). A symbol's compiler suffix (.isra.0, .constprop.0,
// .part.0, .cold) is tried without it.
func (s *Source) Proto(module, fn string) *Proto {
	if s == nil {
		return nil
	}
	k := protoKey{module, fn}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.cache[k]; ok {
		return p
	}
	p := s.find(module, fn)
	s.cache[k] = p
	return p
}

func (s *Source) find(module, fn string) *Proto {
	f := s.base
	if module != "" {
		if f = s.modules[module]; f == nil {
			return nil
		}
	}
	ps := f.protos(fn)
	if len(ps) == 0 {
		if i := strings.IndexByte(fn, '.'); i > 0 {
			ps = f.protos(fn[:i])
		}
	}
	if len(ps) == 0 {
		return nil
	}
	for _, p := range ps[1:] {
		if p.String() != ps[0].String() {
			return nil
		}
	}
	p := ps[0]
	p.Func, p.Module = fn, module
	return p
}
