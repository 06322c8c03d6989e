package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kdf-tools/kdf/ingest/source"
	"github.com/kdf-tools/kdf/internal/buf"
	"github.com/kdf-tools/kdf/schema"
	"github.com/kdf-tools/kdf/schema/dataset"
	"github.com/kdf-tools/kdf/schema/part"
	"github.com/kdf-tools/kdf/transform/symbolize"
)

// addRun records a decoded buffer's runs row.
func (wk *worker) addRun(j *job, k key, sha string, runID int64, t *tables, ts *typeSource, out *Outcome, problem string) {
	e, st := j.entry, &out.Stats
	attrs := withSourceAttrs(e.Attrs, e.Source)
	r := runRow{runID: runID, source: j.srcName, path: e.Path, sha256: sha, bytes: j.size,
		layout: st.Layout.String(), layoutForced: st.LayoutForced, words: int64(st.Words),
		records: st.Records, entries: st.Entries, rets: st.Rets, cmps: st.Cmps, preRets: out.Pairing.PreRets,
		damagedWords: st.DamagedWords, damageEvents: st.DamageEvents, torn: st.Torn, tornWords: st.TornWords,
		missingWords: st.MissingWords, saturated: st.Saturated, maxRecordWords: st.MaxRecordWords,
		segments: int32(st.Segments), firstSeq: st.FirstSeq, lastSeq: st.LastSeq,
		maxDepth: out.Pairing.MaxDepth, unresolved: out.Unresolved, attrs: attrs}
	if !e.ModTime.IsZero() {
		r.mtimeNS = some(e.ModTime.UnixNano())
	}
	if !st.CounterValid {
		r.words = -1
	}
	for i, n := range out.Pairing.Calls {
		r.calls += n
		r.callsByStatus[i] = n
	}
	if st.Capacity > 0 {
		r.capacity = some(st.Capacity)
		r.fill = some(float64(st.Words+1) / float64(st.Capacity))
	}
	problem = problems(problem, wk.addSymbols(&r, t, out), addNames(&r, ts, out))
	for _, a := range []struct {
		name string
		col  *opt[string]
	}{{"arm", &r.arm}, {"trial", &r.trial}, {"boot", &r.boot}, {"vm", &r.vm}, {"program", &r.program}, {"timestamp", &r.timestamp}} {
		if v, ok := attrs[a.name]; ok {
			*a.col = some(v)
		}
	}
	if v, ok, err := attrs.ExecNS(); ok && err == nil {
		r.execNS = some(v)
	}
	if v, ok, err := attrs.BaselineNS(); ok && err == nil {
		r.baselineNS = some(v)
	}
	for _, p := range st.Problems {
		problem = problems(problem, p.String())
	}
	if problem != "" {
		r.problems = some(problem)
	}
	g := wk.g
	g.runs = buf.Append(g.runs, r)
	wk.settle(j, heldInput{run: true, sha: digestOf(sha), bytes: j.size, mtimeNS: r.mtimeNS.vOr(-1),
		symbolized: r.kallsyms.ok || r.systemMap.ok, typed: r.typeSource.ok})
	g.records += st.Records
	g.calls += r.calls
	g.bytes += j.size
	wk.in.prog.done(j, j.size)
	wk.in.prog.Records.Add(st.Records)
}

func (o opt[T]) vOr(d T) T {
	if o.ok {
		return o.v
	}
	return d
}

// withSourceAttrs adds the key=value segments of the source's own path
// (`kdf ingest campaign/arm=a`) under the attributes found inside it.
// Most sources have none, and their inputs' attributes are used as
// they are: the runs row only reads them.
func withSourceAttrs(a source.Attrs, src string) source.Attrs {
	if !strings.Contains(src, "=") {
		return a
	}
	out := source.Attrs{}
	for _, seg := range strings.Split(filepath.ToSlash(src), "/") {
		for _, ext := range []string{".tar.zst", ".tar.gz", ".tzst", ".tgz", ".tar"} {
			seg = strings.TrimSuffix(seg, ext)
		}
		if k, v, ok := strings.Cut(seg, "="); ok && k != "" {
			out[k] = v
		}
	}
	maps.Copy(out, a)
	return out
}

