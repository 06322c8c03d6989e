package pipeline

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"weak"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/ingest/source"
	"github.com/kdf-tools/kdf/transform/symbolize"
)

// tables are the symbol tables that apply to a buffer, with the names
// the runs table records for them.
type tables struct {
	runtime, linkTime    *symbolize.Table
	runtimeName, mapName string
	kaslr                *uint64
	// warn says what the tables skipped (lines that do not parse), for
	// the problems of the runs they symbolize.
	warn string
}

// badLines describes the lines of a table that were skipped, or "".
func badLines(name string, t *symbolize.Table) string {
	if t == nil || t.BadLines == 0 || t.FirstBad == nil {
		return ""
	}
	return fmt.Sprintf("%s: %d lines of %s skipped as unparsable, the first at line %d: %s",
		name, t.BadLines, t.Format, t.FirstBad.Line, t.FirstBad.Msg)
}

// loadOverrides parses the tables given on the command line, which
// apply to every buffer.
func loadOverrides(cfg Config) (*tables, error) {
	if cfg.Kallsyms == "" && cfg.SystemMap == "" {
		return nil, nil
	}
	t := &tables{kaslr: cfg.KASLR, runtimeName: cfg.Kallsyms, mapName: cfg.SystemMap}
	var err error
	if t.runtime, err = symbolize.LoadKallsyms(cfg.Kallsyms); err != nil {
		return nil, err
	}
	if t.linkTime, err = symbolize.LoadSystemMap(cfg.SystemMap); err != nil {
		return nil, err
	}
	t.warn = problems(badLines(cfg.Kallsyms, t.runtime), badLines(cfg.SystemMap, t.linkTime))
	return t, nil
}

// symbolCache parses each snapshot found in the sources once, for all
// workers. A campaign has a kallsyms per boot, thousands of them, a
// real one 120,000 to 200,000 lines: some 20-30 ms to parse and
// megabytes to hold. Without KASLR (syzkaller's recommended
// configuration) they are the same bytes boot after boot, so a snapshot
// is known by the SHA-256 of its content, and one parsed table serves
// every snapshot of the same content. With KASLR, a boot's is parsed
// against the last one parsed (guide). The cache keeps the
// maxParsedTables tables last asked for and forgets older ones, which
// the walk, going directory by directory, has left behind (one asked
// for again is parsed again). A snapshot that cannot serve, or whose
// table has a problem to report (lines skipped, no _text), is parsed
// for itself, so that its problem names its own file; one that cannot
// serve is kept without a table, so that its problem is reported once.
type symbolCache struct {
	parsed      func(*symbolize.Table) // told of each table parsed, when set
	prefetching atomic.Bool            // a snapshot is being parsed ahead of the workers
	mu          sync.Mutex
	sums        map[*source.Snapshot]*snapshotSum // every snapshot met: its content
	entries     map[symbolKey]*cachedTable
	recent      recency[symbolKey] // the parsed tables kept
	// guide is the last kallsyms parsed: with KASLR, the next boot's is
	// most likely its symbols at other addresses
	// (symbolize.ParseKallsymsBytesLike). Weak: it keeps no table.
	guide weak.Pointer[symbolize.Table]
	// bufs hold snapshots being read: a boot's kallsyms is some
	// megabytes, read once per boot. Not a sync.Pool, which every
	// collection empties: under the heap limit, several run per boot.
	// The ingest's own, so that what it keeps goes with it.
	bufs bufferList
}

// maxParsedTables is how many parsed tables the symbolCache keeps: the
// snapshots of the boot directories being ingested (the walk goes
// directory by directory, so the workers are on one or two boots at a
// time), and those shared by many (an arm's, a campaign's), asked for
// with every input. A real kallsyms takes some 10 MB parsed. A
// variable for the tests.
var maxParsedTables = 4

// symbolKey is what a parsed table is shared by: the kind and content of
// a snapshot, or the snapshot itself.
type symbolKey struct {
	kind source.Kind
	sum  [sha256.Size]byte
	own  *source.Snapshot // set when the table is this snapshot's alone
}

type snapshotSum struct {
	once sync.Once
	key  symbolKey
}

type cachedTable struct {
	from     *source.Snapshot // the snapshot it was parsed from
	once     sync.Once
	table    *symbolize.Table
	err      error
	reported bool // its problem is in a commit group already
}

