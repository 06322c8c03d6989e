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
	dict     symbolDict
	retType  stringDictCol
	argNames stringListCol
	rows     []callRow
	preRets  map[int64]uint64 // the current run's pre-entry return values by the call they precede
	// The columns of a lent batch, reused from batch to batch.
	runID, callID, parent, first, last, recs []int64
	depth, seg, nargs, argOffs, statusIdx    []int32
	pc, ret, pre, args                       []uint64
	retSize, sizes                           []uint8
	hasRet, hasPre                           []bool
	statuses                                 []pair.Status
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

// build turns the pending calls into an Arrow batch. A lent batch is
// valid until the next build.
func (c *callCols) build(mem memory.Allocator, b batchSlices) arrow.RecordBatch {
	n := len(c.rows)
	rb := array.NewRecordBuilder(mem, schema.Calls.Schema())
	defer rb.Release()
	c.argNames.reset(n)
	c.dict.reset(n)
	c.retType.reset(n)
	var (
		runID, callID, parent = scratch(b, &c.runID, n), scratch(b, &c.callID, n), scratch(b, &c.parent, n)
		first, last, recs     = scratch(b, &c.first, n), scratch(b, &c.last, n), scratch(b, &c.recs, n)
		depth, seg, nargs     = scratch(b, &c.depth, n), scratch(b, &c.seg, n), scratch(b, &c.nargs, n)
		pc, ret, pre          = scratch(b, &c.pc, n), scratch(b, &c.ret, n), scratch(b, &c.pre, n)
		retSize               = scratch(b, &c.retSize, n)
		hasRet, hasPre        = scratch(b, &c.hasRet, n), scratch(b, &c.hasPre, n)
		statuses              = scratch(b, &c.statuses, n)
		argOffs               = scratch(b, &c.argOffs, n+1)
		args                  = scratch(b, &c.args, 0)
		sizes                 = scratch(b, &c.sizes, 0)
	)
	argOffs[0] = 0
	for i, r := range c.rows {
		call := r.call
		runID[i], callID[i], parent[i] = r.runID, call.ID, call.Parent
		first[i], last[i], recs[i] = call.First, call.Last, call.Records()
		depth[i], seg[i], nargs[i] = call.Depth, call.Segment, int32(len(call.Args))
		pc[i], statuses[i] = call.PC, call.Status
		pre[i], hasPre[i] = r.preRet, r.hasPre
		ret[i], retSize[i], hasRet[i] = 0, 0, call.Ret != nil
		if call.Ret != nil {
			ret[i], retSize[i] = call.Ret.Values[0], call.Ret.Size
		}
		for _, a := range call.Args {
			args, sizes = append(args, a.Values[0]), append(sizes, a.Size)
		}
		argOffs[i+1] = int32(len(args))
		c.dict.add(r.syms, r.fn)
		appendCallNames(&c.argNames, &c.retType, r.names, r.fn, call)
	}
	if b == lent {
		c.args, c.sizes = args, sizes // grown: kept for the next batch
	}
	clear(c.rows) // drop the calls for the collector
	c.rows = c.rows[:0]
	t := schema.Calls
	typ := func(name string) arrow.DataType { return callsSchema.Field(t.Index(name)).Type }
	fn, dem, mod := c.dict.arrays(mem, b)
	return assemble(callsSchema, rb, map[int]arrow.Array{
		t.Index("run_id"):       ownedArray(typ("run_id"), runID, nil),
		t.Index("call_id"):      ownedArray(typ("call_id"), callID, nil),
		t.Index("parent_id"):    ownedArray(typ("parent_id"), parent, nil),
		t.Index("depth"):        ownedArray(typ("depth"), depth, nil),
		t.Index("segment"):      ownedArray(typ("segment"), seg, nil),
		t.Index("pc"):           ownedArray(typ("pc"), pc, nil),
		t.Index("func"):         fn,
		t.Index("demangled"):    dem,
		t.Index("module"):       mod,
		t.Index("status"):       codeArray(mem, b, statuses, statusNames(), &c.statusIdx),
		t.Index("nargs"):        ownedArray(typ("nargs"), nargs, nil),
		t.Index("args"):         ownedListArray(typ("args").(*arrow.ListType), argOffs, args, nil),
		t.Index("arg_sizes"):    ownedListArray(typ("arg_sizes").(*arrow.ListType), argOffs, sizes, nil),
		t.Index("ret"):          ownedArray(typ("ret"), ret, hasRet),
		t.Index("ret_size"):     ownedArray(typ("ret_size"), retSize, hasRet),
		t.Index("pre_ret"):      ownedArray(typ("pre_ret"), pre, hasPre),
		t.Index("first_record"): ownedArray(typ("first_record"), first, nil),
		t.Index("last_record"):  ownedArray(typ("last_record"), last, nil),
		t.Index("records"):      ownedArray(typ("records"), recs, nil),
		t.Index("ret_type"):     c.retType.array(mem, b),
		t.Index("arg_names"):    c.argNames.array(mem, b),
	}, n)
}

// statusNames are the calls table's statuses, by pair.Status.
func statusNames() []string {
	names := make([]string, len(pair.Statuses))
	for i, st := range pair.Statuses {
		names[i] = st.String()
	}
	return names
}

// appendCallNames appends a call's argument names and return type: a
// name only for an argument whose record agrees with the prototype.
func appendCallNames(names *stringListCol, ret *stringDictCol, rn *runNames, fn int32, call *pair.Call) {
	var p *types.Proto
	if rn.names() {
		p = rn.table.get(fn)
	}
	if p == nil {
		names.nulls(1)
		ret.nulls(1)
		return
	}
	for _, a := range call.Args {
		agrees := types.Check(p, ingest.KindEntry, rn.layout, a.Idx, a.Size, len(a.Values)) == types.Agrees
		name := ""
		if agrees {
			name = p.Params[a.Idx].Name
		}
		names.elems.addOpt(name, name != "")
	}
	names.end()
	ret.add(p.Ret.C)
}