// addSymbols records the tables that symbolized the run and the
// functions it used, and says when most of its pcs did not resolve
// (unresolvedProblem).
func (wk *worker) addSymbols(r *runRow, t *tables, out *Outcome) string {
	if t != nil && t.runtimeName != "" {
		r.kallsyms = some(t.runtimeName)
	}
	if t != nil && t.mapName != "" {
		r.systemMap = some(t.mapName)
	}
	s := out.Symbols
	if s == nil {
		return ""
	}
	if off := s.Offset(); off != 0 {
		r.kaslrOffset = some(off)
	}
	tab := s.Table()
	name := t.runtimeName
	if tab == t.linkTime {
		name = t.mapName
	}
	u, ok := wk.g.functions[name]
	if !ok {
		u = &usedFuncs{has: map[int32]bool{}}
		wk.g.functions[name] = u
	}
	for _, id := range out.Used {
		if !u.has[id] {
			u.has[id] = true
			u.rows = append(u.rows, functionRowOf(name, tab, id))
		}
	}
	return unresolvedProblem(out, name)
}

// unresolvedProblem says why most of a run's pcs may not have resolved
// in the table that applied, or "" when most did. The rows are kept
// either way, their functions null: the cause lies beside the buffer,
// and what it is decides whether the run is right.
func unresolvedProblem(out *Outcome, table string) string {
	n, of := out.Unresolved, out.Stats.Records
	if !symbolize.MostlyUnresolved(n, of) {
		return ""
	}
	return fmt.Sprintf("%d of %d pcs did not resolve in %s: %s", n, of, table, out.Symbols.MissCause())
}

// maxCommitTries bounds the redos of a group whose commit another
// writer's raced: each redo follows a commit of theirs, so it ends.
const maxCommitTries = 8

// commit writes the group's remaining rows, closes its parts and commits
// them, with the committed parts it supersedes rewritten without the
// rows it replaces. A group another ingest raced is redone without the
// inputs that ingest took (theirs stand), or with a fresh look at the
// parts it replaces.
func (wk *worker) commit(ctx context.Context) error {
	g := wk.g
	defer func() {
		for _, j := range g.jobs {
			j.release()
		}
		wk.g = g.next()
	}()
	if len(g.settled) == 0 {
		return nil
	}
	files, err := wk.closeParts()
	if err != nil {
		wk.abort()
		return err
	}
	for try := 1; ; try++ {
		err := wk.commitOnce(ctx, files)
		var taken *takenError
		switch {
		case err == nil || errors.Is(err, dataset.ErrCommitted):
			if err != nil {
				wk.in.warn("%v", err)
			}
			wk.in.held.record(wk.w.Seen(), g.settled)
			wk.in.count(g)
			return nil
		case try >= maxCommitTries:
			abortAll(files)
			return fmt.Errorf("committing a group of %d inputs: %w (run the ingest again)", len(g.settled), err)
		case errors.As(err, &taken):
			if files, err = wk.without(files, taken.keys); err != nil {
				abortAll(files)
				return err
			}
		case errors.Is(err, dataset.ErrConflict):
			// The parts it replaces were replaced: look again.
		default:
			abortAll(files)
			return err
		}
		if len(g.settled) == 0 {
			abortAll(files)
			return nil
		}
	}
}

// closeParts emits the pending rows, writes the small tables and closes
// the group's parts.
func (wk *worker) closeParts() ([]*dataset.PartFile, error) {
	g := wk.g
	if err := wk.proc.Flush(); err != nil {
		return nil, err
	}
	campaign := wk.in.cfg.Campaign
	if len(g.runs) > 0 {
		if err := wk.emit(schema.Runs, buildRuns(wk.mem, campaign, g.runs)); err != nil {
			return nil, err
		}
	}
	if len(g.rejects) > 0 {
		if err := wk.emit(schema.Rejects, buildRejects(wk.mem, campaign, g.rejects)); err != nil {
			return nil, err
		}
	}
	var files []*dataset.PartFile
	for _, name := range slices.Sorted(maps.Keys(g.parts)) {
		p := g.parts[name]
		if err := p.w.Close(); err != nil {
			return nil, fmt.Errorf("writing %s: %w", p.file.Name(), err)
		}
		if err := p.file.Close(); err != nil {
			return nil, err
		}
		files = append(files, p.file)
	}
	g.parts = map[string]*openPart{}
	return files, nil
}

