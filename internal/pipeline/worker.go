package pipeline

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

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
	g    *group
}

// group is one commit: the parts being written and the inputs whose
// rows they hold.
type group struct {
	parts     map[string]*openPart
	inputs    []dataset.Input
	runs      []row
	rejects   []row
	functions map[*symbolize.Table]*usedFuncs
	jobs      []*job
	records   int64
	calls     int64
	bytes     int64
}

type openPart struct {
	file *dataset.PartFile
	w    *part.Writer
}

type usedFuncs struct {
	name string
	ids  map[int32]struct{}
}

func newGroup() *group {
	return &group{parts: map[string]*openPart{}, functions: map[*symbolize.Table]*usedFuncs{}}
}

func (in *ingester) work(ctx context.Context, jobs <-chan *job) error {
	w, err := in.ds.NewWriter(ctx)
	if err != nil {
		drain(jobs)
		return err
	}
	defer w.Close()
	wk := &worker{in: in, w: w, mem: memory.DefaultAllocator, syms: symbolizers{}, g: newGroup()}
	wk.proc = NewProcessor(wk.mem, in.cfg.BatchRows, wk.emit)
	for j := range jobs {
		err := wk.do(j)
		if err == nil && wk.full() {
			err = wk.commit(ctx)
		}
		if err != nil {
			wk.abort()
			drain(jobs)
			return err
		}
	}
	return wk.commit(ctx)
}

func drain(jobs <-chan *job) {
	for j := range jobs {
		j.release()
	}
}

func (wk *worker) full() bool {
	g := wk.g
	return len(g.runs)+len(g.rejects) >= wk.in.cfg.GroupRuns || g.bytes >= wk.in.cfg.GroupBytes
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
	pw, err := part.NewWriter(f, t, part.Options{RowGroupRows: wk.in.cfg.RowGroupRows})
	if err != nil {
		f.Abort()
		return nil, err
	}
	p := &openPart{file: f, w: pw}
	wk.g.parts[t.Name] = p
	return p, nil
}

// do ingests one job into the group.
func (wk *worker) do(j *job) error {
	e := j.entry
	if _, ok := wk.in.ledger.Lookup(e.Source, e.Path); ok && !wk.in.cfg.Force {
		// Already in the dataset: nothing of it goes in the group, so a
		// group rebuilt after a fault does not count it twice.
		wk.in.countSkipped()
		j.release()
		return nil
	}
	wk.g.jobs = append(wk.g.jobs, j)
	if j.reason != "" {
		wk.reject(j, "", j.reason, j.detail)
		return nil
	}
	sha, err := j.hash()
	if err != nil {
		wk.reject(j, "", ingest.ReasonUnreadable, fmt.Sprintf("%s: %v", e.Path, err))
		return nil
	}
	if prior, ok := wk.in.ledger.Run(sha); ok && !wk.in.cfg.Force {
		wk.reject(j, sha, ingest.ReasonDuplicate, fmt.Sprintf("same content as %s:%s, ingested before", prior.Source, prior.Path))
		return nil
	}
	if first, ok := wk.in.claim(sha, e.Source+":"+e.Path); !ok {
		wk.reject(j, sha, ingest.ReasonDuplicate, "same content as "+first+" in this ingest")
		return nil
	}
	return wk.ingest(j, sha)
}

// ingest decodes, symbolizes and pairs a buffer into the group.
func (wk *worker) ingest(j *job, sha string) error {
	e := j.entry
	t, symErr := wk.tables(e)
	opt, attrProblem := wk.options(e.Attrs)
	opt.Size = j.size
	data, release, err := j.content()
	if err != nil {
		wk.reject(j, sha, ingest.ReasonUnreadable, fmt.Sprintf("%s: %v", e.Path, err))
		return nil
	}
	defer release()
	runID := runIDOf(sha)
	out, err := wk.processMapped(&Buffer{RunID: runID, Name: e.Source + ":" + e.Path, Data: data, Options: opt,
		Symbols: func(l ingest.Layout) *symbolize.Symbolizer {
			s, err := wk.syms.get(t, l)
			if err != nil && symErr == nil {
				symErr = err
			}
			return s
		}})
	var fe *ingest.FormatError
	switch {
	case errors.Is(err, errFault):
		return wk.redoWithout(j, sha)
	case errors.As(err, &fe):
		wk.reject(j, sha, ingest.ReasonEmpty, fe.Error())
		return nil
	case err != nil:
		return err
	}
	wk.addRun(j, sha, runID, t, out, problems(symErr, t.warn, attrProblem, j.detail))
	return nil
}

