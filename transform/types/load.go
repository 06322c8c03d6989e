package types

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// IsBTF reports whether data starts like raw BTF.
func IsBTF(data []byte) bool {
	return len(data) >= 4 && binary.LittleEndian.Uint16(data) == btfMagic
}

// IsELF reports whether data starts like an ELF file.
func IsELF(data []byte) bool { return bytes.HasPrefix(data, []byte(elf.ELFMAG)) }

// Read reads a vmlinux's types from r, of size bytes: raw BTF, or an
// ELF vmlinux with a .BTF section (preferred) or DWARF.
func Read(r io.ReaderAt, size int64, name string, lim Limits) (*Source, error) {
	lim = lim.withDefaults()
	head := make([]byte, 4)
	if _, err := r.ReadAt(head, 0); err != nil {
		return nil, &FormatError{File: name, Msg: fmt.Sprintf("reading: %v", err)}
	}
	switch {
	case IsBTF(head):
		data, err := readCapped(r, size, name, lim.MaxBytes)
		if err != nil {
			return nil, err
		}
		return ParseBTF(data, name, lim)
	case IsELF(head):
		return ReadELF(r, name, lim)
	}
	return nil, &FormatError{File: name, Msg: "neither raw BTF (magic 0xEB9F) nor an ELF file"}
}

// readCapped reads size bytes of r, refusing more than max.
func readCapped(r io.ReaderAt, size int64, name string, max int64) ([]byte, error) {
	if size > max {
		return nil, &FormatError{File: name, Msg: fmt.Sprintf("%d bytes, above the %d-byte cap for BTF", size, max)}
	}
	data := make([]byte, size)
	n, err := r.ReadAt(data, 0)
	if err != nil && !(errors.Is(err, io.EOF) && int64(n) == size) {
		return nil, &FormatError{File: name, Msg: fmt.Sprintf("reading: %v", err)}
	}
	return data, nil
}

// ReadELF reads the types of an ELF vmlinux: its .BTF section when it
// has one, its DWARF otherwise.
func ReadELF(r io.ReaderAt, name string, lim Limits) (*Source, error) {
	lim = lim.withDefaults()
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, &FormatError{File: name, Msg: fmt.Sprintf("not a readable ELF file: %v", err)}
	}
	if sec := f.Section(".BTF"); sec != nil && sec.Type != elf.SHT_NOBITS {
		if sec.Size > uint64(lim.MaxBytes) {
			return nil, &FormatError{File: name, Msg: fmt.Sprintf(".BTF section of %d bytes, above the %d-byte cap", sec.Size, lim.MaxBytes)}
		}
		data, err := sec.Data()
		if err != nil {
			return nil, &FormatError{File: name, Msg: fmt.Sprintf("reading .BTF: %v", err)}
		}
		return ParseBTF(data, name, lim)
	}
	return readDWARF(f, name, lim)
}

// Load reads the types at path: a raw BTF file, an ELF vmlinux, or a
// directory laid out as /sys/kernel/btf is (vmlinux, and one split BTF
// file per module).
func Load(path string, lim Limits) (*Source, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return LoadDir(path, lim)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, fi.Size(), path, lim)
}

// LoadDir reads a directory laid out as /sys/kernel/btf: the vmlinux's
// BTF in vmlinux, each module's split BTF in a file of the module's
// name. A module file that cannot be read is skipped; the error names
// it, with the source still usable.
func LoadDir(dir string, lim Limits) (*Source, error) {
	lim = lim.withDefaults()
	base := filepath.Join(dir, "vmlinux")
	s, err := Load(base, lim)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return s, err
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	var errs []error
	for _, e := range ents {
		if e.Name() == "vmlinux" || !e.Type().IsRegular() {
			continue
		}
		if err := s.loadModule(filepath.Join(dir, e.Name()), e.Name(), lim); err != nil {
			errs = append(errs, err)
		}
	}
	return s, errors.Join(errs...)
}

func (s *Source) loadModule(path, module string, lim Limits) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	data, err := readCapped(f, fi.Size(), path, lim.MaxBytes)
	if err != nil {
		return err
	}
	return s.AddModuleBTF(module, data, path)
}
