package source

import (
	"bytes"
	"io"
	"os"
	"path"
	"strings"

	"github.com/kdf-tools/kdf/ingest"
)

// Types is a kernel build's type source as a campaign holds it, in one
// directory: the vmlinux's types and its modules' BTF. The walker does
// not read it; the caller opens the snapshots and hands them to the
// transform/types package. A Types pointer is stable for the whole walk
// of its source, so a caller can cache what it read by pointer.
type Types struct {
	Source string
	Dir    string // the directory it applies to and below, "" for the source's root
	// Base is the vmlinux's types: raw BTF (btf/vmlinux, vmlinux.btf)
	// or an ELF vmlinux with .BTF or DWARF (vmlinux). Raw BTF wins over
	// an ELF vmlinux in the same directory.
	Base *Snapshot
	// Modules are the modules' split BTF (btf/MODULE, MODULE.btf), by
	// module name.
	Modules map[string]*Snapshot
	// Err, when set, says why the types cannot be used (two raw BTF
	// files for the vmlinux, too large, not read): the buffers they
	// cover get no names, never those of a farther type source.
	Err error
}

func (t *Types) String() string { return t.Source + ":" + joinPath(t.Dir, "") }

// typesFile says whether p is a type source's file, and which: the
// vmlinux's raw BTF or ELF, or the module whose BTF it is.
//
//	btf/vmlinux, vmlinux.btf   KindBTF, the vmlinux's
//	btf/MODULE, MODULE.btf     KindBTF, MODULE's (split BTF)
//	vmlinux                    KindVmlinux
func typesFile(p string) (k Kind, module string) {
	base, dir := path.Base(p), path.Base(dirOf(p))
	switch {
	case dir == "btf" && dirOf(p) != "" || base == "vmlinux.btf":
		module = strings.TrimSuffix(base, ".btf")
		if module == "vmlinux" {
			module = ""
		}
		return KindBTF, module
	case strings.HasSuffix(base, ".btf") && len(base) > len(".btf"):
		return KindBTF, strings.TrimSuffix(base, ".btf")
	case base == "vmlinux":
		return KindVmlinux, ""
	}
	return KindOther, ""
}

// typesDir is the directory a type file applies to: its own, or the one
// above a btf/ directory.
func typesDir(p string) string {
	d := dirOf(p)
	if d != "" && path.Base(d) == "btf" {
		return dirOf(d)
	}
	return d
}

// addTypes installs a type file in the Types of its directory.
func (ix *index) addTypes(s *Snapshot, module string) {
	sc := ix.scope(typesDir(s.Path))
	t := sc.types
	if t == nil {
		t = &Types{Source: ix.source, Dir: typesDir(s.Path), Modules: map[string]*Snapshot{}}
		sc.types = t
	}
	switch {
	case module != "":
		if old := t.Modules[module]; old != nil && old.Path != s.Path {
			s.Err = cmpErrs(s.Err, problem(s.Source, s.Path, ingest.ReasonAmbiguous, nil,
				"module %s has two BTF files, %q and %q: neither is used; keep one", module, old.Path, s.Path))
			old.Err = cmpErrs(old.Err, s.Err)
		}
		t.Modules[module] = s
	case t.Base == nil, t.Base.Path == s.Path:
		t.Base = s
	case t.Base.Kind == KindVmlinux && s.Kind == KindBTF:
		t.Base = s // raw BTF wins over an ELF vmlinux
	case t.Base.Kind == KindBTF && s.Kind == KindVmlinux:
	default:
		t.Err = problem(s.Source, s.Path, ingest.ReasonAmbiguous, nil,
			"the vmlinux's BTF is both %q and %q: neither is used for the buffers they cover; keep one", t.Base.Path, s.Path)
	}
}

func cmpErrs(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// nearestTypes is the type source of the nearest directory from dir up
// that has a vmlinux's types, then on into the directory source an
// archive was found in.
func (ix *index) nearestTypes(dir string) *Types {
	if ix.lostTypes != nil {
		return ix.lostTypes
	}
	for d := dir; ; d = dirOf(d) {
		if sc := ix.scopes[d]; sc != nil && sc.types != nil && (sc.types.Base != nil || sc.types.Err != nil) {
			return sc.types
		}
		if d == "" {
			break
		}
	}
	if ix.parent != nil {
		return ix.parent.nearestTypes(ix.parentDir)
	}
	return nil
}

// loadBTFDir loads the files of a btf/ directory met among a
// directory's entries, so that they apply to the buffers delivered
// before the walk goes down into it.
func (w *walker) loadBTFDir(ix *index, osDir, rel string) {
	ents, err := os.ReadDir(osDir)
	if err != nil {
		return // reported when the walk lists it
	}
	for _, de := range ents {
		name, _ := escapeName(de.Name())
		if de.Type().IsRegular() {
			w.loadDirTypes(ix, joinPath(rel, name), osDir+string(os.PathSeparator)+de.Name(), de)
		}
	}
}

// loadDirTypes stats one type file of a directory source; it is read
// from disk when the caller opens it.
func (w *walker) loadDirTypes(ix *index, p, osPath string, de interface{ Info() (os.FileInfo, error) }) {
	if ix.meta[p] != nil {
		return
	}
	k, module := typesFile(p)
	info, err := de.Info()
	if err != nil {
		ix.meta[p] = &metaFile{err: problem(ix.source, p, ingest.ReasonUnreadable, err, "cannot stat the file: skipped; check its permissions")}
		return
	}
	s := &Snapshot{Source: ix.source, Path: p, Kind: k, Size: info.Size(), osPath: osPath, max: w.typesCap(k)}
	if s.Size > s.max {
		s.Err = w.tooLargeTypes(ix.source, p, s.Size, k)
	}
	ix.addTypes(s, module)
	ix.meta[p] = &metaFile{snap: s}
}

// typesCap is the size cap of a type file: MaxMetaBytes for BTF,
// MaxVmlinuxBytes for an ELF vmlinux.
func (w *walker) typesCap(k Kind) int64 {
	if k == KindVmlinux {
		return w.opt.MaxVmlinuxBytes
	}
	return w.opt.MaxMetaBytes
}

func (w *walker) tooLargeTypes(src, p string, size int64, k Kind) *Error {
	if k != KindVmlinux {
		return w.tooLarge(src, p, size)
	}
	return problem(src, p, ingest.ReasonTooLarge, nil,
		"%d bytes, above the %d-byte cap for a vmlinux: not read, and the buffers it covers get no names from it; raise the cap if the file is genuine (kdf ingest --max-vmlinux-bytes, Options.MaxVmlinuxBytes)",
		size, w.opt.MaxVmlinuxBytes)
}

// ReaderAt returns the snapshot's content for random access, as an ELF
// reader wants it, and its size; close releases it.
func (s *Snapshot) ReaderAt() (r io.ReaderAt, size int64, close func() error, err error) {
	if s.Err != nil {
		return nil, 0, nil, s.Err
	}
	if s.osPath == "" {
		return bytes.NewReader(s.data), int64(len(s.data)), func() error { return nil }, nil
	}
	f, err := os.Open(s.osPath)
	if err != nil {
		return nil, 0, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, nil, err
	}
	size = min(fi.Size(), s.max)
	return io.NewSectionReader(f, 0, size), size, f.Close, nil
}
