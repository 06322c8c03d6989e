package export

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kdf-tools/kdf/query"
)

// Stacks are the call stacks of the selected runs, aggregated over
// runs: what pprof and flame graphs draw.
type Stacks struct {
	// Frames are the distinct functions, ordered by module then name.
	Frames []Frame
	// Stacks are the distinct stacks some kept call ends, ordered by
	// their frames' labels, root first.
	Stacks []Stack
	// Runs is how many runs were read.
	Runs int64
}

// Frame is one function of a stack.
type Frame struct {
	// Name is the function demangled, or its pc in hex when it did not
	// resolve to a function.
	Name string
	// Symbol is the function as the symbol table names it (mangled).
	Symbol string
	// Module is the function's module, "" for the core kernel.
	Module string
}

// Stack is one distinct call stack and what the calls at its leaf
// cost.
type Stack struct {
	// Frames index Stacks.Frames, root first.
	Frames []int
	// Records are the records the leaf's calls wrote themselves: their
	// records minus their callees'. Summed up a stack, as pprof and
	// flame graphs do, they give each caller its records, callees
	// included, as calls.records has them.
	Records int64
	// Calls are the leaf's calls.
	Calls int64
}

// selectedCalls is the calls of the selected runs, each with its frame
// (module and name) and whether the call filters pick it. It is read
// twice, and NOT MATERIALIZED has DuckDB scan the calls twice rather
// than hold every selected call, names included, in memory: a third
// less memory on a campaign of 10 million records.
const selectedCalls = `WITH c AS NOT MATERIALIZED (
  SELECT dataset, run_id, call_id, parent_id, module, records,
         coalesce(demangled, hexv(pc)) AS name, coalesce(func, hexv(pc)) AS symbol,
         %s AS picked
  FROM calls
  WHERE run_id IN (SELECT run_id FROM runs WHERE %s)
),
frames AS (
  SELECT module, name, min(symbol) AS symbol, row_number() OVER (ORDER BY module, name) - 1 AS frame
  FROM c
  GROUP BY module, name
)
`

// framesQuery numbers the frames, as callsQuery does.
const framesQuery = `SELECT frame, name, symbol, module FROM frames ORDER BY frame`

// callsQuery is every call of the selected runs in order, a run's calls
// together and each after its parent (call_ids grow with first
// records), with its frame's number.
const callsQuery = `SELECT c.run_id, c.call_id, c.parent_id, f.frame, c.records, c.picked
FROM c JOIN frames f USING (module, name)
ORDER BY c.dataset, c.run_id, c.call_id`

// ReadStacks reads the call stacks of the runs and calls the filter
// selects. A call's stack is its chain of callers (parent_id) to the
// top of its run; the filter's call conditions keep the calls they
// pick and everything those calls called, each with its whole stack,
// as pprof's -focus does.
//
// DuckDB selects the calls, numbers the frames and sorts the calls; the
// stacks are built here from the calls streamed in order, so memory
// grows with the distinct stacks and the largest run, not the dataset.
func ReadStacks(ctx context.Context, db *query.DB, f Filter) (*Stacks, error) {
	runs, err := f.check(ctx, db)
	if err != nil {
		return nil, err
	}
	runCond, vars := f.runs()
	callCond, callVars := f.calls()
	for k, v := range callVars {
		vars[k] = v
	}
	with := fmt.Sprintf(selectedCalls, callCond, runCond)
	s := &Stacks{Runs: runs}
	if s.Frames, err = readFrames(ctx, db, with+framesQuery, vars); err != nil {
		return nil, err
	}
	b := newBuilder()
	if err := b.read(ctx, db, with+callsQuery, vars); err != nil {
		return nil, err
	}
	s.Stacks = b.stacks()
	s.sort()
	if len(s.Stacks) == 0 && f.selectsCalls() {
		return nil, fmt.Errorf("no call of the %d runs selected matches %s", runs, f.describeCalls())
	}
	return s, nil
}

func readFrames(ctx context.Context, db *query.DB, q string, vars query.Vars) ([]Frame, error) {
	t, err := db.Query(ctx, q, vars)
	if err != nil {
		return nil, fmt.Errorf("export: frames: %w", err)
	}
	frames := make([]Frame, len(t.Rows))
	for i, r := range t.Rows {
		if r[0].(int64) != int64(i) {
			return nil, fmt.Errorf("export: frame %v numbered %d", r[0], i)
		}
		frames[i] = Frame{Name: r[1].(string), Symbol: r[2].(string), Module: r[3].(string)}
	}
	return frames, nil
}

