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
	retType stringDictCol
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
	n := len(c.rows)
	b := array.NewRecordBuilder(mem, schema.Calls.Schema())
	defer b.Release()
	argNames := builders{b, schema.Calls}.list("arg_names")
	argNames.Reserve(n)
	c.dict.reset(n)
	c.retType.reset(n)
	var (
		runID, callID, parent = make([]int64, n), make([]int64, n), make([]int64, n)
		first, last, recs     = make([]int64, n), make([]int64, n), make([]int64, n)
		depth, seg, nargs     = make([]int32, n), make([]int32, n), make([]int32, n)
		pc, ret, pre          = make([]uint64, n), make([]uint64, n), make([]uint64, n)
		retSize               = make([]uint8, n)
		hasRet, hasPre        = make([]bool, n), make([]bool, n)
		statuses              = make([]pair.Status, n)
		argOffs               = make([]int32, n+1)
		args                  []uint64
		sizes                 []uint8
	)
	for i, r := range c.rows {
		call := r.call
		runID[i], callID[i], parent[i] = r.runID, call.ID, call.Parent
		first[i], last[i], recs[i] = call.First, call.Last, call.Records()
		depth[i], seg[i], nargs[i] = call.Depth, call.Segment, int32(len(call.Args))
		pc[i], statuses[i] = call.PC, call.Status
		pre[i], hasPre[i] = r.preRet, r.hasPre
		if call.Ret != nil {
			ret[i], retSize[i], hasRet[i] = call.Ret.Values[0], call.Ret.Size, true
		}
		for _, a := range call.Args {
			args, sizes = append(args, a.Values[0]), append(sizes, a.Size)
		}
		argOffs[i+1] = int32(len(args))
		c.dict.add(r.syms, r.fn)
		appendCallNames(argNames, &c.retType, r.names, r.fn, call)
	}
	clear(c.rows) // drop the calls for the collector
	c.rows = c.rows[:0]
	t := schema.Calls
	typ := func(name string) arrow.DataType { return callsSchema.Field(t.Index(name)).Type }
	fn, dem, mod := c.dict.arrays(mem)
	return assemble(callsSchema, b, map[int]arrow.Array{
		t.Index("run_id"):       ownedArray(typ("run_id"), runID, nil),
		t.Index("call_id"):      ownedArray(typ("call_id"), callID, nil),
		t.Index("parent_id"):    ownedArray(typ("parent_id"), parent, nil),
		t.Index("depth"):        ownedArray(typ("depth"), depth, nil),
		t.Index("segment"):      ownedArray(typ("segment"), seg, nil),
		t.Index("pc"):           ownedArray(typ("pc"), pc, nil),
		t.Index("func"):         fn,
		t.Index("demangled"):    dem,
		t.Index("module"):       mod,
		t.Index("status"):       codeArray(mem, statuses, statusNames()),
		t.Index("nargs"):        ownedArray(typ("nargs"), nargs, nil),
		t.Index("args"):         ownedListArray(typ("args").(*arrow.ListType), argOffs, args, nil),
		t.Index("arg_sizes"):    ownedListArray(typ("arg_sizes").(*arrow.ListType), argOffs, sizes, nil),
		t.Index("ret"):          ownedArray(typ("ret"), ret, hasRet),
		t.Index("ret_size"):     ownedArray(typ("ret_size"), retSize, hasRet),
		t.Index("pre_ret"):      ownedArray(typ("pre_ret"), pre, hasPre),
		t.Index("first_record"): ownedArray(typ("first_record"), first, nil),
		t.Index("last_record"):  ownedArray(typ("last_record"), last, nil),
		t.Index("records"):      ownedArray(typ("records"), recs, nil),
		t.Index("ret_type"):     c.retType.array(mem),
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
func appendCallNames(names *array.ListBuilder, ret *stringDictCol, rn *runNames, fn int32, call *pair.Call) {
	var p *types.Proto
	if rn.names() {
		p = rn.table.get(fn)
	}
	if p == nil {
		names.AppendNull()
		ret.nulls(1)
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
	ret.add(p.Ret.C)
}
