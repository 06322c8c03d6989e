package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"golang.org/x/sync/semaphore"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/ingest/source"
	"github.com/kdf-tools/kdf/schema"
	"github.com/kdf-tools/kdf/schema/dataset"
	"github.com/kdf-tools/kdf/schema/part"
	"github.com/kdf-tools/kdf/transform/symbolize"
)

// worker ingests jobs into commit groups of its own parts.
type worker struct {
	in   *ingester
	w    *dataset.Writer
	mem  memory.Allocator
	proc *Processor
	syms symbolizers
	buf  []byte // read buffer of small inputs, reused
	g    *group
	// writers holds a part writer per table, reset for each group's
	// part: its buffers and dictionary tables are grown once.
	writers map[string]*part.Writer
	judged  *source.Types // the type source judgeHeldTypes judged last
	// snapNames are the names of the kallsyms and the System.map the
	// last input used: inputs come a boot at a time.
	snapNames [2]snapshotNames
}

// snapshotNames are what a runs row says of a symbol snapshot: its name
// in the dataset, and the lines of it that did not parse.
type snapshotNames struct {
	s          *source.Snapshot
	name, warn string
}

// group is one commit: the parts being written, the rows of the small
// tables, and what it settles of each input.
type group struct {
	parts     map[string]*openPart
	runs      []runRow
	rejects   []rejectRow
	functions map[string]*usedFuncs // by the symbol table's name
	jobs      []*job
	// settled is what the group puts in the dataset, by input; replaces
	// the held inputs whose rows the group supersedes, as they were when
	// it decided (an input not in it was not held).
	settled  map[key]heldInput
	replaces map[key]heldInput
	// rewrittenAt is, for each input replaced, the commit whose parts
	// this attempt rewrote without its rows.
	rewrittenAt map[key]int64
	records     int64
	calls       int64
	bytes       int64
	// held is the bytes of the archive members its jobs hold in memory,
	// kept until it commits so that it can be redone.
	held int64
}

type openPart struct {
	file *dataset.PartFile
	w    *part.Writer
}

// usedFuncs is the functions rows of one symbol table, one per symbol
// the group's records used. The rows are built as runs end, their
// strings copied out of the table, so that a group spanning many boots
// does not keep every boot's table (some megabytes each) until it
// commits.
type usedFuncs struct {
	rows []functionRow
	has  map[int32]bool // by symbol ID
}

func newGroup() *group {
	return &group{parts: map[string]*openPart{}, functions: map[string]*usedFuncs{},
		settled: map[key]heldInput{}, replaces: map[key]heldInput{}}
}

// next returns the group after g, once g is committed: empty, reusing
// g's rows and maps, which a worker would otherwise grow again for each
// group.
func (g *group) next() *group {
	clear(g.runs) // so that they hold no strings or maps
	clear(g.jobs)
	clear(g.settled)
	clear(g.replaces)
	n := newGroup()
	n.runs, n.jobs, n.settled, n.replaces = g.runs[:0], g.jobs[:0], g.settled, g.replaces
	return n
}

func (in *ingester) newWorker(ctx context.Context) (*worker, error) {
	w, err := in.ds.NewWriter(ctx)
	if err != nil {
		return nil, err
	}
	w.SetSeen(in.seen0)
	wk := &worker{in: in, w: w, mem: memory.DefaultAllocator, syms: symbolizers{}, g: newGroup(), writers: map[string]*part.Writer{}}
	wk.proc = NewProcessor(wk.mem, in.cfg.BatchRows, wk.emit)
	wk.proc.LendBatches() // emit writes each batch before it returns
	return wk, nil
}

func (in *ingester) work(ctx context.Context, jobs <-chan *job, members *semaphore.Weighted) error {
	wk, err := in.newWorker(ctx)
	if err != nil {
		drain(jobs, members)
		return err
	}
	defer wk.w.Close()
	for j := range jobs {
		if testHookTake != nil {
			testHookTake(len(jobs))
		}
		dequeued(j, members)
		err := wk.do(j)
		if err == nil && wk.full() {
			err = wk.commit(ctx)
		}
		if err != nil {
			wk.abort()
			drain(jobs, members)
			return err
		}
	}
	return wk.commit(ctx)
}

// dequeued gives back what an archive member held of the queue's
// budget.
func dequeued(j *job, members *semaphore.Weighted) {
	members.Release(j.queueWeight)
	j.queueWeight = 0
}

func drain(jobs <-chan *job, members *semaphore.Weighted) {
	for j := range jobs {
		dequeued(j, members)
		j.release()
	}
}

