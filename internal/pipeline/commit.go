package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"strings"

	"github.com/kdf-tools/kdf/ingest/source"
	"github.com/kdf-tools/kdf/schema"
	"github.com/kdf-tools/kdf/schema/dataset"
)

// addRun records a decoded buffer's runs row and ledger input.
func (wk *worker) addRun(j *job, sha string, runID int64, t *tables, out *Outcome, problem string) {
	e, st := j.entry, &out.Stats
	attrs := withSourceAttrs(e.Attrs, e.Source)
	r := row{
		"run_id": runID, "campaign": wk.in.cfg.Campaign, "source": e.Source, "path": e.Path,
		"sha256": sha, "bytes": j.size, "layout": st.Layout.String(), "layout_forced": st.LayoutForced,
		"words": int64(st.Words), "records": st.Records, "entries": st.Entries, "rets": st.Rets,
		"cmps": st.Cmps, "pre_rets": out.Pairing.PreRets, "damaged_words": st.DamagedWords,
		"damage_events": st.DamageEvents, "torn": st.Torn, "torn_words": st.TornWords,
		"missing_words": st.MissingWords, "saturated": st.Saturated, "max_record_words": st.MaxRecordWords,
		"segments": int32(st.Segments), "first_seq": st.FirstSeq, "last_seq": st.LastSeq,
		"max_depth": out.Pairing.MaxDepth, "unresolved_pcs": out.Unresolved, "attrs": map[string]string(attrs),
	}
	if !st.CounterValid {
		r["words"] = int64(-1)
	}
	var calls int64
	for i, n := range out.Pairing.Calls {
		calls += n
		r["calls_"+statusColumn[i]] = n
	}
	r["calls"] = calls
	if st.Capacity > 0 {
		r["capacity"] = st.Capacity
		r["fill"] = float64(st.Words+1) / float64(st.Capacity)
	}
	wk.addSymbols(r, t, out)
	for _, k := range []string{"arm", "trial", "boot", "vm", "program", "timestamp"} {
		if v, ok := attrs[k]; ok {
			r[k] = v
		}
	}
	if v, ok, err := attrs.ExecNS(); ok && err == nil {
		r["exec_ns"] = v
	}
	if v, ok, err := attrs.BaselineNS(); ok && err == nil {
		r["baseline_ns"] = v
	}
	for _, p := range st.Problems {
		problem = problems(problem, p.String())
	}
	if problem != "" {
		r["problems"] = problem
	}
	g := wk.g
	g.runs = append(g.runs, r)
	g.inputs = append(g.inputs, dataset.Input{SHA256: sha, Source: e.Source, Path: e.Path,
		Outcome: dataset.OutcomeRun, RunID: runID, Force: wk.in.cfg.Force})
	g.records += st.Records
	g.calls += calls
	g.bytes += j.size
	wk.in.prog.Files.Add(1)
	wk.in.prog.Bytes.Add(j.size)
	wk.in.prog.Records.Add(st.Records)
}

// withSourceAttrs adds the key=value segments of the source's own path
// (`kdf ingest campaign/arm=a`) under the attributes found inside it.
func withSourceAttrs(a source.Attrs, src string) source.Attrs {
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

var statusColumn = []string{"complete", "no_return", "no_entry", "truncated"}

// addSymbols names the tables that symbolized the run and notes the
// functions it used.
func (wk *worker) addSymbols(r row, t *tables, out *Outcome) {
	if t != nil && t.runtimeName != "" {
		r["kallsyms"] = t.runtimeName
	}
	if t != nil && t.mapName != "" {
		r["system_map"] = t.mapName
	}
	s := out.Symbols
	if s == nil {
		return
	}
	if off := s.Offset(); off != 0 {
		r["kaslr_offset"] = off
	}
	tab := s.Table()
	u, ok := wk.g.functions[tab]
	if !ok {
		name := t.runtimeName
		if tab == t.linkTime {
			name = t.mapName
		}
		u = &usedFuncs{name: name, ids: map[int32]struct{}{}}
		wk.g.functions[tab] = u
	}
	for id := range out.Used {
		u.ids[id] = struct{}{}
	}
}

// commit writes the group's small tables, closes its parts and commits
// them with the group's inputs.
func (wk *worker) commit(ctx context.Context) error {
	g := wk.g
	defer func() {
		for _, j := range g.jobs {
			j.release()
		}
		wk.g = newGroup()
	}()
	if len(g.inputs) == 0 {
		return nil
	}
	if err := wk.writeSmallTables(); err != nil {
		wk.abort()
		return err
	}
	var files []*dataset.PartFile
	for _, p := range g.parts {
		if err := p.w.Close(); err != nil {
			wk.abort()
			return fmt.Errorf("writing %s: %w", p.file.Name(), err)
		}
		if err := p.file.Close(); err != nil {
			wk.abort()
			return err
		}
		files = append(files, p.file)
	}
	err := wk.w.Commit(ctx, files, g.inputs)
	var conflict *dataset.ConflictError
	switch {
	case errors.As(err, &conflict):
		wk.in.countRetry(len(g.inputs))
		return nil
	case err != nil:
		return err
	}
	wk.in.count(g)
	return nil
}

func (wk *worker) writeSmallTables() error {
	g := wk.g
	tables := []struct {
		t    *schema.Table
		rows []row
	}{{schema.Runs, g.runs}, {schema.Rejects, g.rejects}, {schema.Functions, wk.functionRows()}}
	for _, x := range tables {
		if len(x.rows) == 0 {
			continue
		}
		rec, err := buildRows(wk.mem, x.t, x.rows)
		if err != nil {
			return err
		}
		if err := wk.emit(x.t, rec); err != nil {
			return err
		}
	}
	return nil
}

func (wk *worker) functionRows() []row {
	var rows []row
	for tab, u := range wk.g.functions {
		for id := range u.ids {
			s := tab.Symbol(id)
			rows = append(rows, row{"symbols": u.name, "func": s.Name, "demangled": tab.Demangled(id),
				"module": s.Module, "type": string(s.Type), "addr": s.Addr})
		}
	}
	return rows
}

// abort drops the group's parts after a failure.
func (wk *worker) abort() {
	for _, p := range wk.g.parts {
		p.file.Abort()
	}
	wk.g.parts = map[string]*openPart{}
}
