package export

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/internal/engines"
	"github.com/kdf-tools/kdf/query"
)

// traceFile is a trace as the Trace Event Format's JSON object form
// defines it: the events, and anything else as metadata.
type traceFile struct {
	TraceEvents []traceEvent   `json:"traceEvents"`
	Metadata    map[string]any `json:"metadata"`
}

// traceEvent has every field the format defines for the phases kdf
// writes; pointers tell a field left out from a zero.
type traceEvent struct {
	Name *string        `json:"name"`
	Cat  *string        `json:"cat"`
	Ph   *string        `json:"ph"`
	Ts   *int64         `json:"ts"`
	Dur  *int64         `json:"dur"`
	Pid  *int64         `json:"pid"`
	Tid  *int64         `json:"tid"`
	S    *string        `json:"s"`
	Args map[string]any `json:"args"`
}

// metaArg is the arg each metadata event the format defines carries.
var metaArg = map[string]string{"process_name": "name", "process_labels": "labels", "thread_name": "name", "thread_sort_index": "sort_index"}

// validateTrace checks a trace against the format's definition: every
// event has a name, a phase, a pid and a tid; slices (X) and instants
// (i) a timestamp, slices a duration, instants a scope; metadata (M)
// its argument. Slices nest on each thread: none overlaps another
// without lying inside it. It returns the events and each slice's
// nesting depth, by call_id.
func validateTrace(t *testing.T, data []byte) (*traceFile, map[int64]int) {
	t.Helper()
	var tf traceFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tf); err != nil {
		t.Fatalf("not a trace: %v", err)
	}
	for i, e := range tf.TraceEvents {
		if err := e.check(); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	return &tf, nesting(t, tf.TraceEvents)
}

func (e traceEvent) check() error {
	if e.Name == nil || e.Ph == nil || e.Pid == nil || e.Tid == nil {
		return fmt.Errorf("%+v: name, ph, pid and tid are required", e)
	}
	switch *e.Ph {
	case "X":
		if e.Ts == nil || e.Dur == nil || *e.Dur <= 0 || *e.Ts < 0 {
			return fmt.Errorf("slice %s: ts %v, dur %v", *e.Name, e.Ts, e.Dur)
		}
	case "i":
		if e.Ts == nil || e.S == nil || !strings.Contains("gpt", *e.S) || len(*e.S) != 1 {
			return fmt.Errorf("instant %s: ts %v, scope %v", *e.Name, e.Ts, e.S)
		}
	case "M":
		if arg, ok := metaArg[*e.Name]; !ok || e.Args[arg] == nil {
			return fmt.Errorf("metadata %s: args %v", *e.Name, e.Args)
		}
	default:
		return fmt.Errorf("%s: phase %q", *e.Name, *e.Ph)
	}
	return nil
}

// nesting checks that the slices of each thread nest, and returns each
// one's depth.
func nesting(t *testing.T, events []traceEvent) map[int64]int {
	t.Helper()
	threads := map[[2]int64][]traceEvent{}
	for _, e := range events {
		if *e.Ph == "X" {
			k := [2]int64{*e.Pid, *e.Tid}
			threads[k] = append(threads[k], e)
		}
	}
	depth := map[int64]int{}
	for _, thread := range threads {
		slices.SortStableFunc(thread, func(a, b traceEvent) int {
			if *a.Ts != *b.Ts {
				return int(*a.Ts - *b.Ts)
			}
			return int(*b.Dur - *a.Dur)
		})
		var open []int64 // ends of the enclosing slices
		for _, e := range thread {
			for len(open) > 0 && open[len(open)-1] <= *e.Ts {
				open = open[:len(open)-1]
			}
			end := *e.Ts + *e.Dur
			if len(open) > 0 && end > open[len(open)-1] {
				t.Fatalf("slice %s [%d, %d) overlaps its enclosing slice, which ends at %d", *e.Name, *e.Ts, end, open[len(open)-1])
			}
			depth[argInt(e, "call_id")] = len(open)
			open = append(open, end)
		}
	}
	return depth
}

func argInt(e traceEvent, key string) int64 {
	n, _ := e.Args[key].(float64)
	return int64(n)
}

