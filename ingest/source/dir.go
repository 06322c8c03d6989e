package source

import (
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/kdf-tools/kdf/ingest"
)

// walkDirSource walks a directory source in one pass. Each directory's
// listing is read whole and sorted, so its metadata files are
// loaded before any of its entries is delivered, whatever their names;
// metadata of ancestors is already loaded. That is all attribution
// needs, so directories, unlike archives, need no second pass.
func (w *walker) walkDirSource(root string) error {
	return w.walkDir(newIndex(root), root, "")
}

func (w *walker) walkDir(ix *index, osDir, rel string) error {
	ls, err := readListing(osDir)
	if err != nil {
		// readListing returns what it could read; report and go on with that.
		perr := problem(ix.source, rel, ingest.ReasonUnreadable, err, "cannot list this directory: its unlisted files are skipped; check its permissions")
		if err := w.report(perr, KindOther); err != nil {
			return err
		}
	}
	w.loadDirMeta(ix, osDir, rel, ls)
	if sc := ix.scopes[rel]; sc != nil && sc.manifest != nil {
		defer sc.manifest.close() // once the directory is walked, or the walk stops inside it
	}
	for k := range ls.len() {
		name, t := ls.entry(k)
		if err := w.dirEntry(ix, osDir, rel, name, t); err != nil {
			return err
		}
	}
	return w.leaveDir(ix, rel)
}

// dirEntry delivers or reports one directory entry. Links are never
// followed: a link can point outside the campaign, or at a file already
// counted, and either would break "every input exactly once".
func (w *walker) dirEntry(ix *index, osDir, rel, osName string, t fs.FileMode) error {
	name, escaped := escapeName(osName)
	p, osPath := joinPath(rel, name), filepath.Join(osDir, osName)
	switch {
	case t.IsDir():
		return w.walkDir(ix, osPath, p)
	case t&fs.ModeSymlink != 0:
		ix.resolve(p) // it exists, so a manifest line naming it is not "unknown"
		return w.report(linkProblem(ix.source, p, osPath), KindOther)
	case !t.IsRegular():
		ix.resolve(p)
		return w.report(specialProblem(ix.source, p, t), KindOther)
	}
	k := classifyName(p, w.opt.BufferSuffixes)
	if k == KindBuffer {
		return w.dirFile(ix, osPath, p, escaped, k, nil) // stat'ed when opened
	}
	info, err := os.Lstat(osPath)
	if err != nil {
		return w.report(problem(ix.source, p, ingest.ReasonUnreadable, err, "cannot stat the file: skipped; check its permissions"), KindOther)
	}
	return w.dirFile(ix, osPath, p, escaped, k, info)
}

// linkProblem is the reject of a symbolic link, met by the walk or put
// in a listed file's place before it was opened: worded alike, so that
// an ingest run again finds the reject it recorded.
func linkProblem(src, p, osPath string) *Error {
	target, _ := os.Readlink(osPath)
	return problem(src, p, ingest.ReasonLink, nil, "symbolic link to %q: not followed; copy the file itself into the campaign", target)
}

// specialProblem is the reject of a fifo, socket or device, met by the
// walk or put in a listed file's place before it was opened.
func specialProblem(src, p string, m fs.FileMode) *Error {
	return problem(src, p, ingest.ReasonSpecial, nil, "%s: not read", specialName(m))
}

// specialName names a file type that is neither a file, a directory
// nor a link.
func specialName(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "fifo"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	}
	return "special file (" + m.Type().String() + ")"
}

// dirFile delivers one regular file, of kind k by its name, or walks it
// as an archive. info is nil for a file named as a buffer, which is not
// stat'ed until opened.
func (w *walker) dirFile(ix *index, osPath, p string, escaped bool, k Kind, info fs.FileInfo) error {
	e := &Entry{
		Source: ix.source, Path: p, Size: -1, Offset: -1,
		Kind: k, Escaped: escaped,
		open: func() (io.ReadCloser, error) { return openFile(ix.source, p, osPath, false) },
	}
	if info != nil {
		e.Size, e.ModTime, e.Mode = info.Size(), info.ModTime(), info.Mode()
	}
	if e.Kind == KindOther {
		head, err := readHead(osPath)
		if err != nil {
			return w.report(problem(ix.source, p, ingest.ReasonUnreadable, err, "cannot read the file: skipped; check its permissions"), KindOther)
		}
		if f, _ := detectFormat(head, p); f == formatTar || f == formatGzip || f == formatZstd {
			return w.walkArchive(osPath, f, childIndex(ix, osPath, p))
		}
		e.Kind, e.Reason = classifyContent(head, p, info.Size())
	}
	var perr *Error
	e.Kallsyms, e.SystemMap, e.Attrs, e.attrLines, perr = ix.resolve(p)
	if perr != nil {
		e.Err = perr
	}
	e.Types = ix.nearestTypes(dirOf(p))
	if mf := ix.meta[p]; mf != nil {
		return w.emitMeta(e, mf)
	}
	return w.emit(e)
}