// processMapped processes a buffer whose bytes may be a mapped file: a
// file truncated while it is read faults instead of returning an error,
// and the fault must cost this input only, not the ingest.
func (wk *worker) processMapped(b *Buffer) (out *Outcome, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			// SetPanicOnFault's panics carry the faulting address.
			if _, ok := r.(interface{ Addr() uintptr }); ok {
				out, err = nil, errFault
				return
			}
			panic(r)
		}
	}()
	return wk.proc.Process(b)
}

// errFault is a mapped file that shrank while it was read.
var errFault = errors.New("the file changed while it was read: ingest it again once it is complete")

// redoWithout rebuilds the group without a job whose rows were partly
// written when its file faulted: the group's parts are dropped and its
// other inputs ingested again, which they can be, as a group keeps its
// inputs until it commits.
func (wk *worker) redoWithout(bad *job, sha string) error {
	jobs := slices.DeleteFunc(slices.Clone(wk.g.jobs), func(j *job) bool { return j == bad })
	wk.abort()
	wk.g = newGroup()
	for _, j := range jobs {
		if err := wk.do(j); err != nil {
			return err
		}
	}
	wk.g.jobs = append(wk.g.jobs, bad)
	wk.reject(bad, sha, ingest.ReasonChanged, fmt.Sprintf("%s: %v", bad.entry.Path, errFault))
	return nil
}

func problems(errs ...any) string {
	var s string
	for _, e := range errs {
		if d := fmt.Sprint(e); e != nil && d != "" && d != "<nil>" {
			if s != "" {
				s += "; "
			}
			s += d
		}
	}
	return s
}

// runIDOf is the first 8 bytes of the content hash.
func runIDOf(sha string) int64 {
	b, _ := hex.DecodeString(sha[:16])
	return int64(binary.BigEndian.Uint64(b))
}

// options reads the decoder options a manifest may give.
func (wk *worker) options(a source.Attrs) (ingest.Options, error) {
	opt := ingest.Options{Layout: wk.in.cfg.Layout}
	var problems []error
	if c, ok, err := a.CapacityWords(); ok && err == nil {
		opt.Capacity = c
	} else if err != nil {
		problems = append(problems, err)
	}
	if opt.Layout == ingest.LayoutUnknown {
		if s, err := a.Layout(); err == nil && s != "" {
			opt.Layout, _ = ingest.ParseLayout(s)
		} else if err != nil {
			problems = append(problems, err)
		}
	}
	return opt, errors.Join(problems...)
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
	for _, s := range []*source.Snapshot{e.Kallsyms, e.SystemMap} {
		if s == nil {
			continue
		}
		c, err := wk.in.symbols.table(s)
		if err != nil {
			wk.reportSnapshot(s, c, err)
			firstErr = cmpErr(firstErr, fmt.Errorf("%s unusable: %w", s, err))
			continue
		}
		if s.Kind == source.KindSystemMap {
			t.linkTime, t.mapName = c.table, s.String()
		} else {
			t.runtime, t.runtimeName = c.table, s.String()
		}
		t.warn = problems(t.warn, badLines(s.String(), c.table))
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
	if s.Err != nil || c == nil || !wk.in.mine(s.Path) || !wk.in.symbols.takeReport(c) {
		return
	}
	if _, ok := wk.in.ledger.Lookup(s.Source, s.Path); ok && !wk.in.cfg.Force {
		return
	}
	reason := ingest.ReasonBadSymbols
	if errors.Is(err, symbolize.ErrHidden) {
		reason = ingest.ReasonHiddenKallsyms
	}
	j := &job{entry: &source.Entry{Source: s.Source, Path: s.Path, Size: s.Size}}
	wk.reject(j, "", reason, err.Error())
}

func (wk *worker) reject(j *job, sha string, reason ingest.Reason, detail string) {
	e := j.entry
	r := row{"campaign": wk.in.cfg.Campaign, "source": e.Source, "path": e.Path, "reason": string(reason), "detail": detail}
	if sha != "" {
		r["sha256"] = sha
	}
	if j.size > 0 || e.Size > 0 {
		r["bytes"] = max(j.size, e.Size)
	}
	wk.g.rejects = append(wk.g.rejects, r)
	wk.g.inputs = append(wk.g.inputs, dataset.Input{SHA256: sha, Source: e.Source, Path: e.Path,
		Outcome: dataset.OutcomeReject, Reason: string(reason), Force: wk.in.cfg.Force})
	wk.in.prog.Files.Add(1)
}