// table returns the snapshot's parsed table; the error says why it
// cannot serve (hidden addresses, unreadable, too large).
func (c *symbolCache) table(s *source.Snapshot) (*cachedTable, error) {
	c.mu.Lock()
	if c.sums == nil {
		c.sums, c.entries = map[*source.Snapshot]*snapshotSum{}, map[symbolKey]*cachedTable{}
	}
	ss := c.sums[s]
	if ss == nil {
		ss = &snapshotSum{}
		c.sums[s] = ss
	}
	c.mu.Unlock()
	// The bytes hashed are the bytes parsed, when this call makes the
	// table: a file changed in between cannot give its content's key
	// another content's table.
	var read *bytes.Buffer
	ss.once.Do(func() { ss.key, read = c.snapshotKey(s) })
	if read != nil {
		defer c.bufs.give(read)
	}
	c.mu.Lock()
	key := ss.key
	c.mu.Unlock()
	if key.own == nil {
		e := c.entry(key, s, read)
		if e.err == nil && clean(e.table) {
			return e, nil
		}
		c.unshare(key, s, e)
	}
	e := c.entry(symbolKey{own: s}, s, nil)
	return e, e.err
}

// prefetch starts parsing, on a goroutine of wg, a snapshot of an
// input the walk has just met and no worker has asked for: the jobs
// queued ahead of it give the parse time to finish before a worker
// needs it, instead of every worker that reaches a new boot waiting on
// one parse, some 20 ms for a real kallsyms. One parse runs ahead at a
// time; a snapshot met while one does is left to the workers.
func (c *symbolCache) prefetch(e *source.Entry, wg *sync.WaitGroup) {
	for _, s := range [...]*source.Snapshot{e.Kallsyms, e.SystemMap} {
		if s == nil || c.met(s) || !c.prefetching.CompareAndSwap(false, true) {
			continue
		}
		wg.Go(func() {
			defer c.prefetching.Store(false)
			c.table(s)
		})
	}
}

// met reports whether s was asked for.
func (c *symbolCache) met(s *source.Snapshot) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.sums[s]
	return ok
}

// entry returns the table of key, parsed from s if it is not kept:
// from read, its content, when given.
func (c *symbolCache) entry(key symbolKey, s *source.Snapshot, read *bytes.Buffer) *cachedTable {
	c.mu.Lock()
	e, ok := c.entries[key]
	if !ok {
		e = &cachedTable{from: s}
		c.entries[key] = e
	}
	c.recent.use(key)
	c.mu.Unlock()
	e.once.Do(func() {
		e.table, e.err = c.parseSnapshot(s, read, c.lastKallsyms())
		if e.err == nil {
			if s.Kind == source.KindKallsyms {
				c.mu.Lock()
				c.guide = weak.Make(e.table)
				c.mu.Unlock()
			}
			c.keep(key)
			if c.parsed != nil {
				c.parsed(e.table)
			}
		}
	})
	return e
}

// lastKallsyms returns the kallsyms table last parsed, if it lives.
func (c *symbolCache) lastKallsyms() *symbolize.Table {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.guide.Value()
}

// unshare ends the sharing of content key, whose table e has a problem
// to report: a problem names the file it was parsed from, which keeps e
// as its own, and every other snapshot, s among them, parses its own.
func (c *symbolCache) unshare(key symbolKey, s *source.Snapshot, e *cachedTable) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sums[s].key, c.sums[e.from].key = symbolKey{own: s}, symbolKey{own: e.from}
	if c.entries[key] != e {
		return // another worker did it
	}
	delete(c.entries, key)
	to := symbolKey{own: e.from}
	c.entries[to] = e
	if i := slices.Index(c.recent, key); i >= 0 {
		c.recent[i] = to
	}
}

// clean reports whether a table has nothing to report that names its
// file: no skipped lines, and a _text for the KASLR offset.
func clean(t *symbolize.Table) bool {
	if t == nil || t.BadLines > 0 {
		return false
	}
	_, ok := t.Addr("_text")
	return ok
}

// snapshotKey reads a snapshot and hashes its content, and returns what
// it read, to be given back to c.bufs; one that cannot be read is
// its own key (parsing it reports why).
func (c *symbolCache) snapshotKey(s *source.Snapshot) (symbolKey, *bytes.Buffer) {
	own := symbolKey{own: s}
	if s.Err != nil {
		return own, nil
	}
	b, err := c.readSnapshot(s)
	if err != nil {
		return own, nil
	}
	k := symbolKey{kind: s.Kind, sum: sha256.Sum256(b.Bytes())}
	return k, b
}