// commitOnce makes one attempt at committing the group's parts.
func (wk *worker) commitOnce(ctx context.Context, files []*dataset.PartFile) error {
	g := wk.g
	var remove []dataset.Part
	var rewritten []*dataset.PartFile
	if len(g.replaces) > 0 {
		var err error
		if remove, rewritten, err = wk.replacements(); err != nil {
			return err
		}
	}
	if len(files) == 0 && len(remove) == 0 && len(g.settled) == 0 {
		return nil
	}
	var funcs []functionRow
	err := wk.w.Commit(ctx, dataset.Group{
		Parts:  append(slices.Clip(files), rewritten...),
		Remove: remove,
		Inputs: len(g.settled),
		Note:   wk.note(),
		Prepare: func(since []dataset.Part) ([]*dataset.PartFile, error) {
			var extra []*dataset.PartFile
			var err error
			funcs, extra, err = wk.prepare(since)
			return extra, err
		},
	})
	if err != nil && !errors.Is(err, dataset.ErrCommitted) {
		wk.in.held.forget(funcs)
		abortAll(rewritten)
	}
	return err
}

func (wk *worker) note() string {
	switch {
	case len(wk.g.replaces) == 0:
		return "ingest"
	case wk.in.cfg.Force:
		return "ingest --force"
	}
	return "ingest, replacing"
}

// prepare runs under the ledger lock: it reads what other writers
// committed since this one looked, refuses the group if they took some
// of its inputs, and writes the functions rows the dataset lacks.
func (wk *worker) prepare(since []dataset.Part) ([]functionRow, []*dataset.PartFile, error) {
	if err := wk.in.held.absorb(since); err != nil {
		return nil, nil, err
	}
	var taken []key
	for k := range wk.g.settled {
		if wk.takenMeanwhile(k) {
			taken = append(taken, k)
		}
	}
	if len(taken) > 0 {
		return nil, nil, &takenError{keys: taken}
	}
	for k, c := range wk.g.rewrittenAt {
		if h, ok := wk.in.held.lookup(k); ok && h.commit != c {
			// Another commit moved the rows this group replaces since
			// it rewrote their parts: rewrite again.
			return nil, nil, fmt.Errorf("%w: the rows of %s moved to commit %d", dataset.ErrConflict, k, h.commit)
		}
	}
	funcs := wk.in.held.newFuncs(wk.functionRows())
	if len(funcs) == 0 {
		return nil, nil, nil
	}
	f, err := wk.writePart(schema.Functions, func(pw *part.Writer) error {
		return pw.Write(buildFunctions(wk.mem, funcs))
	})
	if err != nil {
		wk.in.held.forget(funcs)
		return nil, nil, err
	}
	return funcs, []*dataset.PartFile{f}, nil
}

// takenMeanwhile reports whether another writer committed input k after
// the group decided it: k is held now and was not, or is held with other
// content. Rows that a rewrite moved to another part are the same rows.
func (wk *worker) takenMeanwhile(k key) bool {
	now, held := wk.in.held.lookup(k)
	was, wasHeld := wk.g.replaces[k]
	if !held {
		return false
	}
	return !wasHeld || now.run != was.run || now.sha != was.sha || now.reason != was.reason || now.detail != was.detail
}

// takenError names the inputs of a group that another writer committed
// after this one decided them.
type takenError struct{ keys []key }

func (e *takenError) Error() string {
	return fmt.Sprintf("%d inputs were committed by a concurrent ingest", len(e.keys))
}

