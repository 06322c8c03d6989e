package source

import (
	"slices"
	"strings"

	"github.com/kdf-tools/kdf/ingest"
)

// index is what the walker knows about one source's metadata: the
// snapshots and manifests of each directory. It is the resolver: given a
// path inside the source it answers which snapshots and which attributes
// apply (resolve).
//
// A directory source fills it as the walk descends and empties a
// directory's part when the walk leaves it, so only the metadata of the
// current directory's ancestors is held. An archive source fills it in a
// first pass over the whole archive, because tar members arrive in
// archive order and a kallsyms may follow the buffers it covers.
type index struct {
	source string
	scopes map[string]*scope    // directory inside the source -> its metadata
	meta   map[string]*metaFile // directory sources: metadata file path -> what was loaded
	held   int64                // metadata bytes held in memory (archives): snapshots, manifests' kept lines

	// An archive found inside a directory source resolves, after its own
	// metadata, against the directory it lies in, and its location there
	// (directories and the archive's stem, e.g. boot=3 for
	// boot=3.tar.zst) contributes key=value path segments.
	parent    *index
	parentDir string
	prefix    []string

	// Set when an archive's metadata exceeded Options.MaxMetaTotal and
	// some kallsyms or System.map was not read: every buffer of the
	// archive then resolves to this unusable snapshot, since the one not
	// read might have been its nearest.
	lostKallsyms, lostSystemMap *Snapshot
	lostTypes                   *Types
}

// scope is one directory's metadata.
type scope struct {
	kallsyms  *Snapshot
	systemMap *Snapshot
	manifest  *manifest
	types     *Types
}

// metaFile is what loading one metadata file produced, kept until the
// file itself is delivered.
type metaFile struct {
	snap *Snapshot
	man  *manifest
	err  *Error // the file could not be loaded
	data []byte // archive snapshots: the content, held between the passes
}

func newIndex(src string) *index {
	return &index{
		source: src,
		scopes: map[string]*scope{},
		meta:   map[string]*metaFile{},
	}
}

func (ix *index) scope(dir string) *scope {
	sc := ix.scopes[dir]
	if sc == nil {
		sc = &scope{}
		ix.scopes[dir] = sc
	}
	return sc
}

// addSnapshot installs s as its directory's kallsyms or System.map. A
// later file of the same path replaces the earlier one (tar semantics);
// two different files of the same kind in one directory make the
// directory's snapshot ambiguous, and both are marked unusable rather
// than one picked arbitrarily.
func (ix *index) addSnapshot(s *Snapshot) {
	sc := ix.scope(dirOf(s.Path))
	slot := &sc.kallsyms
	if s.Kind == KindSystemMap {
		slot = &sc.systemMap
	}
	old := *slot
	switch {
	case old == nil:
		*slot = s
	case old.Path == s.Path:
		if reasonOf(old.Err) == ingest.ReasonAmbiguous && s.Err == nil {
			e := *old.Err.(*Error) // the directory stays ambiguous
			s.Err = &e
		}
		old.Err = problem(old.Source, old.Path, ingest.ReasonReplaced, nil,
			"a later archive member of the same name replaces this one")
		*slot = s
	default:
		msg := "%s snapshots %q and %q share one directory: neither is used for the buffers they cover; keep one per directory"
		for _, x := range []*Snapshot{old, s} {
			if x.Err == nil || reasonOf(x.Err) == ingest.ReasonAmbiguous {
				x.Err = problem(x.Source, x.Path, ingest.ReasonAmbiguous, nil, msg, s.Kind, old.Path, s.Path)
			}
		}
	}
}

// reasonOf is the Reason of an *Error, or "" for anything else.
func reasonOf(err error) ingest.Reason {
	if e, ok := err.(*Error); ok {
		return e.Reason
	}
	return ""
}

// addManifest installs m for its directory, replacing an earlier
// manifest of the same path (a duplicate archive member).
func (ix *index) addManifest(m *manifest) (replaced *manifest) {
	sc := ix.scope(m.dir)
	replaced, sc.manifest = sc.manifest, m
	return replaced
}

