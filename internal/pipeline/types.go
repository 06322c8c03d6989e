package pipeline

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/ingest/source"
	"github.com/kdf-tools/kdf/transform/types"
)

// typeSource is the type source that names a buffer's records, with the
// name the runs table records for it.
type typeSource struct {
	src  *types.Source
	name string
	// warn says what of it could not be used (a module's BTF), for the
	// problems of the runs it names.
	warn string
}

// loadTypesOverride reads the type source given on the command line,
// which names every buffer.
func loadTypesOverride(cfg Config) (*typeSource, error) {
	if cfg.Types == "" {
		return nil, nil
	}
	src, err := types.Load(cfg.Types, cfg.TypesLimits)
	if src == nil {
		return nil, fmt.Errorf("%s: %w", cfg.Types, err)
	}
	ts := &typeSource{src: src, name: cfg.Types}
	if err != nil {
		ts.warn = err.Error()
	}
	return ts, nil
}

// typesCache reads each type source found in the sources once, for all
// workers. kdf record captures the kernel's BTF in every boot
// directory: some megabytes each and more once read, and most often the
// same bytes boot after boot. So a type source is known by the SHA-256
// of its files, and one reading serves every source of the same
// content; the cache keeps the maxReadTypes contents last asked for and
// forgets older ones (one asked for again is read again). A source that
// cannot be read, wholly or a module of it, is read for itself, so that
// its problems name its own files; whether they were reported outlives
// its entry, so that they are reported once.
type typesCache struct {
	mu       sync.Mutex
	sums     map[*source.Types]*typesSum // every type source met: its content
	entries  map[typesKey]*cachedTypes
	recent   recency[typesKey]      // the entries kept
	reported map[*source.Types]bool // sources whose problems are in a commit group already
}

// maxReadTypes is how many read type sources the typesCache keeps. A
// variable for the tests.
var maxReadTypes = 4

// typesKey is what a reading of types is shared by: the content of a
// type source's files, or the source itself.
type typesKey struct {
	sum [sha256.Size]byte
	own *source.Types // set when the reading is this source's alone
}

type typesSum struct {
	once sync.Once
	key  typesKey
}

type cachedTypes struct {
	once    sync.Once
	src     *types.Source
	err     error            // the vmlinux's types cannot be read
	modErrs map[string]error // modules whose BTF cannot be read, by name
}

func (c *typesCache) get(t *source.Types, lim types.Limits) *cachedTypes {
	c.mu.Lock()
	if c.sums == nil {
		c.sums, c.entries, c.reported = map[*source.Types]*typesSum{}, map[typesKey]*cachedTypes{}, map[*source.Types]bool{}
	}
	ts := c.sums[t]
	if ts == nil {
		ts = &typesSum{}
		c.sums[t] = ts
	}
	c.mu.Unlock()
	ts.once.Do(func() { ts.key = contentKey(t) })
	e := c.entry(ts.key, t, lim)
	if (e.err != nil || len(e.modErrs) > 0) && ts.key.own == nil {
		// A problem names files: those of the source that read it.
		e = c.entry(typesKey{own: t}, t, lim)
	}
	return e
}

// entry returns the reading of key, made from t if it is not kept.
func (c *typesCache) entry(key typesKey, t *source.Types, lim types.Limits) *cachedTypes {
	c.mu.Lock()
	e, ok := c.entries[key]
	if ok {
		c.recent.use(key)
	} else {
		e = &cachedTypes{}
		c.entries[key] = e
		if out, full := c.recent.add(key, maxReadTypes); full {
			delete(c.entries, out)
		}
	}
	c.mu.Unlock()
	e.once.Do(func() { e.src, e.err, e.modErrs = readTypes(t, lim) })
	return e
}

// contentKey hashes a type source's files, the vmlinux's then each
// module's by name, each after its name and length; a source whose
// files cannot all be read is its own key.
func contentKey(t *source.Types) typesKey {
	if t.Err != nil || t.Base == nil {
		return typesKey{own: t}
	}
	h := sha256.New()
	var word [8]byte
	add := func(name string, s *source.Snapshot) bool {
		r, size, closeIt, err := s.ReaderAt()
		if err != nil {
			return false
		}
		defer closeIt()
		binary.LittleEndian.PutUint64(word[:], uint64(len(name)))
		h.Write(word[:])
		h.Write([]byte(name))
		binary.LittleEndian.PutUint64(word[:], uint64(size))
		h.Write(word[:])
		n, err := io.Copy(h, io.NewSectionReader(r, 0, size))
		return err == nil && n == size
	}
	if !add("", t.Base) {
		return typesKey{own: t}
	}
	for _, name := range slices.Sorted(maps.Keys(t.Modules)) {
		if !add(name, t.Modules[name]) {
			return typesKey{own: t}
		}
	}
	var k typesKey
	h.Sum(k.sum[:0])
	return k
}