// without rewrites the group's parts without the rows of the given
// inputs, which another ingest committed first.
func (wk *worker) without(files []*dataset.PartFile, keys []key) ([]*dataset.PartFile, error) {
	g := wk.g
	drop := dropRows{runs: map[int64]bool{}, files: map[key]bool{}}
	for _, k := range keys {
		drop.runs[runIDOf(wk.in.cfg.Campaign, k)] = true
		drop.files[k] = true
		delete(g.settled, k)
		delete(g.replaces, k)
	}
	g.runs = slices.DeleteFunc(g.runs, func(r runRow) bool {
		if !drop.files[keyOf(r.source, r.path)] {
			return false
		}
		g.records, g.calls, g.bytes = g.records-r.records, g.calls-r.calls, g.bytes-r.bytes
		return true
	})
	g.rejects = slices.DeleteFunc(g.rejects, func(r rejectRow) bool { return drop.files[keyOf(r.source, r.path)] })
	wk.in.countConcurrent(len(keys))
	var out []*dataset.PartFile
	for _, f := range files {
		nf, err := wk.rewrite(f.Table(), f.Name(), drop)
		f.Abort()
		if err != nil {
			abortAll(out)
			return nil, err
		}
		if nf != nil {
			out = append(out, nf)
		}
	}
	return out, nil
}

// replacements rewrites the committed parts that hold rows of the inputs
// the group replaces, without those rows: the parts of the commit that
// holds each (runs, records and calls for a run; rejects for a reject).
func (wk *worker) replacements() ([]dataset.Part, []*dataset.PartFile, error) {
	snap, err := wk.in.ds.Snapshot()
	if err != nil {
		return nil, nil, err
	}
	if err := wk.in.held.absorb(snap.Since(0)); err != nil {
		return nil, nil, err
	}
	drop := dropRows{runs: map[int64]bool{}, files: map[key]bool{}}
	commits := map[string]map[int64]bool{"runs": {}, "records": {}, "calls": {}, "rejects": {}}
	wk.g.rewrittenAt = map[key]int64{}
	for k := range wk.g.replaces {
		h, ok := wk.in.held.lookup(k)
		if !ok {
			continue
		}
		wk.g.rewrittenAt[k] = h.commit
		if h.run {
			drop.runs[runIDOf(wk.in.cfg.Campaign, k)] = true
			for _, t := range []string{"runs", "records", "calls"} {
				commits[t][h.commit] = true
			}
		} else {
			drop.files[k] = true
			commits["rejects"][h.commit] = true
		}
	}
	var remove []dataset.Part
	var rewritten []*dataset.PartFile
	for table, cs := range commits {
		for _, p := range snap.Campaign(table, wk.in.cfg.Campaign) {
			if !cs[p.Commit] {
				continue
			}
			nf, dropped, err := wk.rewriteCounting(table, p.Path, drop)
			if errors.Is(err, fs.ErrNotExist) { // another commit replaced it since the listing
				err = fmt.Errorf("%w: %w", dataset.ErrConflict, err)
			}
			if err != nil {
				abortAll(rewritten)
				return nil, nil, err
			}
			if dropped == 0 {
				if nf != nil {
					nf.Abort()
				}
				continue
			}
			remove = append(remove, p)
			if nf != nil {
				rewritten = append(rewritten, nf)
			}
		}
	}
	return remove, rewritten, nil
}

// dropRows selects rows to leave out of a rewritten part: by run_id in
// the tables that have it, by source and path in rejects.
type dropRows struct {
	runs  map[int64]bool
	files map[key]bool
}

func (d dropRows) keep(table string) func(part.Row) bool {
	if table == "rejects" {
		return func(r part.Row) bool { return !d.files[keyOf(r.String("source"), r.String("path"))] }
	}
	return func(r part.Row) bool { return !d.runs[r.Int64("run_id")] }
}

func (wk *worker) rewrite(table, path string, drop dropRows) (*dataset.PartFile, error) {
	nf, _, err := wk.rewriteCounting(table, path, drop)
	return nf, err
}