// TestTraceEveryRun writes every run of the campaign as a trace and
// checks each against the format and against the dataset: a slice per
// call at its records on its segment's thread, nested at its depth,
// with its arguments; an instant per call cut short, per pre-entry
// return, per damage report, for a torn tail and a full buffer.
func TestTraceEveryRun(t *testing.T) {
	db := campaignDataset(t)
	needCases(t, db)
	tab, err := db.Query(context.Background(), "SELECT run_id FROM runs ORDER BY run_id", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range tab.Rows {
		run := r[0].(int64)
		var buf bytes.Buffer
		if err := WriteTrace(context.Background(), db, Filter{Runs: []string{fmt.Sprint(run)}}, &buf); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		tf, depth := validateTrace(t, buf.Bytes())
		compareTrace(t, db, run, tf, depth)
	}
}

// compareTrace holds a run's trace to its rows.
func compareTrace(t *testing.T, db *query.DB, run int64, tf *traceFile, depth map[int64]int) {
	t.Helper()
	calls := runCalls(t, db, run)
	byKind := map[string][]traceEvent{}
	for _, e := range tf.TraceEvents {
		byKind[kindOf(e)] = append(byKind[kindOf(e)], e)
	}
	if len(byKind["X"]) != len(calls) {
		t.Errorf("run %d: %d slices, %d calls", run, len(byKind["X"]), len(calls))
	}
	for _, e := range byKind["X"] {
		c := calls[argInt(e, "call_id")]
		if *e.Name != c.name || *e.Ts != c.first || *e.Dur != c.last-c.first+1 || *e.Tid != c.segment+1 ||
			depth[c.id] != c.depth || countArgs(e) != c.nargs {
			t.Errorf("run %d: slice %+v at depth %d, call %+v", run, e, depth[c.id], c)
		}
	}
	for _, e := range append(byKind["truncated"], byKind["no return"]...) {
		if c := calls[argInt(e, "call_id")]; *e.Ts != c.last || !strings.HasSuffix(*e.Name, ": "+c.name) || *e.S != "t" {
			t.Errorf("run %d: %s at %d, call %+v", run, *e.Name, *e.Ts, c)
		}
	}
	want := count(t, db, "SELECT count(*) FROM calls WHERE run_id = getvariable('run') AND status IN ('truncated', 'no_return')", query.Vars{"run": run})
	if got := int64(len(byKind["truncated"]) + len(byKind["no return"])); got != want {
		t.Errorf("run %d: %d instants of calls cut short, %d calls", run, got, want)
	}
	comparePreReturns(t, db, run, byKind["pre-entry return"])
	compareLosses(t, db, run, tf, byKind)
	if tf.Metadata["time"] != TimeNote || tf.Metadata["run_id"] != fmt.Sprint(run) {
		t.Errorf("run %d: metadata %v", run, tf.Metadata)
	}
}

// kindOf sorts events: the phase for slices and metadata, for
// instants the name up to its colon or number ("problem at word 22").
func kindOf(e traceEvent) string {
	if *e.Ph != "i" {
		return *e.Ph
	}
	kind, _, _ := strings.Cut(*e.Name, ":")
	return strings.TrimRight(kind, "0123456789 ")
}

func countArgs(e traceEvent) int64 {
	var n int64
	for k := range e.Args {
		if strings.HasPrefix(k, "arg") {
			n++
		}
	}
	return n
}

type callRow struct {
	id, segment, first, last, nargs int64
	depth                           int
	name                            string
}

func runCalls(t *testing.T, db *query.DB, run int64) map[int64]callRow {
	t.Helper()
	tab, err := db.Query(context.Background(), `SELECT call_id, segment, first_record, last_record, nargs, depth,
  coalesce(demangled, hexv(pc)) FROM calls WHERE run_id = getvariable('run')`, query.Vars{"run": run})
	if err != nil {
		t.Fatal(err)
	}
	calls := map[int64]callRow{}
	for _, r := range tab.Rows {
		c := callRow{id: r[0].(int64), segment: r[1].(int64), first: r[2].(int64), last: r[3].(int64), nargs: r[4].(int64),
			depth: int(r[5].(int64)), name: r[6].(string)}
		calls[c.id] = c
	}
	return calls
}

// comparePreReturns: an instant at each pre-entry return's record.
func comparePreReturns(t *testing.T, db *query.DB, run int64, events []traceEvent) {
	t.Helper()
	tab, err := db.Query(context.Background(), "SELECT idx, segment FROM records WHERE run_id = getvariable('run') AND kind = 'pre_ret' ORDER BY idx",
		query.Vars{"run": run})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != len(tab.Rows) {
		t.Fatalf("run %d: %d pre-entry return instants, %d records", run, len(events), len(tab.Rows))
	}
	for i, r := range tab.Rows {
		if e := events[i]; *e.Ts != r[0].(int64) || *e.Tid != r[1].(int64)+1 {
			t.Errorf("run %d: pre-entry return at %d on thread %d, the record is %v", run, *e.Ts, *e.Tid, r)
		}
	}
}

// compareLosses: a process instant for each problem runs.problems
// reports at a word, at the first record after that word, and for a
// torn tail and a full buffer after the last record.
func compareLosses(t *testing.T, db *query.DB, run int64, tf *traceFile, byKind map[string][]traceEvent) {
	t.Helper()
	problems, _ := tf.Metadata["problems"].(string)
	records := int64(tf.Metadata["records"].(float64))
	if got, want := len(byKind["problem at word"]), len(problemWord.FindAllString(problems, -1)); got != want {
		t.Errorf("run %d: %d problem instants, problems %q", run, got, problems)
	}
	for _, e := range byKind["problem at word"] {
		var word int64
		fmt.Sscanf(*e.Name, "problem at word %d", &word)
		vars := query.Vars{"run": run, "word": word}
		before := count(t, db, `SELECT count(*) FROM records WHERE run_id = getvariable('run') AND "offset" < getvariable('word')`, vars)
		if *e.Ts != before || *e.S != "p" || !strings.Contains(problems, fmt.Sprintf("word %d: %s", word, e.Args["problem"])) {
			t.Errorf("run %d: %s at record %d, %d records before the word", run, *e.Name, *e.Ts, before)
		}
	}
	torn, _ := tf.Metadata["torn_words"].(float64)
	full, _ := tf.Metadata["saturated"].(bool)
	for kind, want := range map[string]bool{"torn tail": torn > 0, "buffer full": full} {
		got := byKind[kind]
		switch {
		case !want && len(got) > 0, want && len(got) != 1:
			t.Errorf("run %d: %d %s instants", run, len(got), kind)
		case want && (*got[0].Ts != records || *got[0].S != "p"):
			t.Errorf("run %d: %s at %d, scope %s; %d records", run, kind, *got[0].Ts, *got[0].S, records)
		}
	}
}

// problemWord is how each of runs.problems' reports at a word starts.
var problemWord = regexp.MustCompile(`(?:^|; )word \d+: `)

// TestTraceOpensInDevTools opens a trace with the trace engine of Chrome
// DevTools' Performance panel (testdata/engines/trace.mjs): it must find
// every segment's thread, under its name, with every call's slice on it
// and a call tree built of them.
func TestTraceOpensInDevTools(t *testing.T) {
	db := campaignDataset(t)
	tab, err := db.Query(context.Background(), "SELECT run_id FROM calls GROUP BY run_id ORDER BY count(DISTINCT segment) DESC, count(*) DESC, run_id LIMIT 1", nil)
	if err != nil || len(tab.Rows) != 1 {
		t.Fatalf("a run with calls: %v", err)
	}
	run := tab.Rows[0][0].(int64)
	var buf bytes.Buffer
	if err := WriteTrace(context.Background(), db, Filter{Runs: []string{fmt.Sprint(run)}}, &buf); err != nil {
		t.Fatal(err)
	}
	tf, _ := validateTrace(t, buf.Bytes())
	type thread struct {
		Name   string `json:"name"`
		Slices int    `json:"slices"`
		Tree   bool   `json:"tree"`
	}
	want := map[int64]thread{}
	for _, e := range tf.TraceEvents {
		th := want[*e.Tid]
		switch {
		case *e.Ph == "M" && *e.Name == "thread_name":
			th.Name, th.Tree = e.Args["name"].(string), true
		case *e.Ph == "X":
			th.Slices++
		default:
			continue
		}
		want[*e.Tid] = th
	}
	if len(want) < 2 {
		t.Fatalf("run %d has %d threads: the test wants several", run, len(want))
	}
	file := filepath.Join(t.TempDir(), "trace.json")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := engines.Node(t, []string{"@paulirish/trace_engine"}, "trace.mjs", file)
	var got struct {
		Threads []struct {
			Tid int64 `json:"tid"`
			thread
		} `json:"threads"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node trace.mjs printed no JSON: %v\n%s", err, out)
	}
	seen := map[int64]thread{}
	for _, th := range got.Threads {
		seen[th.Tid] = th.thread
	}
	for tid, w := range want {
		if g, ok := seen[tid]; !ok || g != w {
			t.Errorf("run %d, thread %d: DevTools found %+v (present %v), the trace has %+v", run, tid, g, ok, w)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("run %d: DevTools found %d threads, the trace has %d", run, len(seen), len(want))
	}
}
