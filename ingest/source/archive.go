package source

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// An archive is read in two passes, each a fresh decompression.
//
// Pass 1 (scan) reads every header and only the metadata members
// (kallsyms, System.map, manifest.jsonl; each capped), holding them in
// memory; it also finds where the archive is damaged, if it is, and
// reads a compressed archive to its end, where the checksum is. Pass 2
// delivers every member in archive order with the complete metadata
// already known. Two passes, rather than asking archives to put metadata
// before buffers, because tar preserves whatever order the producer's
// readdir gave: a kallsyms after its buffers is ordinary, not hostile.
// The second decompression is the price.

// scan is what pass 1 learned.
type scan struct {
	meta map[int]*metaFile // member index -> loaded metadata
	// stop is the damage that ended pass 1, nil if the archive ended
	// cleanly. When stopMember >= 0 the damage lies in that member's data,
	// so pass 2 reports the member instead of delivering it.
	stop       *Error
	stopMember int
	// failed is set when the decompressed stream failed its checksum:
	// no member of the archive can be trusted, so none is delivered.
	failed *Error
}

// walkArchive walks one archive as a source of its own.
func (w *walker) walkArchive(src string, f format, ix *index) error {
	before := w.emitted
	if w.opt.ArchiveRead != nil {
		w.meter = &readMeter{sum: w.opt.ArchiveRead}
		defer func() { w.meter.done(src); w.meter = nil }()
	}
	sc := w.scanArchive(src, f, ix)
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if sc.failed != nil {
		return w.report(sc.failed, KindOther)
	}
	done, err := w.deliverArchive(src, f, ix, sc)
	if err != nil {
		return err
	}
	if done && w.emitted == before {
		return w.report(problem(src, "", ingest.ReasonEmptyArchive, nil,
			"the %s archive holds no files: nothing was ingested from it; if it should hold buffers, copy it again", f), KindOther)
	}
	note := ""
	if !done || sc.stop != nil {
		note = " (the archive could not be read to its end, so the file may be in the unread part)"
	}
	dirs := slices.Sorted(maps.Keys(ix.scopes))
	for _, d := range dirs {
		if m := ix.scopes[d].manifest; m != nil {
			if err := w.reportUnused(m, note); err != nil {
				return err
			}
		}
	}
	return nil
}

// memberPos is where a member's data lies in the tar stream.
type memberPos struct {
	index     int
	name      string
	off, size int64
}

func (w *walker) scanArchive(src string, f format, ix *index) *scan {
	sc := &scan{meta: map[int]*metaFile{}, stopMember: -1}
	s, err := w.openStream(src, f)
	if err != nil {
		sc.stop = problem(src, "", ingest.ReasonCorrupt, err, "cannot open the archive: nothing in it was read; check its permissions, or copy it again")
		return sc
	}
	defer s.Close()
	var prev *memberPos
	for i := 0; w.ctx.Err() == nil; i++ {
		hdr, err := next(s.tr)
		if err == io.EOF {
			sc.failed = checksumFailed(src, s, checkEnd(s))
			return sc
		}
		if err == nil {
			prev = &memberPos{index: i, name: hdr.Name, off: s.offset(), size: hdr.Size}
			err = w.scanMember(ix, s, hdr, i, sc)
		}
		if err != nil {
			if sc.failed = checksumFailed(src, s, err); sc.failed == nil {
				sc.stop, sc.stopMember = w.damage(src, s, err, prev)
			}
			return sc
		}
	}
	return sc
}

// trailerMax bounds what pass 1 reads after the tar's end-of-archive
// blocks: the padding to tar's record size (10 KiB by default), before
// the compressed stream's own end.
const trailerMax = 4 << 20

// checkEnd reads a compressed archive past the tar's end, so that the
// decompressor reaches its trailer and checks the checksum of all it
// produced: gzip's CRC-32, zstd's content checksum when the frame has
// one. Corruption the decompressor cannot see otherwise (a flipped byte
// among gzip's literals decodes to other bytes) shows only there, and
// the tar reader stops at the end-of-archive blocks, before it.
func checkEnd(s *stream) error {
	if s.dec == nil {
		return nil
	}
	_, err := io.CopyN(io.Discard, s.data, trailerMax)
	return err
}

// checksumFailed returns the archive's problem when err is its
// decompressor's checksum failing, nil otherwise. The checksum covers
// all the data before it, so no member can be trusted, and the archive
// is rejected as a whole. Other damage after the last member spares the
// members: checkEnd's other errors are not reported.
func checksumFailed(src string, s *stream, err error) *Error {
	if !errors.Is(err, gzip.ErrChecksum) && !errors.Is(err, zstd.ErrCRCMismatch) {
		return nil
	}
	return problem(src, "", ingest.ReasonCorrupt, err,
		"the %s stream fails its checksum, at %s: some member's data is corrupt, and the format cannot tell which, so nothing in the archive was ingested; copy the archive again (or, to take the members as they decompress, decompress it to a plain tar and ingest that)", s.format, s.where())
}