func (wk *worker) full() bool {
	g := wk.g
	return len(g.runs)+len(g.rejects) >= wk.in.cfg.GroupRuns || g.bytes >= wk.in.cfg.GroupBytes ||
		g.held >= heldPerSpool*wk.in.cfg.SpoolBytes
}

// heldPerSpool bounds the archive members a group holds in memory, in
// SpoolBytes: past it, the group commits. A group keeps its inputs until
// it commits, and GroupBytes of members per worker took an ingest of
// an archive of 100,000-record buffers past 1 GiB.
const heldPerSpool = 2

// keep makes j one of the group's jobs, held until it commits.
func (g *group) keep(j *job) {
	g.jobs = append(g.jobs, j)
	g.held += int64(len(j.data))
}

// emit writes a batch into the group's part of its table.
func (wk *worker) emit(t *schema.Table, rec arrow.RecordBatch) error {
	defer rec.Release()
	p, err := wk.part(t)
	if err != nil {
		return err
	}
	return p.w.Write(rec)
}

func (wk *worker) part(t *schema.Table) (*openPart, error) {
	if p, ok := wk.g.parts[t.Name]; ok {
		return p, nil
	}
	f, err := wk.w.CreatePart(t.Name, wk.in.cfg.Campaign)
	if err != nil {
		return nil, err
	}
	pw := wk.writers[t.Name]
	if pw != nil {
		pw.Reset(f) // the table's part of the last group is closed or aborted
	} else if pw, err = part.NewWriter(f, t, wk.in.cfg.partOptions()); err != nil {
		f.Abort()
		return nil, err
	}
	wk.writers[t.Name] = pw
	p := &openPart{file: f, w: pw}
	wk.g.parts[t.Name] = p
	return p, nil
}

// do decides what becomes of one input, and ingests it into the group if
// the dataset does not hold it as it is.
func (wk *worker) do(j *job) error {
	e := j.entry
	k := j.key
	h, held := wk.in.held.lookup(k)
	j.was, j.wasHeld = h, held
	force := wk.in.cfg.Force
	if j.reason == "" {
		wk.tables(e) // every snapshot a buffer of this walk uses is judged, and its problem reported
		wk.judgeHeldTypes(e)
		if testHookOpen != nil {
			testHookOpen(j)
		}
		if err := j.openInput(); err != nil {
			j.reason, j.detail = unreadable(e, err)
		} else if limit := wk.in.cfg.Source.MaxMemberBytes; e.Size > limit {
			// Not a buffer the kernel wrote, whatever its name: a sparse
			// file a crashed VM preallocated, say. Reading it would hash
			// and map all of it for nothing.
			j.reason, j.detail = ingest.ReasonTooLarge, fmt.Sprintf("%s: %d bytes, above the %d-byte cap for one input (a kcov_dataflow buffer is at most %d MiB): not read; if it holds a buffer, cut it to the buffer's counted words",
				e.Path, e.Size, limit, ingest.MaxBufferWords*ingest.WordBytes>>20)
		}
	}
	switch {
	case j.reason != "":
		if held && h.run && !force {
			// A run stays a run: a problem reaching the file now (it
			// became unreadable, say) does not undo what was read.
			wk.skip(j)
			return nil
		}
		wk.reject(j, k, j.sha, j.reason, j.detail)
		return nil
	case held && h.run && !force && unchanged(h, e) && !wk.arrived(h, e):
		wk.skip(j)
		return nil
	}
	data, release, err := j.read(&wk.buf)
	if err != nil {
		reason, detail := unreadable(e, err)
		wk.reject(j, k, "", reason, detail)
		return nil
	}
	defer release()
	var sha string
	if err := protect(func() { sha = j.hash(data) }); err != nil {
		wk.reject(j, k, "", ingest.ReasonChanged, fmt.Sprintf("%s: %v", e.Path, err))
		return nil
	}
	if held && h.run && !force {
		if h.sha != digestOf(sha) {
			wk.in.countChanged(k)
			j.release()
			return nil
		}
		if !wk.arrived(h, e) {
			wk.skip(j)
			return nil
		}
	}
	return wk.ingest(j, k, sha, data)
}

// unreadable is the reject of an input that could not be opened or
// read: the source's own problem (a link or a fifo put in a buffer's
// place since the walk), or the system's error.
func unreadable(e *source.Entry, err error) (ingest.Reason, string) {
	if se := (*source.Error)(nil); errors.As(err, &se) {
		return rejectOf(err)
	}
	return ingest.ReasonUnreadable, fmt.Sprintf("%s: %v", e.Path, err)
}

// unchanged reports whether a file is the one the dataset holds, by its
// size and modification time, without reading it.
func unchanged(h heldInput, e *source.Entry) bool {
	return h.mtimeNS >= 0 && !e.ModTime.IsZero() && h.bytes == e.Size && h.mtimeNS == e.ModTime.UnixNano()
}

