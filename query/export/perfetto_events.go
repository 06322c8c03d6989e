package export

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/kdf-tools/kdf/query"
)

// traceCallsQuery is the run's calls in order, with their arguments
// (every word of a struct) and return value in hex.
const traceCallsQuery = `WITH a AS (
  SELECT call_id,
         list(CAST(arg_idx AS INTEGER) ORDER BY record_idx) AS arg_idx,
         list(CASE WHEN fields IS NULL THEN hexv(value)
                   ELSE '{' || array_to_string(list_transform(fields, x -> coalesce(hexv(x), '?')), ', ') || '}' END
              ORDER BY record_idx) AS args
  FROM args WHERE run_id = getvariable('run')
  GROUP BY call_id
)
SELECT c.call_id, c.segment, c.first_record, c.last_record, coalesce(c.demangled, hexv(c.pc)) AS name,
       coalesce(c.func, '') AS symbol, c.module, c.status, hexv(c.pc) AS pc, a.arg_idx, a.args,
       hexv(c.ret) AS ret, errno_name(c.ret, c.ret_size) AS errno, hexv(c.pre_ret) AS pre_ret
FROM calls c LEFT JOIN a USING (call_id)
WHERE c.run_id = getvariable('run')
ORDER BY c.call_id`

// calls writes a slice per call, and an instant where a call was cut
// short: at its last record, on its thread.
func (t *traceWriter) calls(ctx context.Context, db *query.DB) error {
	rows, err := db.Rows(ctx, traceCallsQuery, t.vars())
	if err != nil {
		return fmt.Errorf("export: calls: %w", err)
	}
	defer rows.Close()
	for rows.Next() && t.err == nil {
		r := rows.Row()
		id, seg, first, last := r[0].(int64), r[1].(int64), r[2].(int64), r[3].(int64)
		name, status := r[4].(string), r[7].(string)
		t.emit(event{Name: name, Cat: moduleName(r[6].(string)), Ph: "X", Ts: first, Dur: last - first + 1,
			Pid: tracePID, Tid: segmentTID(seg), Args: callArgs(id, r)})
		if note, ok := cutShort[status]; ok {
			t.emit(event{Name: note.name + ": " + name, Ph: "i", S: "t", Ts: last, Pid: tracePID, Tid: segmentTID(seg),
				Args: map[string]any{"call_id": id, "status": status, "note": note.why}})
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return t.err
}

// cutShort are the statuses of calls that did not end with their own
// return.
var cutShort = map[string]struct{ name, why string }{
	"truncated": {"truncated", "still open when its segment ended: the buffer ends inside it"},
	"no_return": {"no return", "closed by an outer return: its own return was not recorded"},
}

// callArgs are a call's slice args: what Perfetto shows for it.
func callArgs(id int64, r []any) map[string]any {
	args := map[string]any{"call_id": id, "status": r[7], "pc": r[8]}
	if sym := r[5].(string); sym != "" && sym != r[4] {
		args["symbol"] = sym
	}
	if m := r[6].(string); m != "" {
		args["module"] = m
	}
	idx, vals := asList(r[9]), asList(r[10])
	for i := range vals {
		key := fmt.Sprintf("arg%v", idx[i])
		for args[key] != nil { // a struct in several registers (layout B)
			key += "'"
		}
		args[key] = vals[i]
	}
	for _, opt := range []struct {
		key string
		col int
	}{{"ret", 11}, {"errno", 12}, {"pre_ret", 13}} {
		if r[opt.col] != nil {
			args[opt.key] = r[opt.col]
		}
	}
	return args
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// preReturnsQuery is the run's RET records written just before their
// own function's entry.
const preReturnsQuery = `SELECT idx, segment, coalesce(demangled, hexv(pc)) AS name, hexv(value) AS value, call_id
FROM records WHERE run_id = getvariable('run') AND kind = 'pre_ret' ORDER BY idx`

// preReturns marks each pre-entry return where it was written.
func (t *traceWriter) preReturns(ctx context.Context, db *query.DB) error {
	tab, err := db.Query(ctx, preReturnsQuery, t.vars())
	if err != nil {
		return fmt.Errorf("export: pre-entry returns: %w", err)
	}
	for _, r := range tab.Rows {
		t.emit(event{Name: "pre-entry return: " + r[2].(string), Ph: "i", S: "t", Ts: r[0].(int64), Pid: tracePID, Tid: segmentTID(r[1].(int64)),
			Args: map[string]any{"value": r[3], "call_id": r[4], "note": "a RET written just before its own function's entry"}})
	}
	return t.err
}

// problemAt finds the problems a run's buffer reported at a word
// offset, as ingest.Problem writes them into runs.problems.
var problemAt = regexp.MustCompile(`(?:^|; )word (\d+): ([^;]*)`)

// losses marks on the process what the buffer lost: each problem at
// the record that follows its word (runs.problems keeps the first few),
// then a torn tail and a full buffer after the last record.
func (t *traceWriter) losses(ctx context.Context, db *query.DB) error {
	r := t.run
	var offsets []string
	var msgs []string
	for _, m := range problemAt.FindAllStringSubmatch(r.problems, -1) {
		offsets, msgs = append(offsets, m[1]), append(msgs, m[2])
	}
	at, err := t.recordsAt(ctx, db, offsets)
	if err != nil {
		return err
	}
	for i, m := range msgs {
		t.loss("problem at word "+offsets[i], at[i], map[string]any{"problem": m})
	}
	if r.torn {
		t.loss(fmt.Sprintf("torn tail: %d words", r.tornWs), r.records, map[string]any{"note": "the counted words end in an incomplete record"})
	}
	if r.saturated {
		t.loss("buffer full", r.records, map[string]any{"note": "free space below the largest record: later records were probably dropped"})
	}
	return t.err
}

func (t *traceWriter) loss(name string, ts int64, args map[string]any) {
	t.emit(event{Name: name, Ph: "i", S: "p", Ts: ts, Pid: tracePID, Tid: segmentTID(0), Args: args})
}

// recordsAt returns, for each word offset, the index of the first
// record at or after it: the run's record count past the last record.
func (t *traceWriter) recordsAt(ctx context.Context, db *query.DB, offsets []string) ([]int64, error) {
	if len(offsets) == 0 {
		return nil, nil
	}
	// The offsets are digits: ingest wrote them, and problemAt read them.
	q := `SELECT o, coalesce((SELECT min(idx) FROM records WHERE run_id = getvariable('run') AND "offset" >= o), getvariable('records'))
FROM unnest([` + strings.Join(offsets, ", ") + `]::BIGINT[]) AS t(o)`
	tab, err := db.Query(ctx, q, query.Vars{"run": t.run.id, "records": t.run.records})
	if err != nil {
		return nil, fmt.Errorf("export: problems: %w", err)
	}
	idx := map[string]int64{}
	for _, r := range tab.Rows {
		idx[fmt.Sprint(r[0])] = r[1].(int64)
	}
	at := make([]int64, len(offsets))
	for i, o := range offsets {
		n, _ := strconv.ParseInt(o, 10, 64)
		at[i] = idx[strconv.FormatInt(n, 10)]
	}
	return at, nil
}
