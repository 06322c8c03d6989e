package pipeline

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/schema"
	"github.com/kdf-tools/kdf/transform/pair"
	"github.com/kdf-tools/kdf/transform/types"
)

// callCols accumulates the calls table's rows, of many runs. Calls
// arrive as they close, not in ID order.
type callCols struct {
	dict    symbolDict
	rows    []callRow
	preRets map[int64]uint64 // the current run's pre-entry return values by the call they precede
}

type callRow struct {
	runID  int64
	syms   symbolCols
	names  *runNames
	call   *pair.Call
	fn     int32
	preRet uint64
	hasPre bool
}

func (c *callCols) add(runID int64, syms symbolCols, names *runNames, call *pair.Call, fn int32) {
	row := callRow{runID: runID, syms: syms, names: names, call: call, fn: fn}
	if v, ok := c.preRets[call.ID]; ok {
		row.preRet, row.hasPre = v, true
		delete(c.preRets, call.ID)
	}
	c.rows = append(c.rows, row)
}

func (c *callCols) len() int { return len(c.rows) }

func (c *callCols) build(mem memory.Allocator) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema.Calls.Schema())
	defer b.Release()
	n := len(c.rows)
	reserve(b, n)
	f := builders{b, schema.Calls}
	runID := f.int64("run_id")
	callID, parent, first, last, recs := f.int64("call_id"), f.int64("parent_id"), f.int64("first_record"), f.int64("last_record"), f.int64("records")
	depth, seg, nargs := f.int32("depth"), f.int32("segment"), f.int32("nargs")
	pc, pre := f.uint64("pc"), f.uint64("pre_ret")
	args, sizes := f.list("args"), f.list("arg_sizes")
	ret, retSize := f.uint64("ret"), f.get("ret_size").(*array.Uint8Builder)
	c.dict.reset(n)
	statuses := make([]pair.Status, 0, n)
	argNames, retType := f.list("arg_names"), f.string("ret_type")
	for _, r := range c.rows {
		call := r.call
		runID.UnsafeAppend(r.runID)
		c.dict.add(r.syms, r.fn)
		callID.UnsafeAppend(call.ID)
		parent.UnsafeAppend(call.Parent)
		depth.UnsafeAppend(call.Depth)
		seg.UnsafeAppend(call.Segment)
		pc.UnsafeAppend(call.PC)
		statuses = append(statuses, call.Status)
		nargs.UnsafeAppend(int32(len(call.Args)))
		appendArgs(args, sizes, call.Args)
		appendRet(ret, retSize, call.Ret)
		appendCallNames(argNames, retType, r.names, r.fn, call)
		if r.hasPre {
			pre.Append(r.preRet)
		} else {
			pre.AppendNull()
		}
		first.UnsafeAppend(call.First)
		last.UnsafeAppend(call.Last)
		recs.UnsafeAppend(call.Records())
	}
	clear(c.rows) // drop the calls for the collector
	c.rows = c.rows[:0]
	fn, dem, mod := c.dict.arrays(mem)
	t := schema.Calls
	return assemble(callsSchema, b, map[int]arrow.Array{t.Index("func"): fn, t.Index("demangled"): dem,
		t.Index("module"): mod, t.Index("status"): codeArray(mem, statuses, statusNames())}, n)
}

// statusNames are the calls table's statuses, by pair.Status.
func statusNames() []string {
	names := make([]string, len(pair.Statuses))
	for i, st := range pair.Statuses {
		names[i] = st.String()
	}
	return names
}

func appendArgs(vals, sizes *array.ListBuilder, args []pair.Value) {
	vals.Append(true)
	sizes.Append(true)
	vb := vals.ValueBuilder().(*array.Uint64Builder)
	sb := sizes.ValueBuilder().(*array.Uint8Builder)
	for _, a := range args {
		vb.Append(a.Values[0])
		sb.Append(a.Size)
	}
}

// appendCallNames appends a call's argument names and return type: a
// name only for an argument whose record agrees with the prototype.
func appendCallNames(names *array.ListBuilder, ret *array.StringBuilder, rn *runNames, fn int32, call *pair.Call) {
	var p *types.Proto
	if rn.names() {
		p = rn.table.get(fn)
	}
	if p == nil {
		names.AppendNull()
		ret.AppendNull()
		return
	}
	names.Append(true)
	vb := names.ValueBuilder().(*array.StringBuilder)
	for _, a := range call.Args {
		if types.Check(p, ingest.KindEntry, rn.layout, a.Idx, a.Size, len(a.Values)) == types.Agrees {
			appendName(vb, p.Params[a.Idx].Name)
		} else {
			vb.AppendNull()
		}
	}
	ret.Append(p.Ret.C)
}

func appendRet(ret *array.Uint64Builder, size *array.Uint8Builder, v *pair.Value) {
	if v == nil {
		ret.AppendNull()
		size.AppendNull()
		return
	}
	ret.Append(v.Values[0])
	size.Append(v.Size)
}