// scanMember loads one member if it is a usable metadata file. It
// returns an error only when the stream itself failed.
func (w *walker) scanMember(ix *index, s *stream, hdr *tar.Header, i int, sc *scan) error {
	k, p := w.metaKind(hdr)
	if k == KindOther {
		return nil
	}
	// Every metadata member costs at least a tar block, so a flood of
	// tiny ones cannot grow the index past MaxMetaTotal either.
	if ix.held+512 > w.opt.MaxMetaTotal {
		ix.lose(k, w.opt.MaxMetaTotal)
		return nil // pass 2 finds no metaFile and reports the member
	}
	ix.held += 512
	mf := &metaFile{}
	sc.meta[i] = mf
	switch {
	case (k == KindBTF || k == KindVmlinux) && hdr.Size > w.typesCap(k):
		mf.err = w.tooLargeTypes(ix.source, p, hdr.Size, k)
	case k != KindBTF && k != KindVmlinux && hdr.Size > w.opt.MaxMetaBytes:
		mf.err = w.tooLarge(ix.source, p, hdr.Size)
	case ix.held+hdr.Size > w.opt.MaxMetaTotal:
		ix.lose(k, w.opt.MaxMetaTotal)
		mf.err = ix.lost(k, p)
	default:
		if err := w.load(ix, s, hdr.Size, k, p, mf); err != nil {
			return err
		}
	}
	w.install(ix, mf, k, p, hdr.Size)
	return nil
}

// load reads a metadata member: a snapshot into memory, a manifest
// parsed as it streams by, so that only its usable lines are held.
func (w *walker) load(ix *index, s *stream, size int64, k Kind, p string, mf *metaFile) error {
	r := &memberReader{r: s.tr, left: size}
	if k != KindManifest {
		var err error
		mf.data, err = io.ReadAll(r)
		ix.held += int64(len(mf.data))
		return err
	}
	m, err := parseManifest(r, ix.source, p, w.opt)
	if err != nil {
		return err
	}
	mf.man = m
	ix.held += m.held
	return nil
}

// memberReader reads the size bytes of the current member. Like the tar
// reader's own skipping, it takes a member whose bytes all arrived as
// whole even if the stream broke right after them: that damage is
// reported where it lies, after the member.
type memberReader struct {
	r    io.Reader
	left int64
}

func (m *memberReader) Read(p []byte) (int, error) {
	if m.left <= 0 {
		return 0, io.EOF
	}
	n, err := m.r.Read(p[:min(int64(len(p)), m.left)])
	m.left -= int64(n)
	if m.left <= 0 {
		err = nil
	}
	return n, err
}

// metaKind says whether a member is a metadata file pass 1 must load,
// and its clean path.
func (w *walker) metaKind(hdr *tar.Header) (Kind, string) {
	if !regular(hdr.Typeflag) || hdr.Size > w.opt.MaxMemberBytes {
		return KindOther, ""
	}
	p, r, _ := cleanMember(hdr.Name)
	if r != "" {
		return KindOther, ""
	}
	p, _ = escapeName(p)
	switch k := classifyName(p, w.opt.BufferSuffixes); k {
	case KindKallsyms, KindSystemMap, KindManifest, KindBTF, KindVmlinux:
		return k, p
	}
	return KindOther, ""
}

func regular(t byte) bool { return t == tar.TypeReg || t == tar.TypeGNUSparse || t == tar.TypeCont }

// next is tar.Reader.Next without GODEBUG=tarinsecurepath=0's refusal
// of non-local names: cleanMember judges names, uniformly.
func next(tr *tar.Reader) (*tar.Header, error) {
	hdr, err := tr.Next()
	if hdr != nil && errors.Is(err, tar.ErrInsecurePath) {
		err = nil
	}
	return hdr, err
}

// install records a loaded (or failed) metadata member in the index.
func (w *walker) install(ix *index, mf *metaFile, k Kind, p string, size int64) {
	if k == KindManifest {
		if mf.man != nil {
			if old := ix.addManifest(mf.man); old != nil {
				old.replaced = problem(ix.source, p, ingest.ReasonReplaced, nil,
					"a later archive member of the same name replaces this manifest")
			}
		}
		return
	}
	mf.snap = &Snapshot{Source: ix.source, Path: p, Kind: k, Size: size, data: mf.data}
	if mf.err != nil {
		mf.snap.Err, mf.err = mf.err, nil // the snapshot blocks farther ones
	}
	if k == KindBTF || k == KindVmlinux {
		_, module := typesFile(p)
		ix.addTypes(mf.snap, module)
		return
	}
	ix.addSnapshot(mf.snap)
}