// builder turns calls, streamed run by run in call order, into a tree
// of distinct stacks.
type builder struct {
	nodes []node
	child map[edge]int32
	// The current run: each call's node, and whether it is kept.
	run  int64
	at   []int32
	kept []bool
}

// node is one distinct stack: its caller's stack and its leaf frame.
type node struct {
	parent, frame  int32
	records, calls int64
}

type edge struct{ parent, frame int32 }

func newBuilder() *builder { return &builder{child: map[edge]int32{}} }

func (b *builder) read(ctx context.Context, db *query.DB, q string, vars query.Vars) error {
	rows, err := db.Rows(ctx, q, vars)
	if err != nil {
		return fmt.Errorf("export: calls: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r := rows.Row()
		c := call{run: r[0].(int64), id: r[1].(int64), parent: r[2].(int64), frame: r[3].(int64), records: r[4].(int64), picked: r[5] == true}
		if err := b.add(c); err != nil {
			return err
		}
	}
	return rows.Err()
}

// call is one row of callsQuery.
type call struct {
	run, id, parent, frame, records int64
	picked                          bool
}

// add puts a call under its parent's stack. A kept call adds its
// records to its stack and takes them off its parent's, so that each
// stack holds what its calls wrote themselves: their records (a span
// from first to last record) minus their children's. Calls come in
// order, so a call_id that does not grow starts the next run (the same
// run in another dataset keeps its run_id).
func (b *builder) add(c call) error {
	if c.run != b.run || c.id < int64(len(b.at)) {
		b.run, b.at, b.kept = c.run, b.at[:0], b.kept[:0]
	}
	if c.id != int64(len(b.at)) {
		return fmt.Errorf("export: run %d: call %d follows call %d: a run's calls are numbered from 0", c.run, c.id, len(b.at)-1)
	}
	parent, inherited := int32(-1), false
	if c.parent >= 0 {
		if c.parent >= c.id {
			return fmt.Errorf("export: run %d: call %d has parent %d, which is not a call before it", c.run, c.id, c.parent)
		}
		parent, inherited = b.at[c.parent], b.kept[c.parent]
	}
	n := b.node(parent, int32(c.frame))
	keep := c.picked || inherited
	b.at, b.kept = append(b.at, n), append(b.kept, keep)
	if keep {
		b.nodes[n].records += c.records
		b.nodes[n].calls++
	}
	if inherited {
		b.nodes[parent].records -= c.records
	}
	return nil
}

// node returns the stack of frame called from parent, made on first
// use.
func (b *builder) node(parent, frame int32) int32 {
	e := edge{parent, frame}
	if n, ok := b.child[e]; ok {
		return n
	}
	n := int32(len(b.nodes))
	b.nodes = append(b.nodes, node{parent: parent, frame: frame})
	b.child[e] = n
	return n
}

// stacks returns the stacks some kept call ends.
func (b *builder) stacks() []Stack {
	var out []Stack
	for i, n := range b.nodes {
		if n.calls == 0 {
			continue
		}
		var frames []int
		for j := int32(i); j >= 0; j = b.nodes[j].parent {
			frames = append(frames, int(b.nodes[j].frame))
		}
		slices.Reverse(frames)
		out = append(out, Stack{Frames: frames, Records: n.records, Calls: n.calls})
	}
	return out
}

// sort orders the stacks as their folded lines read.
func (s *Stacks) sort() {
	labels := make([]string, len(s.Frames))
	for i, f := range s.Frames {
		labels[i] = f.Label()
	}
	slices.SortFunc(s.Stacks, func(a, b Stack) int {
		return slices.CompareFunc(a.Frames, b.Frames, func(x, y int) int { return strings.Compare(labels[x], labels[y]) })
	})
}

// Total returns the records and calls of every stack.
func (s *Stacks) Total() (records, calls int64) {
	for _, st := range s.Stacks {
		records += st.Records
		calls += st.Calls
	}
	return records, calls
}

// Label names a frame as kdf tree does: the function, then its module
// in brackets when it is not the core kernel's.
func (f Frame) Label() string {
	if f.Module == "" {
		return f.Name
	}
	return f.Name + " [" + f.Module + "]"
}