// rewriteCounting copies the part at path into a new part of the writer
// without the dropped rows; it returns nil for a part left empty.
func (wk *worker) rewriteCounting(table, path string, drop dropRows) (*dataset.PartFile, int64, error) {
	src, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return nil, 0, err
	}
	t := schema.Lookup(table)
	var kept, dropped int64
	nf, err := wk.writePart(t, func(*part.Writer) error { return nil }, func(f *dataset.PartFile) error {
		var err error
		kept, dropped, err = part.Rewrite(f, src, fi.Size(), t, wk.in.cfg.partOptions(), drop.keep(table))
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("rewriting %s: %w", path, err)
	}
	if kept == 0 {
		nf.Abort()
		return nil, dropped, nil
	}
	return nf, dropped, nil
}

// writePart writes a closed part of table t: through a part.Writer given
// to fill, or, with raw, by raw itself.
func (wk *worker) writePart(t *schema.Table, fill func(*part.Writer) error, raw ...func(*dataset.PartFile) error) (*dataset.PartFile, error) {
	f, err := wk.w.CreatePart(t.Name, wk.in.cfg.Campaign)
	if err != nil {
		return nil, err
	}
	if len(raw) > 0 {
		err = raw[0](f)
	} else {
		var pw *part.Writer
		if pw, err = part.NewWriter(f, t, wk.in.cfg.partOptions()); err == nil {
			if err = fill(pw); err == nil {
				err = pw.Close()
			}
		}
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		f.Abort()
		return nil, err
	}
	return f, nil
}

func (wk *worker) functionRows() []functionRow {
	var rows []functionRow
	for _, u := range wk.g.functions {
		rows = append(rows, u.rows...)
	}
	return rows
}

// functionRowOf is the functions row of symbol id of tab, which is
// called name in the dataset. Its names are copies: the table's are
// slices of one string holding all of its names.
func functionRowOf(name string, tab *symbolize.Table, id int32) functionRow {
	s := tab.Symbol(id)
	fn := strings.Clone(s.Name)
	dem := fn
	if d := tab.Demangled(id); d != s.Name {
		dem = strings.Clone(d)
	}
	return functionRow{symbols: name, name: fn, demangled: dem, module: s.Module, typ: string(s.Type), addr: s.Addr}
}

// abort drops the group's parts and pending rows after a failure.
func (wk *worker) abort() {
	for _, p := range wk.g.parts {
		p.file.Abort()
	}
	wk.g.parts = map[string]*openPart{}
	wk.proc.Reset()
}

func abortAll(files []*dataset.PartFile) {
	for _, f := range files {
		f.Abort()
	}
}

// removeStale removes the rejects the dataset holds for sources this
// ingest walked whole without meeting them again: the problem is gone
// (the file was fixed, or ingested as a run under another name, or a
// source-wide problem such as a cap has been lifted).
func (in *ingester) removeStale(ctx context.Context) error {
	sources := in.walkedSources()
	if len(sources) == 0 {
		return nil
	}
	wk, err := in.newWorker(ctx)
	if err != nil {
		return err
	}
	defer wk.w.Close()
	for k, h := range in.held.under(sources) {
		if h.run || in.met(k) {
			continue
		}
		wk.g.replaces[k] = h
	}
	if len(wk.g.replaces) == 0 {
		return nil
	}
	n := len(wk.g.replaces)
	for try := 1; ; try++ {
		err := wk.commitOnce(ctx, nil)
		switch {
		case err == nil || errors.Is(err, dataset.ErrCommitted):
			in.held.drop(slices.Collect(maps.Keys(wk.g.replaces)))
			in.mu.Lock()
			in.sum.StaleRejects += int64(n)
			in.mu.Unlock()
			return nil
		case errors.Is(err, dataset.ErrConflict) && try < maxCommitTries:
		default:
			return fmt.Errorf("removing %d stale rejects: %w", n, err)
		}
	}
}

// walkedSources lists the names of the sources whose walk met no
// problem that left part of them unread.
func (in *ingester) walkedSources() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []string
	for _, name := range in.names {
		if !in.partial[name] && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}