// damage turns a stream error into a positioned problem. The failure
// lies in prev's data when the stream stopped before prev's declared
// end; then prev is the member to report. Otherwise it lies between
// members (a header) and concerns the archive as a whole.
func (w *walker) damage(src string, s *stream, err error, prev *memberPos) (*Error, int) {
	in := prev != nil && s.offset() < prev.off+prev.size
	var perr *Error
	switch {
	case errors.Is(err, errLimit):
		perr = problem(src, "", ingest.ReasonLimit, err,
			"the archive decompresses to more than %d bytes, at %s: the rest is skipped; raise the cap if the archive is genuine (kdf ingest --max-archive-bytes, Options.MaxArchiveBytes)",
			w.opt.MaxArchiveBytes, s.where())
	case errors.Is(err, zstd.ErrWindowSizeExceeded):
		perr = problem(src, "", ingest.ReasonLimit, err,
			"the zstd stream needs a window above %d bytes, at %s: the rest is skipped; recompress with a smaller --long or raise the cap (kdf ingest --max-zstd-window, Options.MaxWindowBytes)",
			w.opt.MaxWindowBytes, s.where())
	case prev == nil && (errors.Is(err, tar.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF)):
		perr = problem(src, "", ingest.ReasonCorrupt, err, "not a tar archive (read as %s): nothing in it was read; kdf reads tar, tar.gz and tar.zst: re-create it with tar", s.format)
	case errors.Is(err, io.ErrUnexpectedEOF) && in:
		perr = problem(src, "", ingest.ReasonTruncated, err,
			"member declares %d bytes of data at offset %d but the archive ends at %s: this member and the rest are skipped, the members before it were read; copy the archive again",
			prev.size, prev.off, s.where())
	case errors.Is(err, io.ErrUnexpectedEOF):
		perr = problem(src, "", ingest.ReasonTruncated, err,
			"the archive ends inside a tar header at %s: the members before it were read; copy the archive again", s.where())
	case errors.Is(err, tar.ErrHeader):
		perr = problem(src, "", ingest.ReasonCorrupt, err, "invalid tar header at %s: the rest is skipped, the members before it were read; copy the archive again", s.where())
	default:
		perr = problem(src, "", ingest.ReasonCorrupt, err, "the %s stream is damaged at %s: the rest is skipped, the members before it were read; copy the archive again", s.format, s.where())
	}
	perr.Offset = s.end()
	if !in {
		return perr, -1
	}
	perr.Path, _ = escapeName(prev.name)
	perr.Offset = prev.off
	return perr, prev.index
}

// deliverArchive is pass 2. done reports whether the archive was read
// to its end.
func (w *walker) deliverArchive(src string, f format, ix *index, sc *scan) (done bool, err error) {
	s, oerr := w.openStream(src, f)
	if oerr != nil {
		if sc.stop == nil {
			sc.stop = problem(src, "", ingest.ReasonCorrupt, oerr, "cannot open the archive: nothing in it was read; check its permissions, or copy it again")
		}
		return false, w.report(sc.stop, KindOther)
	}
	defer s.Close()
	var prev *memberPos
	for i := 0; ; i++ {
		hdr, err := next(s.tr)
		if err == io.EOF && sc.stop == nil {
			return true, nil
		}
		if err != nil || i == sc.stopMember {
			perr := sc.stop
			if perr == nil { // the archive changed since pass 1
				perr, _ = w.damage(src, s, err, prev)
			}
			return false, w.report(perr, KindOther)
		}
		prev = &memberPos{index: i, name: hdr.Name, off: s.offset(), size: hdr.Size}
		if err := w.member(ix, s, hdr, sc.meta[i]); err != nil {
			if errors.Is(err, errStop) {
				return false, nil
			}
			return false, err
		}
	}
}

// errStop ends pass 2 after a member that could not be read.
var errStop = errors.New("stop")

