package source

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
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
	Source string // the directory or archive read (as given, or as found inside a given directory)
	Path   string // clean slash path inside Source; a single-file source's base name
	// Size, ModTime and Mode are as stat or the tar header says. The
	// walk does not stat a directory's files named as buffers: each
	// would cost a system call, and opening it stats it anyway. There
	// Size is -1, ModTime zero and Mode the type bits alone, and the
	// File that Open returns has them (File.Stat).
	Size    int64
	ModTime time.Time
	Mode    fs.FileMode

	Offset  int64 // offset of the data in the decompressed tar stream; -1 outside archives
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

// openFile opens a file of a source for reading, as a File that holds
// its stat. The walk listed it as a regular file, but it may be anything
// by the time it is opened. A symbolic link put in its place is not
// followed (O_NOFOLLOW) unless follow says so: a file the user named as
// a source is followed, as the walk follows it. Anything but a regular
// file (a fifo, a device) is closed unread. O_NONBLOCK makes opening a
// fifo return at once instead of waiting for a writer; it changes
// nothing for a regular file.
func openFile(src, p, path string, follow bool) (io.ReadCloser, error) {
	flags := unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NONBLOCK
	if !follow {
		flags |= unix.O_NOFOLLOW
	}
	fd, err := unix.Open(path, flags, 0)
	for errors.Is(err, unix.EINTR) {
		fd, err = unix.Open(path, flags, 0)
	}
	switch {
	case errors.Is(err, unix.ELOOP) && !follow:
		return nil, linkProblem(src, p, path)
	case err != nil:
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	f := &File{fd: fd, name: path}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	f.info = fileInfo{name: filepath.Base(path), size: st.Size, mode: fileMode(st.Mode), modTime: time.Unix(st.Mtim.Unix())}
	if !f.info.mode.IsRegular() {
		f.Close()
		return nil, specialProblem(src, p, f.info.mode)
	}
	return f, nil
}

// File is a file of a directory source open for reading: a bare
// descriptor, and its stat as of the open. os.Open registers a file with
// the poller, four system calls (three fcntl and an epoll_ctl), and
// os.NewFile still asks whether it blocks, one more; a regular file
// never blocks, and for a small input each call is a sizable part of
// reading it. A File has no finalizer: it must be closed.
type File struct {
	fd   int
	name string
	info fileInfo
}

// Stat returns the file's stat as of its open.
func (f *File) Stat() (fs.FileInfo, error) { return &f.info, nil }

// fileInfo is a File's stat.
type fileInfo struct {
	name    string
	size    int64
	mode    fs.FileMode
	modTime time.Time
}

func (i *fileInfo) Name() string       { return i.name }
func (i *fileInfo) Size() int64        { return i.size }
func (i *fileInfo) Mode() fs.FileMode  { return i.mode }
func (i *fileInfo) ModTime() time.Time { return i.modTime }
func (i *fileInfo) IsDir() bool        { return i.mode.IsDir() }
func (i *fileInfo) Sys() any           { return nil }

// fileMode converts a stat's st_mode to an fs.FileMode, as os.Lstat does.
func fileMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	}
	if m&unix.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&unix.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
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
