package source

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Kind is what a file is.
type Kind uint8

const (
	KindOther     Kind = iota // anything else; Entry.Reason says why
	KindBuffer                // a raw kcov_dataflow buffer
	KindKallsyms              // a /proc/kallsyms snapshot
	KindSystemMap             // a System.map
	KindManifest              // a manifest.jsonl sidecar
	KindBTF                   // raw BTF of a vmlinux or a module
	KindVmlinux               // an ELF vmlinux, with .BTF or DWARF
)

func (k Kind) String() string {
	switch k {
	case KindBuffer:
		return "buffer"
	case KindKallsyms:
		return "kallsyms"
	case KindSystemMap:
		return "system-map"
	case KindManifest:
		return "manifest"
	case KindBTF:
		return "btf"
	case KindVmlinux:
		return "vmlinux"
	}
	return "other"
}

// Entry is one file of a source, or one problem with it.
//
// An Entry with Err == nil is delivered: it can be read with Open. An
// Entry with Err != nil is reported: Err is an *Error saying what is
// wrong, where and what to do, and Open fails. Every file the walker
// meets produces at least one Entry; a manifest with bad lines produces
// its own delivered Entry plus one reported Entry per bad line.
type Entry struct {
	Source  string      // the directory or archive read (as given, or as found inside a given directory)
	Path    string      // clean slash path inside Source; a single-file source's base name
	Size    int64       // bytes, as stat or the tar header says
	ModTime time.Time   // last modification, as stat or the tar header says
	Mode    fs.FileMode // type bits and permissions
	Offset  int64       // offset of the data in the decompressed tar stream; -1 outside archives
	Kind    Kind
	Reason  string // for KindOther: why it was not recognised (e.g. "nested archive ...")
	Escaped bool   // Path had bytes that are not UTF-8 or are control characters; see escapeName
	Err     error  // non-nil: a reported problem, not a readable file

	// What applies to this file (Source, Path), resolved as documented
	// in the package comment: the nearest kallsyms and System.map (nil
	// if none) and the run attributes from the path and manifests.
	Kallsyms  *Snapshot
	SystemMap *Snapshot
	Attrs     Attrs
	// Types is the nearest type source (see Types), nil if none.
	Types *Types

	open      func() (io.ReadCloser, error)
	streamed  bool
	attrLines []lineAttrs // the manifest lines Attrs came from, shallowest first
}

var errNotReadable = errors.New("entry is a reported problem, not a readable file")

// Open returns the file's content. For a directory member it may be
// called at any time, also after the callback returned and from other
// goroutines. For an archive member that is not a kallsyms or System.map
// (Streamed reports true) the content is the archive stream itself: it
// can be opened once and read only during the callback.
func (e *Entry) Open() (io.ReadCloser, error) {
	if e.Err != nil || e.open == nil {
		return nil, errNotReadable
	}
	return e.open()
}

// Streamed reports whether the content can be read only once and only
// during the callback (archive members other than snapshots).
func (e *Entry) Streamed() bool { return e.streamed }

// Snapshot is a kallsyms, System.map or type file that applies to
// buffers.
// The walker does not parse it; the caller opens it and hands it to the
// symbolize package. A Snapshot pointer is stable for the whole walk of
// its source, so a caller can cache the parsed table by pointer.
type Snapshot struct {
	Source string
	Path   string
	Kind   Kind // KindKallsyms, KindSystemMap, KindBTF or KindVmlinux
	Size   int64
	// Err, when set, says why the snapshot cannot be used (too large,
	// unreadable, ambiguous). Buffers it covers must not be symbolized
	// with some farther snapshot instead: reject them with this reason.
	Err error

	data   []byte // archive members: the content, held in memory
	osPath string // directory files: read from disk when opened
	max    int64  // cap on bytes read from osPath
}

func (s *Snapshot) String() string { return s.Source + ":" + s.Path }

// Open returns the snapshot's content.
func (s *Snapshot) Open() (io.ReadCloser, error) {
	if s.Err != nil {
		return nil, s.Err
	}
	if s.osPath == "" {
		return io.NopCloser(bytes.NewReader(s.data)), nil
	}
	f, err := os.Open(s.osPath)
	if err != nil {
		return nil, err
	}
	return &limitedFile{f: f, r: io.LimitReader(f, s.max)}, nil
}

// limitedFile caps reads of a file that could grow after it was stat'ed.
type limitedFile struct {
	f *os.File
	r io.Reader
}

func (l *limitedFile) Read(p []byte) (int, error) { return l.r.Read(p) }
func (l *limitedFile) Close() error               { return l.f.Close() }

// openFile opens a file of a directory source for reading, as a File.
// O_NONBLOCK changes nothing for a regular file, but a fifo put where
// the walk saw one, between its listing and this open, would otherwise
// hang the worker until something wrote to it: it reads as empty.
func openFile(path string) (io.ReadCloser, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		switch {
		case err == nil:
			return &File{fd: fd, name: path}, nil
		case !errors.Is(err, unix.EINTR):
			return nil, &fs.PathError{Op: "open", Path: path, Err: err}
		}
	}
}

// File is a file of a directory source open for reading: a bare
// descriptor. os.Open registers a file with the poller, four system
// calls (three fcntl and an epoll_ctl), and os.NewFile still asks
// whether it blocks, one more; a regular file never blocks, and for a
// small input each call is a sizable part of reading it. A File has no
// finalizer: it must be closed.
type File struct {
	fd   int
	name string
}

func (f *File) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := unix.Read(f.fd, p)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return 0, &fs.PathError{Op: "read", Path: f.name, Err: err}
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f *File) Close() error {
	if f.fd < 0 {
		return os.ErrClosed
	}
	err := unix.Close(f.fd)
	f.fd = -1
	if err != nil {
		return &fs.PathError{Op: "close", Path: f.name, Err: err}
	}
	return nil
}

// Fd is the descriptor, for mapping the file.
func (f *File) Fd() uintptr { return uintptr(f.fd) }

// Name is the path the file was opened by.
func (f *File) Name() string { return f.name }