// member delivers or reports one member in pass 2.
func (w *walker) member(ix *index, s *stream, hdr *tar.Header, mf *metaFile) error {
	name, escaped := escapeName(hdr.Name)
	reject := func(r ingest.Reason, format string, args ...any) error {
		perr := problem(ix.source, name, r, nil, format, args...)
		perr.Offset = s.offset()
		return w.report(perr, KindOther)
	}
	if hdr.Typeflag == tar.TypeDir || hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil // not files: nothing to deliver or lose
	}
	p, r, msg := cleanMember(hdr.Name)
	if r != "" {
		return reject(r, "%s", msg)
	}
	name, _ = escapeName(p)
	e := &Entry{Source: ix.source, Path: name, Size: hdr.Size, ModTime: hdr.ModTime, Mode: hdr.FileInfo().Mode(), Offset: s.offset(), Escaped: escaped}
	// resolve also marks the manifest lines naming it as met; an
	// archive's manifests are held parsed, so no line is read again.
	e.Kallsyms, e.SystemMap, e.Attrs, e.attrLines, _ = ix.resolve(name)
	e.Types = ix.nearestTypes(dirOf(name))
	if r, msg := unreadableType(hdr); r != "" {
		return reject(r, "%s", msg)
	}
	if hdr.Size > w.opt.MaxMemberBytes {
		return reject(ingest.ReasonTooLarge, "declares %d bytes, above the %d-byte cap for one member (Options.MaxMemberBytes): skipped, as a buffer is at most 128 MiB and a snapshot or manifest at most Options.MaxMetaBytes",
			hdr.Size, w.opt.MaxMemberBytes)
	}
	e.Kind = classifyName(name, w.opt.BufferSuffixes)
	switch {
	case mf != nil:
		return w.emitArchiveMeta(s, e, mf)
	case e.Kind == KindKallsyms || e.Kind == KindSystemMap || e.Kind == KindManifest || e.Kind == KindBTF || e.Kind == KindVmlinux:
		e.Err = ix.lost(e.Kind, name) // pass 1 had no room for it
		return w.emit(e)
	}
	return w.emitStreamed(s, e)
}

// unreadableType says why a member of hdr's type is not read, if it is
// not: only regular files are.
func unreadableType(hdr *tar.Header) (ingest.Reason, string) {
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeGNUSparse, tar.TypeCont:
		return "", ""
	case tar.TypeSymlink:
		return ingest.ReasonLink, fmt.Sprintf("symbolic link to %q: not followed; store the file itself in the archive", hdr.Linkname)
	case tar.TypeLink:
		return ingest.ReasonLink, fmt.Sprintf("hard link to %q: not followed; store the file itself in the archive (tar --hard-dereference)", hdr.Linkname)
	case tar.TypeChar:
		return ingest.ReasonSpecial, "character device entry: not read"
	case tar.TypeBlock:
		return ingest.ReasonSpecial, "block device entry: not read"
	case tar.TypeFifo:
		return ingest.ReasonSpecial, "fifo entry: not read"
	}
	return ingest.ReasonUnsupported, fmt.Sprintf("tar entry type %q: not read; store it as a regular file if it should be", hdr.Typeflag)
}

// emitArchiveMeta delivers a metadata member: a snapshot from the
// bytes pass 1 held, a manifest, of which pass 1 held only the parsed
// lines, from the stream.
func (w *walker) emitArchiveMeta(s *stream, e *Entry, mf *metaFile) error {
	if e.Kind == KindManifest {
		defer w.streamFrom(s, e, nil)()
	} else {
		data := mf.data
		e.open = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	}
	if mf.man != nil && mf.man.replaced != nil {
		e.Err = mf.man.replaced
		return w.emit(e) // its lines no longer apply: do not report them
	}
	return w.emitMeta(e, mf)
}

// emitStreamed delivers a member whose content stays in the archive
// stream. Its first bytes are read to recognise it when its name does
// not, and replayed to the caller.
func (w *walker) emitStreamed(s *stream, e *Entry) error {
	var head []byte
	if e.Kind == KindOther {
		head = make([]byte, min(e.Size, headSize))
		if _, err := io.ReadFull(s.tr, head); err != nil {
			// Pass 1 read past it, so the archive changed under us.
			perr := problem(e.Source, e.Path, ingest.ReasonUnreadable, err, "cannot read the member (did the archive change while it was read?): it and the rest are skipped; ingest the archive again once it is complete")
			perr.Offset = e.Offset
			if err := w.report(perr, KindOther); err != nil {
				return err
			}
			return errStop
		}
		e.Kind, e.Reason = classifyContent(head, e.Path, e.Size)
	}
	end := w.streamFrom(s, e, head)
	err := w.emit(e)
	end()
	return err
}

// streamFrom makes e readable from the archive stream, head (its first
// bytes, read already) first, until the returned function is called.
func (w *walker) streamFrom(s *stream, e *Entry, head []byte) (end func()) {
	live, opened := true, false
	e.streamed = true
	e.open = func() (io.ReadCloser, error) {
		switch {
		case !live:
			return nil, errStale
		case opened:
			return nil, errors.New("archive member opened twice: a streamed entry can be read once")
		}
		opened = true
		return io.NopCloser(&liveReader{r: io.MultiReader(bytes.NewReader(head), s.tr), live: &live, left: e.Size}), nil
	}
	return func() { live = false }
}