// childIndex is the index of an archive found at p in a directory
// source: it falls back on the directory's snapshots, and its location
// gives path attributes (boot=3.tar.zst reads as boot=3).
func childIndex(parent *index, osPath, p string) *index {
	ix := newIndex(osPath)
	ix.parent, ix.parentDir = parent, dirOf(p)
	if ix.parentDir != "" {
		ix.prefix = strings.Split(ix.parentDir, "/")
	}
	stem, _ := archiveStem(path.Base(p))
	ix.prefix = append(ix.prefix, stem)
	return ix
}

// loadDirMeta loads the metadata files among one directory's entries.
// Snapshots are only stat'ed (they are read from disk when the caller
// opens them); manifests are read and parsed now.
func (w *walker) loadDirMeta(ix *index, osDir, rel string, ls *listing) {
	for i := range ls.len() {
		osName, t := ls.entry(i)
		name, _ := escapeName(osName)
		p, osPath := joinPath(rel, name), filepath.Join(osDir, osName)
		k := classifyName(p, w.opt.BufferSuffixes)
		switch {
		case t.IsDir() && name == "btf":
			w.loadBTFDir(ix, osPath, p)
			continue
		case !t.IsRegular():
			continue
		case k == KindBTF || k == KindVmlinux:
			w.loadDirTypes(ix, p, osPath, lstatInfo(osPath))
			continue
		case k != KindKallsyms && k != KindSystemMap && k != KindManifest:
			continue
		}
		info, err := os.Lstat(osPath)
		if err != nil {
			ix.meta[p] = &metaFile{err: problem(ix.source, p, ingest.ReasonUnreadable, err, "cannot stat the file: skipped; check its permissions")}
			continue
		}
		if k == KindManifest {
			ix.meta[p] = w.loadDirManifest(ix, osPath, p, info.Size())
			continue
		}
		s := &Snapshot{Source: ix.source, Path: p, Kind: k, Size: info.Size(), osPath: osPath, max: w.opt.MaxMetaBytes}
		if s.Size > w.opt.MaxMetaBytes {
			s.Err = w.tooLarge(ix.source, p, s.Size)
		}
		ix.addSnapshot(s)
		ix.meta[p] = &metaFile{snap: s}
	}
}

func (w *walker) loadDirManifest(ix *index, osPath, p string, size int64) *metaFile {
	if size > w.opt.MaxMetaBytes {
		return &metaFile{err: w.tooLarge(ix.source, p, size)}
	}
	f, err := os.Open(osPath)
	if err != nil {
		return &metaFile{err: problem(ix.source, p, ingest.ReasonUnreadable, err, "cannot read the manifest: its attributes are missing; check its permissions")}
	}
	m, err := parseManifestFile(f, ix.source, p, w.opt) // f is closed when the walk leaves the directory
	if err != nil {
		f.Close()
		return &metaFile{err: problem(ix.source, p, ingest.ReasonUnreadable, err, "cannot read the manifest: its attributes are missing; check the file")}
	}
	ix.addManifest(m)
	return &metaFile{man: m}
}

func (w *walker) tooLarge(src, p string, size int64) *Error {
	return problem(src, p, ingest.ReasonTooLarge, nil,
		"%d bytes, above the %d-byte cap for metadata files: not read, and the buffers it covers get no attribution from it; raise the cap if the file is genuine (kdf ingest --max-meta-bytes, Options.MaxMetaBytes)",
		size, w.opt.MaxMetaBytes)
}

// leaveDir reports the manifest lines of rel that named no file of the
// subtree just walked, and forgets rel's metadata.
func (w *walker) leaveDir(ix *index, rel string) error {
	for p := range ix.meta { // only the ancestors' few metadata files
		if dirOf(p) == rel {
			delete(ix.meta, p)
		}
	}
	sc := ix.scopes[rel]
	delete(ix.scopes, rel)
	if sc == nil || sc.manifest == nil {
		return nil
	}
	return w.reportUnused(sc.manifest, "") // walkDir closes the manifest
}

// reportUnused reports manifest lines that named no file met.
func (w *walker) reportUnused(m *manifest, note string) error {
	unused := m.unused()
	for i, k := range unused {
		line := m.entries[k].line
		perr := problem(m.source, m.path, ingest.ReasonUnknownFile, nil,
			"names file %q, which the source does not contain%s: line unused; add the file or remove the line", m.file(k), note)
		if i == maxManifestProblems {
			perr = problem(m.source, m.path, ingest.ReasonTooManyProblems, nil,
				"%d more lines from line %d on name files the source does not contain%s (the first %d are listed): fix or regenerate the manifest",
				len(unused)-i, line, note, maxManifestProblems)
		}
		perr.Line = line
		if err := w.report(perr, KindManifest); err != nil || i == maxManifestProblems {
			return err
		}
	}
	return nil
}

// emitMeta delivers a metadata file, reported instead if it could not be
// loaded or used, followed by one reported Entry per bad manifest line.
func (w *walker) emitMeta(e *Entry, mf *metaFile) error {
	switch {
	case mf.err != nil:
		e.Err = mf.err
	case mf.snap != nil && mf.snap.Err != nil:
		e.Err = mf.snap.Err
	}
	if err := w.emit(e); err != nil {
		return err
	}
	if mf.man == nil {
		return nil
	}
	for _, p := range mf.man.problems {
		if err := w.report(p, KindManifest); err != nil {
			return err
		}
	}
	return nil
}
