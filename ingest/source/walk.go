package source

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/kdf-tools/kdf/ingest"
)

// DefaultBufferSuffixes are the names that make a file a raw buffer
// whatever its content.
var DefaultBufferSuffixes = []string{".kcdf", ".kcov", ".bin", ".raw"}

// Options bound what the walker reads and holds. Zero values take the
// defaults given with each field.
type Options struct {
	// BufferSuffixes make a file a raw buffer by name. Default
	// DefaultBufferSuffixes.
	BufferSuffixes []string
	// MaxMetaBytes caps each kallsyms, System.map, manifest.jsonl and
	// BTF file. Larger ones are reported (too_large), not read. Default
	// 64 MiB.
	MaxMetaBytes int64
	// MaxVmlinuxBytes caps an ELF vmlinux read for its types. Default 2
	// GiB (a vmlinux with DWARF is some hundreds of MiB). An archive
	// holds it in memory between its passes, within MaxMetaTotal.
	MaxVmlinuxBytes int64
	// MaxMetaTotal caps the metadata of one archive held in memory
	// between its two passes (each file counted as at least 512 bytes).
	// Default 1 GiB.
	MaxMetaTotal int64
	// MaxMemberBytes caps the declared size of one archive member; a
	// larger one is reported (too_large) and skipped. A buffer is at most
	// 128 MiB. Default 256 MiB. Walk does not stat a directory's buffer
	// files; an ingest applies the same cap to them when it opens them
	// (MemberCap).
	MaxMemberBytes int64
	// MaxArchiveBytes caps the decompressed bytes of one compressed
	// archive per pass; beyond it the rest of the archive is reported
	// (decompression_limit) and skipped. It bounds the time a
	// decompression bomb can take. Default 256 GiB.
	MaxArchiveBytes int64
	// MaxWindowBytes caps the zstd window, hence the decoder's memory.
	// Default 128 MiB (zstd --long=27).
	MaxWindowBytes int64

	// Manifest lines and attributes are bounded so that a hostile line
	// costs a scan, not memory, and cannot put megabytes into every run
	// it describes. A genuine line is a few hundred bytes: ten or twenty
	// keys, labels, numbers, at most a syzkaller program of a few KiB.
	//
	// MaxManifestLine caps one line; a longer one is reported
	// (manifest_too_large) and skipped without being held. Default 64
	// KiB: sixteen values at their cap.
	MaxManifestLine int64
	// MaxAttrValue caps one value; a longer one is reported
	// (attribute_too_large) and dropped. Default 4 KiB. Keys are capped
	// at MaxAttrKey.
	MaxAttrValue int64
	// MaxAttrs caps the keys of one line; a line with more is reported
	// (manifest_too_large) and skipped. Default 256.
	MaxAttrs int

	// Counts, when set, is filled as the walk goes, so that a caller of
	// a pipeline built on Walk can tell what the walk found.
	Counts *Counts
	// ArchiveRead, when set, counts the bytes of the archive files the
	// walk reads, as it reads them: half of the way each pass gets
	// through the file, then the rest of the file's size when the
	// archive is done, so that each archive counts its size once. A
	// compressed archive's members, counted by their own sizes, say
	// little of how far through its file an ingest is.
	ArchiveRead *atomic.Int64
}

// Counts are what a walk delivered. Walk writes them from its own
// goroutine; read them once it has returned.
type Counts struct {
	// Buffers are the buffers delivered (not the reported problems).
	Buffers int64
	// WithSnapshot are the buffers a kallsyms or System.map applies to,
	// usable or not: zero means the campaign came without symbols.
	WithSnapshot int64
}

func (c *Counts) add(e *Entry) {
	if c == nil || e.Err != nil || e.Kind != KindBuffer {
		return
	}
	c.Buffers++
	if e.Kallsyms != nil || e.SystemMap != nil {
		c.WithSnapshot++
	}
}

// MemberCap is MaxMemberBytes, or its default when it is unset.
func (o Options) MemberCap() int64 { return o.withDefaults().MaxMemberBytes }