// readTypes reads a vmlinux's types, then each module's BTF on top.
func readTypes(t *source.Types, lim types.Limits) (*types.Source, error, map[string]error) {
	switch {
	case t.Err != nil:
		return nil, t.Err, nil
	case t.Base == nil:
		return nil, errors.New("module BTF without the vmlinux's BTF beside it"), nil
	}
	r, size, closeIt, err := t.Base.ReaderAt()
	if err != nil {
		return nil, err, nil
	}
	src, err := types.Read(r, size, t.Base.String(), lim)
	closeIt()
	if err != nil {
		return nil, err, nil
	}
	modErrs := map[string]error{}
	for _, name := range slices.Sorted(maps.Keys(t.Modules)) {
		if err := addModule(src, name, t.Modules[name]); err != nil {
			modErrs[name] = err
		}
	}
	return src, nil, modErrs
}

func addModule(src *types.Source, name string, s *source.Snapshot) error {
	r, size, closeIt, err := s.ReaderAt()
	if err != nil {
		return err
	}
	defer closeIt()
	data := make([]byte, size)
	if _, err := r.ReadAt(data, 0); err != nil && int64(len(data)) != size {
		return err
	}
	return src.AddModuleBTF(name, data, s.String())
}

// types returns the type source that names a buffer: the command
// line's, or the nearest found beside it. A type file that cannot serve
// is recorded as a reject once, and its buffers are ingested without
// names.
func (wk *worker) types(e *source.Entry) (*typeSource, error) {
	if wk.in.typesOverride != nil {
		return wk.in.typesOverride, nil
	}
	t := e.Types
	if t == nil {
		return nil, nil
	}
	c := wk.in.types.get(t, wk.in.cfg.TypesLimits)
	first := wk.in.types.takeReport(t)
	if c.err != nil {
		if first {
			wk.reportTypes(t, c.err)
		}
		return nil, fmt.Errorf("types %s unusable: %w", t, c.err)
	}
	ts := &typeSource{src: c.src, name: wk.in.sourceName(t.Base.Source) + ":" + t.Base.Path}
	for _, name := range slices.Sorted(maps.Keys(c.modErrs)) {
		s, err := t.Modules[name], c.modErrs[name]
		ts.warn = problems(ts.warn, fmt.Errorf("%s unusable: %w", s, err))
		if first && s.Err == nil { // the walker reported those it found unusable
			wk.reportTypeFile(s, err)
		}
	}
	return ts, nil
}

func (c *typesCache) takeReport(t *source.Types) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	first := !c.reported[t]
	c.reported[t] = true
	return first
}

// judgeHeldTypes reads again the type source of a buffer when the
// dataset holds one of its files as a reject, as types does when the
// buffer is ingested: a rejected type file met again by a walk that
// ingests nothing then stays in the rejects (or leaves them, once
// fixed) instead of going as no longer met. Type sources without a held
// reject are not read for buffers the walk skips. The buffers of a
// directory come one after the other, so each source is judged once
// per run of them.
func (wk *worker) judgeHeldTypes(e *source.Entry) {
	t := e.Types
	if t == nil || t == wk.judged || wk.in.typesOverride != nil || t.Err != nil {
		return
	}
	wk.judged = t
	rejected := func(s *source.Snapshot) bool {
		h, ok := wk.in.held.lookup(keyOf(wk.in.sourceName(s.Source), s.Path))
		return ok && !h.run
	}
	held := t.Base != nil && rejected(t.Base)
	for _, s := range t.Modules {
		held = held || rejected(s)
	}
	if held {
		wk.types(e)
	}
}

// reportTypes puts the problem of a type source's vmlinux file in the
// rejects. A file the walker found unusable (too large, ambiguous) is
// in the rejects already.
func (wk *worker) reportTypes(t *source.Types, err error) {
	if t.Err != nil || t.Base == nil || t.Base.Err != nil {
		return
	}
	wk.reportTypeFile(t.Base, err)
}

func (wk *worker) reportTypeFile(s *source.Snapshot, err error) {
	name := wk.in.sourceName(s.Source)
	k := keyOf(name, s.Path)
	if !wk.in.mine(k) {
		return
	}
	wk.in.noteSeen(k)
	j := &job{entry: &source.Entry{Source: s.Source, Path: s.Path, Size: s.Size}, srcName: name, key: k}
	j.was, j.wasHeld = wk.in.held.lookup(k)
	wk.reject(j, k, "", ingest.ReasonBadTypes, err.Error())
}

func (ts *typeSource) source() *types.Source {
	if ts == nil {
		return nil
	}
	return ts.src
}

func (ts *typeSource) warning() string {
	if ts == nil {
		return ""
	}
	return ts.warn
}

// addNames fills a run's naming columns; it returns why the run's names
// were refused, if they were.
func addNames(r *runRow, ts *typeSource, out *Outcome) string {
	if ts == nil {
		return ""
	}
	r.typeSource = some(ts.name)
	n := out.Names
	if n == nil {
		return ""
	}
	r.protoChecked, r.protoMismatches, r.named = n.checked, n.mismatched, n.names()
	if n.table == nil || r.named {
		return ""
	}
	return fmt.Sprintf("%d of the %d records checked disagree with their prototypes in %s: no names (are these types of another kernel build?)",
		n.mismatched, n.checked, ts.name)
}

// typesArrived reports whether a run held without a type source now has
// one that can be read.
func (wk *worker) typesArrived(h heldInput, e *source.Entry) bool {
	switch {
	case h.typed:
		return false
	case wk.in.typesOverride != nil:
		return true
	case e.Types == nil:
		return false
	}
	return wk.in.types.get(e.Types, wk.in.cfg.TypesLimits).err == nil
}