// resolve answers for the file at p: the nearest kallsyms and System.map
// (each looked up independently, deepest directory first) and the run
// attributes: path segments first, then manifests from the shallowest to
// the deepest, so a manifest value overrides a path value and a nearer
// manifest overrides a farther one. It marks the manifest lines naming p
// as used, and returns what each gave (shallowest first) so that a bad
// value can be traced to its line. err is set when a manifest line could
// not be read again (see lineAttrs): p's attributes are then unknown.
func (ix *index) resolve(p string) (ks, sm *Snapshot, a Attrs, from []lineAttrs, err *Error) {
	ks, sm = ix.nearest(dirOf(p))
	a = Attrs{}
	pathAttrs(a, ix.prefix)
	if d := dirOf(p); d != "" {
		pathAttrs(a, strings.Split(d, "/"))
	}
	type line struct {
		m *manifest
		i int
	}
	var deepest [8]line
	lines := deepest[:0] // the lines naming p, deepest manifest first
	for d := dirOf(p); ; d = dirOf(d) {
		if sc := ix.scopes[d]; sc != nil && sc.manifest != nil {
			rel := p
			if d != "" {
				rel = p[len(d)+1:]
			}
			if i, ok := sc.manifest.byFile.lookup(sc.manifest, rel); ok {
				lines = append(lines, line{sc.manifest, i})
			}
		}
		if d == "" {
			break
		}
	}
	for _, l := range slices.Backward(lines) {
		l.m.entries[l.i].used = true
		la, rerr := l.m.lineAttrs(l.i)
		if rerr != nil {
			err = problem(ix.source, p, ingest.ReasonChanged, rerr,
				"its line %d in %s could not be read again (the manifest changed or was removed while the walk read it): its attributes are unknown, so it is skipped; ingest again",
				la.line, l.m.path)
			continue
		}
		for k, v := range la.attrs {
			a[k] = v
		}
		from = append(from, la)
	}
	return ks, sm, a, from, err
}

// nearest walks from dir up to the source root, then on into the
// directory source an archive was found in.
func (ix *index) nearest(dir string) (ks, sm *Snapshot) {
	ks, sm = ix.lostKallsyms, ix.lostSystemMap
	for d := dir; ; d = dirOf(d) {
		if sc := ix.scopes[d]; sc != nil {
			ks = first(ks, sc.kallsyms)
			sm = first(sm, sc.systemMap)
		}
		if d == "" {
			break
		}
	}
	if ix.parent != nil && (ks == nil || sm == nil) {
		pks, psm := ix.parent.nearest(ix.parentDir)
		ks, sm = first(ks, pks), first(sm, psm)
	}
	return ks, sm
}

func first(a, b *Snapshot) *Snapshot {
	if a != nil {
		return a
	}
	return b
}

// lose records that a metadata file of kind k was not read for lack of
// room (see lostKallsyms).
func (ix *index) lose(k Kind, budget int64) {
	slot := &ix.lostKallsyms
	switch k {
	case KindSystemMap:
		slot = &ix.lostSystemMap
	case KindManifest:
		return // its lines are lost; the member itself is reported
	case KindBTF, KindVmlinux:
		if ix.lostTypes == nil {
			ix.lostTypes = &Types{Source: ix.source, Err: problem(ix.source, "", ingest.ReasonTooLarge, nil,
				"the archive's metadata files exceed %d bytes in all, so some type files were not read and no buffer of this archive can be tied to one; split the archive or raise the cap (kdf ingest --max-archive-meta, Options.MaxMetaTotal)",
				budget)}
		}
		return
	}
	if *slot == nil {
		*slot = &Snapshot{Source: ix.source, Kind: k, Err: problem(ix.source, "", ingest.ReasonTooLarge, nil,
			"the archive's metadata files exceed %d bytes in all, so some %s snapshots were not read and no buffer of this archive can be tied to one; split the archive or raise the cap (kdf ingest --max-archive-meta, Options.MaxMetaTotal)",
			budget, k)}
	}
}

// lost is the problem reported for a metadata member not read.
func (ix *index) lost(k Kind, p string) *Error {
	return problem(ix.source, p, ingest.ReasonTooLarge, nil,
		"%s not read: the archive's metadata files exceed their cap in all; split the archive or raise the cap (kdf ingest --max-archive-meta, Options.MaxMetaTotal)", k)
}

// unused returns the entries of m whose lines named no file met in
// the source.
func (m *manifest) unused() []int {
	var out []int
	for i, e := range m.entries {
		if !e.used {
			out = append(out, i)
		}
	}
	return out
}

// dirOf is path.Dir with "" for the source root.
func dirOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

func joinPath(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

func depth(dir string) int {
	if dir == "" {
		return 0
	}
	return strings.Count(dir, "/") + 1
}