func (o Options) withDefaults() Options {
	if o.BufferSuffixes == nil {
		o.BufferSuffixes = DefaultBufferSuffixes
	}
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxMetaBytes, 64<<20)
	def(&o.MaxVmlinuxBytes, 2<<30)
	def(&o.MaxMetaTotal, 1<<30)
	def(&o.MaxMemberBytes, 256<<20)
	def(&o.MaxArchiveBytes, 256<<30)
	def(&o.MaxWindowBytes, 128<<20)
	def(&o.MaxManifestLine, 64<<10)
	def(&o.MaxAttrValue, 4<<10)
	if o.MaxAttrs <= 0 {
		o.MaxAttrs = 256
	}
	return o
}

// Walk visits every file of every source, in order: sources as given,
// directories in lexical order, archive members in archive order. It
// calls fn once per file and once per problem (see Entry). A source may
// be a directory, a tar, tar.gz or tar.zst archive (recognised by magic
// bytes, or by name for a plain tar without magic), or any other single
// file. Archives met inside a directory source are walked as sources of
// their own, in their place in the directory order.
//
// Walk returns only fn's error or the context's; every problem with the
// inputs is delivered to fn instead.
func Walk(ctx context.Context, sources []string, opt Options, fn func(*Entry) error) error {
	w := &walker{ctx: ctx, opt: opt.withDefaults(), fn: fn}
	defer w.decoders.close()
	for _, src := range sources {
		if err := w.source(src); err != nil {
			return err
		}
	}
	return nil
}

type walker struct {
	ctx      context.Context
	opt      Options
	fn       func(*Entry) error
	emitted  int64      // entries delivered or reported so far
	meter    *readMeter // the archive being walked, when Options.ArchiveRead is set
	decoders decoders   // reused from one archive to the next
}

func (w *walker) emit(e *Entry) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	w.emitted++
	w.opt.Counts.add(e)
	return w.fn(e)
}

// report delivers a problem as an Entry of kind k.
func (w *walker) report(err *Error, k Kind) error {
	return w.emit(&Entry{Source: err.Source, Path: err.Path, Offset: err.Offset, Kind: k, Err: err})
}

// source dispatches on what src is. The source itself is followed if it
// is a symbolic link (the user named it); nothing inside it is.
func (w *walker) source(src string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return w.report(problem(src, "", ingest.ReasonUnreadable, err, "cannot open the source: check the path and permissions"), KindOther)
	}
	if fi.IsDir() {
		return w.walkDirSource(src)
	}
	if !fi.Mode().IsRegular() {
		return w.report(problem(src, "", ingest.ReasonSpecial, nil, "the source is a %s, not a file or directory: not read; give a file or directory", specialName(fi.Mode())), KindOther)
	}
	head, err := readHead(src)
	if err != nil {
		return w.report(problem(src, "", ingest.ReasonUnreadable, err, "cannot read the source: check its permissions"), KindOther)
	}
	if f, _ := detectFormat(head, src); f == formatTar || f == formatGzip || f == formatZstd {
		return w.walkArchive(src, f, newIndex(src))
	}
	return w.singleFile(src, fi, head)
}

// singleFile delivers a source that is one plain file. It has no
// directory around it inside a source, so nothing is attributed to it:
// give its directory instead to have its snapshots and manifest apply.
func (w *walker) singleFile(src string, fi os.FileInfo, head []byte) error {
	p, escaped := escapeName(filepath.Base(src))
	e := &Entry{
		Source: src, Path: p, Size: fi.Size(), ModTime: fi.ModTime(), Mode: fi.Mode(), Offset: -1,
		Kind: classifyName(p, w.opt.BufferSuffixes), Escaped: escaped, Attrs: Attrs{},
		open: func() (io.ReadCloser, error) { return openFile(src, p, src, true) },
	}
	if e.Kind == KindOther {
		e.Kind, e.Reason = classifyContent(head, p, fi.Size())
	}
	return w.emit(e)
}

// readHead reads the first headSize bytes of a file (fewer if shorter).
func readHead(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, headSize)
	n, err := io.ReadFull(f, head)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	return head[:n], err
}
