package export

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kdf-tools/kdf/query"
)

// TimeNote says what a trace's time is; the trace's metadata and its
// process carry it.
const TimeNote = "time is the record index, 1 record = 1 µs: buffers have no timestamps"

// The trace's process and its threads: a run is the process, each of
// its segments (a task or work item) a thread, numbered from 1.
const tracePID = 1

func segmentTID(segment int64) int64 { return segment + 1 }

// event is one event of the Trace Event Format. Which fields a phase
// needs is the format's: X (a complete slice) ts and dur, i (an
// instant) ts and its scope s, M (metadata) args.
type event struct {
	Name string         `json:"name"`
	Cat  string         `json:"cat,omitempty"`
	Ph   string         `json:"ph"`
	Ts   int64          `json:"ts"`
	Dur  int64          `json:"dur,omitempty"`
	Pid  int            `json:"pid"`
	Tid  int64          `json:"tid"`
	S    string         `json:"s,omitempty"`
	Args map[string]any `json:"args,omitempty"`
}

// traceRun is the run a trace shows, with what its buffer lost.
type traceRun struct {
	id                                 int64
	dataset, campaign, source, path    string
	layout, problems                   string
	records, segments                  int64
	damagedWords, damageEvents, tornWs int64
	torn, saturated                    bool
}

const traceRunQuery = `SELECT run_id, dataset, campaign, source, path, layout, coalesce(problems, ''),
       records, segments, damaged_words, damage_events, torn_words, torn, saturated
FROM runs WHERE %s ORDER BY dataset`

// WriteTrace writes the calls of the one run the filter selects as a
// trace in the Trace Event Format (JSON), which the Perfetto UI and
// chrome://tracing open: a slice per call on its segment's thread,
// nested by depth, with its arguments and return value in hex as the
// slice's args; instants mark calls cut short (truncated, no_return),
// pre-entry returns, and, on the process, what the buffer lost
// (damage, a torn tail, a full buffer). Time is the record index (see
// TimeNote). Events are written as they are read: the trace of a huge
// run costs no memory beyond its rows.
func WriteTrace(ctx context.Context, db *query.DB, f Filter, w io.Writer) error {
	if f.selectsCalls() {
		return errors.New("a trace shows a whole run: --func and --where select calls for stacks")
	}
	run, err := readTraceRun(ctx, db, f)
	if err != nil {
		return err
	}
	tw := &traceWriter{w: bufio.NewWriter(w), run: run}
	tw.begin()
	for _, step := range []func(context.Context, *query.DB) error{tw.calls, tw.preReturns, tw.losses} {
		if err := step(ctx, db); err != nil {
			return err
		}
	}
	return tw.end()
}

func readTraceRun(ctx context.Context, db *query.DB, f Filter) (*traceRun, error) {
	if _, err := f.check(ctx, db); err != nil {
		return nil, err
	}
	cond, vars := f.runs()
	t, err := db.Query(ctx, fmt.Sprintf(traceRunQuery, cond), vars)
	if err != nil {
		return nil, err
	}
	if len(t.Rows) != 1 {
		var names []string
		for _, r := range t.Rows {
			names = append(names, fmt.Sprintf("%v (%v:%v)", r[0], r[3], r[4]))
		}
		return nil, fmt.Errorf("a trace shows one run, and %s selects %d: %s; give --run with one run_id", f.describeRuns(), len(t.Rows), strings.Join(names, ", "))
	}
	r := t.Rows[0]
	return &traceRun{
		id: r[0].(int64), dataset: r[1].(string), campaign: r[2].(string), source: r[3].(string), path: r[4].(string),
		layout: r[5].(string), problems: r[6].(string), records: r[7].(int64), segments: r[8].(int64),
		damagedWords: r[9].(int64), damageEvents: r[10].(int64), tornWs: r[11].(int64), torn: r[12] == true, saturated: r[13] == true,
	}, nil
}

// traceWriter writes a trace's JSON, an event at a time; the first
// error stops it.
type traceWriter struct {
	w   *bufio.Writer
	run *traceRun
	n   int
	err error
}

func (t *traceWriter) vars() query.Vars { return query.Vars{"run": t.run.id} }

func (t *traceWriter) emit(e event) {
	if t.err != nil {
		return
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.err = err
		return
	}
	if t.n > 0 {
		t.w.WriteString(",\n")
	}
	t.n++
	_, t.err = t.w.Write(b)
}

// begin opens the event list and names the process and its threads.
func (t *traceWriter) begin() {
	t.w.WriteString("{\"traceEvents\": [\n")
	r := t.run
	t.emit(event{Name: "process_name", Ph: "M", Pid: tracePID, Args: map[string]any{"name": fmt.Sprintf("run %d %s:%s", r.id, r.source, r.path)}})
	t.emit(event{Name: "process_labels", Ph: "M", Pid: tracePID, Args: map[string]any{"labels": TimeNote}})
	for s := range r.segments {
		t.emit(event{Name: "thread_name", Ph: "M", Pid: tracePID, Tid: segmentTID(s), Args: map[string]any{"name": fmt.Sprintf("segment %d", s)}})
		t.emit(event{Name: "thread_sort_index", Ph: "M", Pid: tracePID, Tid: segmentTID(s), Args: map[string]any{"sort_index": s}})
	}
}

// end closes the event list and writes the trace's metadata.
func (t *traceWriter) end() error {
	r := t.run
	meta := map[string]any{
		"time": TimeNote, "run_id": strconv.FormatInt(r.id, 10), "dataset": r.dataset, "campaign": r.campaign,
		"source": r.source, "path": r.path, "layout": r.layout, "records": r.records, "segments": r.segments,
		"damaged_words": r.damagedWords, "damage_events": r.damageEvents, "torn_words": r.tornWs, "saturated": r.saturated,
		"problems": r.problems,
	}
	b, err := json.Marshal(meta)
	if t.err == nil {
		t.err = err
	}
	if t.err != nil {
		return t.err
	}
	fmt.Fprintf(t.w, "\n],\n\"metadata\": %s}\n", b)
	return t.w.Flush()
}