// keep records a newly parsed table as the last asked for, forgetting
// the least recently asked for past maxParsedTables.
func (c *symbolCache) keep(key symbolKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if out, full := c.recent.add(key, maxParsedTables); full {
		delete(c.entries, out)
	}
}

// recency orders the keys a bounded cache keeps, the last used last.
type recency[K comparable] []K

// use makes k, if kept, the last used.
func (r *recency[K]) use(k K) {
	if i := slices.Index(*r, k); i >= 0 {
		*r = append(slices.Delete(*r, i, i+1), k)
	}
}

// add keeps k as the last used, and returns the least recently used
// key when that makes more than max, no longer kept.
func (r *recency[K]) add(k K, max int) (out K, full bool) {
	*r = append(*r, k)
	if len(*r) <= max {
		return out, false
	}
	out = (*r)[0]
	*r = slices.Delete(*r, 0, 1)
	return out, true
}

// parseSnapshot parses the snapshot from read, its content, or from
// the snapshot read into one of c.bufs, so that the table is made at
// its size; a kallsyms with guide, another boot's table, as the likely
// shape of its lines.
func (c *symbolCache) parseSnapshot(s *source.Snapshot, read *bytes.Buffer, guide *symbolize.Table) (*symbolize.Table, error) {
	if s.Err != nil {
		return nil, s.Err
	}
	if read == nil {
		b, err := c.readSnapshot(s)
		if err != nil {
			return nil, err
		}
		defer c.bufs.give(b)
		read = b
	}
	if s.Kind == source.KindSystemMap {
		return symbolize.ParseSystemMapBytes(read.Bytes(), s.String())
	}
	return symbolize.ParseKallsymsBytesLike(read.Bytes(), s.String(), guide)
}

// readSnapshot reads s into a buffer of c.bufs.
func (c *symbolCache) readSnapshot(s *source.Snapshot) (*bytes.Buffer, error) {
	r, err := s.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b := c.bufs.take()
	b.Grow(int(s.Size) + bytes.MinRead) // ReadFrom grows a buffer with less room than MinRead
	if _, err := b.ReadFrom(r); err != nil {
		c.bufs.give(b)
		return nil, err
	}
	return b, nil
}

// bufferList lends buffers, keeping those given back (at most
// maxSpareBuffers).
type bufferList struct {
	mu   sync.Mutex
	free []*bytes.Buffer
}

const maxSpareBuffers = 2

func (l *bufferList) take() *bytes.Buffer {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.free); n > 0 {
		b := l.free[n-1]
		l.free = l.free[:n-1]
		b.Reset()
		return b
	}
	return new(bytes.Buffer)
}

func (l *bufferList) give(b *bytes.Buffer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.free) < maxSpareBuffers {
		l.free = append(l.free, b)
	}
}

// takeReport reports whether the caller is the first to record the
// snapshot's problem.
func (c *symbolCache) takeReport(e *cachedTable) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	first := !e.reported
	e.reported = true
	return first
}

// symbolizers caches one worker's symbolizers: they keep per-pc caches
// and are not shared between goroutines.
type symbolizers map[symbolizerKey]*symbolize.Symbolizer

type symbolizerKey struct {
	runtime, linkTime *symbolize.Table
	layout            ingest.Layout
}

// get returns the symbolizer of the tables for a layout, or nil when
// the tables cannot resolve anything.
func (s symbolizers) get(t *tables, layout ingest.Layout) (*symbolize.Symbolizer, error) {
	if t == nil || (t.runtime == nil && t.linkTime == nil) {
		return nil, nil
	}
	key := symbolizerKey{t.runtime, t.linkTime, layout}
	if sym, ok := s[key]; ok {
		return sym, nil
	}
	if len(s) >= maxTablesKept { // each keeps its table alive: a boot's, most often in one layout
		clear(s)
	}
	cfg := symbolize.Config{Runtime: t.runtime, LinkTime: t.linkTime, KASLR: t.kaslr, PCs: symbolize.PCSpaceOf(layout)}
	sym, err := symbolize.New(cfg)
	if err != nil {
		return nil, err
	}
	s[key] = sym
	return sym, nil
}

// errNoSymbols explains a run ingested without symbols.
var errNoSymbols = errors.New("no usable kallsyms or System.map applies")