// arrived reports whether a run held without symbols or without types
// now has a symbol table or a type source: it is ingested again,
// replacing the run.
func (wk *worker) arrived(h heldInput, e *source.Entry) bool {
	return wk.symbolsArrived(h, e) || wk.typesArrived(h, e)
}

// symbolsArrived reports whether a run held without symbols now has a
// table that can symbolize it.
func (wk *worker) symbolsArrived(h heldInput, e *source.Entry) bool {
	if h.symbolized {
		return false
	}
	t, _ := wk.tables(e)
	return t.runtime != nil || t.linkTime != nil
}

func (wk *worker) skip(j *job) {
	wk.in.countSkipped()
	wk.in.prog.done(j, max(j.size, j.entry.Size, 0))
	j.release()
}

// settle notes what the group puts in the dataset for a job's input,
// replacing what the dataset held of it when it was decided.
func (wk *worker) settle(j *job, in heldInput) {
	g := wk.g
	g.settled[j.key] = in
	if j.wasHeld {
		g.replaces[j.key] = j.was
	}
}

// ingest decodes, symbolizes and pairs a buffer into the group.
func (wk *worker) ingest(j *job, k key, sha string, data []byte) error {
	e := j.entry
	wk.g.keep(j)
	t, symErr := wk.tables(e)
	ts, typesErr := wk.types(e)
	opt := wk.options(e.Attrs)
	attrProblem := e.CheckAttrs() // every unusable exec_ns, baseline_ns, capacity_words, layout, with its manifest line
	opt.Size = j.size
	runID := runIDOf(wk.in.cfg.Campaign, k)
	var out *Outcome
	var procErr error
	if testHookProcess != nil {
		testHookProcess(j)
	}
	fault := protect(func() {
		out, procErr = wk.proc.Process(&Buffer{RunID: runID, Name: e.Source + ":" + e.Path, Data: data, Options: opt,
			Types: ts.source(),
			Symbols: func(l ingest.Layout) *symbolize.Symbolizer {
				s, err := wk.syms.get(t, l)
				if err != nil && symErr == nil {
					symErr = err
				}
				return s
			}})
	})
	var fe *ingest.FormatError
	switch {
	case fault != nil:
		return wk.redoWithout(j, k, sha)
	case errors.As(procErr, &fe):
		wk.reject(j, k, sha, ingest.ReasonEmpty, fe.Error())
		return nil
	case procErr != nil:
		return procErr
	}
	wk.addRun(j, k, sha, runID, t, ts, out, problems(symErr, t.warn, typesErr, ts.warning(), attrProblem, j.detail))
	return nil
}

// protect runs fn, which may read a mapped file: a file truncated while
// it is read faults instead of returning an error, and the fault must
// cost this input only, not the ingest.
func protect(fn func()) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			// SetPanicOnFault's panics carry the faulting address.
			if _, ok := r.(interface{ Addr() uintptr }); ok {
				err = errFault
				return
			}
			panic(r)
		}
	}()
	fn()
	return nil
}

// testHookProcess, set by tests, runs before a buffer's bytes are
// processed: a test truncates mapped files there.
var testHookProcess func(*job)

// testHookTake, set by tests, runs as a worker takes a job, with the
// number of jobs still queued.
var testHookTake func(queued int)

// testHookOpen, set by tests, runs before a job's input is opened: a
// test puts a fifo or a link in a buffer's place there.
var testHookOpen func(*job)

// errFault is a mapped file that shrank while it was read.
var errFault = errors.New("the file changed while it was read: ingest it again once it is complete")

// redoWithout rebuilds the group without a job whose rows were partly
// written when its file faulted: the group's parts and pending rows are
// dropped and its other inputs ingested again, which they can be, as a
// group keeps its inputs until it commits.
func (wk *worker) redoWithout(bad *job, k key, sha string) error {
	jobs := slices.DeleteFunc(slices.Clone(wk.g.jobs), func(j *job) bool { return j == bad })
	wk.abort()
	wk.g = newGroup()
	for _, j := range jobs {
		if err := wk.do(j); err != nil {
			return err
		}
	}
	wk.g.keep(bad)
	wk.reject(bad, k, sha, ingest.ReasonChanged, fmt.Sprintf("%s: %v", bad.entry.Path, errFault))
	return nil
}

func problems(errs ...any) string {
	var s string
	for _, e := range errs {
		d, ok := e.(string) // most are empty strings: no need to format them
		if !ok && e != nil {
			d = fmt.Sprint(e)
		}
		if d != "" && d != "<nil>" {
			if s != "" {
				s += "; "
			}
			s += d
		}
	}
	return s
}

// runIDOf is the first 8 bytes of the SHA-256 of the run's campaign and
// key: its identity, the same on every host that ingests the
// same file.
func runIDOf(campaign string, k key) int64 {
	// Hashed from the stack: an ingest takes the run_id of each input
	// several times (its shard, its holdings, its row).
	var stack [256]byte
	sum := sha256.Sum256(append(append(append(stack[:0], campaign...), 0), k...))
	id := int64(binary.BigEndian.Uint64(sum[:8]))
	if id == 0 {
		id = 1 // never the zero value
	}
	return id
}

// options reads the decoder options a manifest may give; an unusable
// value is ignored (Entry.CheckAttrs reports it).
func (wk *worker) options(a source.Attrs) ingest.Options {
	opt := ingest.Options{Layout: wk.in.cfg.Layout}
	if c, ok, err := a.CapacityWords(); ok && err == nil {
		opt.Capacity = c
	}
	if opt.Layout == ingest.LayoutUnknown {
		if s, err := a.Layout(); err == nil && s != "" {
			opt.Layout, _ = ingest.ParseLayout(s)
		}
	}
	return opt
}

// tables returns the symbol tables for a buffer: the command line's, or
// the nearest snapshots. A snapshot that cannot serve is recorded as a
// reject once and its buffers are ingested without symbols.
func (wk *worker) tables(e *source.Entry) (*tables, error) {
	if wk.in.overrides != nil {
		return wk.in.overrides, nil
	}
	t := &tables{kaslr: wk.in.cfg.KASLR}
	var firstErr error
	for i, s := range [...]*source.Snapshot{e.Kallsyms, e.SystemMap} {
		if s == nil {
			continue
		}
		c, err := wk.in.symbols.table(s)
		if err != nil {
			wk.reportSnapshot(s, c, err)
			firstErr = cmpErr(firstErr, fmt.Errorf("%s unusable: %w", s, err))
			continue
		}
		n := &wk.snapNames[i]
		if n.s != s {
			*n = snapshotNames{s: s, name: wk.in.sourceName(s.Source) + ":" + s.Path, warn: badLines(s.String(), c.table)}
		}
		if s.Kind == source.KindSystemMap {
			t.linkTime, t.mapName = c.table, n.name
		} else {
			t.runtime, t.runtimeName = c.table, n.name
		}
		if n.warn != "" {
			t.warn = problems(t.warn, n.warn)
		}
	}
	if t.runtime == nil && t.linkTime == nil && firstErr == nil {
		firstErr = errNoSymbols
	}
	return t, firstErr
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// reportSnapshot puts a snapshot's problem in the rejects, once. A
// snapshot the walker found unusable (too large, ambiguous, replaced)
// is in the rejects already: the walker reported its file.
func (wk *worker) reportSnapshot(s *source.Snapshot, c *cachedTable, err error) {
	if s.Err != nil || c == nil || !wk.in.mine(keyOf(wk.in.sourceName(s.Source), s.Path)) || !wk.in.symbols.takeReport(c) {
		return
	}
	reason := ingest.ReasonBadSymbols
	if errors.Is(err, symbolize.ErrHidden) {
		reason = ingest.ReasonHiddenKallsyms
	}
	name := wk.in.sourceName(s.Source)
	k := keyOf(name, s.Path)
	wk.in.noteSeen(k)
	j := &job{entry: &source.Entry{Source: s.Source, Path: s.Path, Size: s.Size}, srcName: name, key: k}
	j.was, j.wasHeld = wk.in.held.lookup(k)
	wk.reject(j, k, "", reason, err.Error())
}

// reject records an input as a reject, unless the dataset holds the same
// reject already.
func (wk *worker) reject(j *job, k key, sha string, reason ingest.Reason, detail string) {
	if h := j.was; j.wasHeld && !h.run && h.reason == string(reason) && h.detail == detail && h.sha == digestOf(sha) && !wk.in.cfg.Force {
		wk.skip(j)
		return
	}
	j.reason, j.detail, j.sha = reason, detail, sha // a group redone takes it as it is
	r := rejectRow{source: j.srcName, path: j.entry.Path, reason: string(reason), detail: detail}
	if sha != "" {
		r.sha256 = some(sha)
	}
	size := max(j.size, j.entry.Size, 0)
	if size > 0 || sha != "" { // a file read whole: its size is known, if 0
		r.bytes = some(size)
	}
	wk.g.rejects = append(wk.g.rejects, r)
	wk.settle(j, heldInput{sha: digestOf(sha), bytes: size, mtimeNS: -1, reason: r.reason, detail: detail})
	if !slices.Contains(wk.g.jobs, j) {
		wk.g.keep(j)
	}
	wk.in.prog.done(j, size)
}
