package pipeline

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/internal/buf"
	"github.com/kdf-tools/kdf/schema"
	"github.com/kdf-tools/kdf/transform/pair"
	"github.com/kdf-tools/kdf/transform/types"
)

// callCols accumulates the calls table's rows, of many runs, column by
// column as calls close (not in ID order): a call is not kept once its
// row is added.
type callCols struct {
	dict     symbolDict
	retType  stringDictCol
	argNames stringListCol
	preRets  map[int64]uint64 // the current run's pre-entry return values by the call they precede

	runID, callID, parent, first, last, recs []int64
	depth, seg, nargs                        []int32
	argOffs                                  []int32 // row i's args are args[argOffs[i]:argOffs[i+1]]
	pc, ret, pre, args                       []uint64
	retSize, sizes                           []uint8
	hasRet, hasPre                           []bool
	statuses                                 []pair.Status
	statusIdx                                []int32 // scratch of the status column
	// What naming needs, done when the batch is built: a run's names
	// are decided on all of its records checked by then.
	names     []*runNames
	fn        []int32
	argIdx    []uint8
	argValues []int32
}

func (c *callCols) add(runID int64, syms symbolCols, names *runNames, call *pair.Call, fn int32) {
	c.runID, c.callID, c.parent = append(c.runID, runID), append(c.callID, call.ID), append(c.parent, call.Parent)
	c.first, c.last, c.recs = append(c.first, call.First), append(c.last, call.Last), append(c.recs, call.Records())
	c.depth, c.seg, c.nargs = append(c.depth, call.Depth), append(c.seg, call.Segment), append(c.nargs, int32(len(call.Args)))
	c.pc, c.statuses = append(c.pc, call.PC), append(c.statuses, call.Status)
	var ret uint64
	var retSize uint8
	if call.Ret != nil {
		ret, retSize = call.Ret.Values[0], call.Ret.Size
	}
	c.ret, c.retSize, c.hasRet = append(c.ret, ret), append(c.retSize, retSize), append(c.hasRet, call.Ret != nil)
	pre, hasPre := c.preRets[call.ID]
	if hasPre {
		delete(c.preRets, call.ID)
	}
	c.pre, c.hasPre = append(c.pre, pre), append(c.hasPre, hasPre)
	n := len(call.Args)
	c.args, c.sizes = buf.Reserve(c.args, n), buf.Reserve(c.sizes, n)
	c.argIdx, c.argValues = buf.Reserve(c.argIdx, n), buf.Reserve(c.argValues, n)
	for _, a := range call.Args {
		c.args, c.sizes = append(c.args, a.Values[0]), append(c.sizes, a.Size)
		c.argIdx, c.argValues = append(c.argIdx, a.Idx), append(c.argValues, int32(len(a.Values)))
	}
	c.argOffs = append(c.argOffs, int32(len(c.args)))
	c.names, c.fn = append(c.names, names), append(c.fn, fn)
	c.dict.add(syms, fn)
}

// reserve makes room for n more calls, as recordCols.reserve does.
func (c *callCols) reserve(n int) {
	c.runID, c.callID, c.parent = buf.Reserve(c.runID, n), buf.Reserve(c.callID, n), buf.Reserve(c.parent, n)
	c.first, c.last, c.recs = buf.Reserve(c.first, n), buf.Reserve(c.last, n), buf.Reserve(c.recs, n)
	c.depth, c.seg, c.nargs = buf.Reserve(c.depth, n), buf.Reserve(c.seg, n), buf.Reserve(c.nargs, n)
	c.pc, c.ret, c.pre = buf.Reserve(c.pc, n), buf.Reserve(c.ret, n), buf.Reserve(c.pre, n)
	c.retSize, c.hasRet, c.hasPre = buf.Reserve(c.retSize, n), buf.Reserve(c.hasRet, n), buf.Reserve(c.hasPre, n)
	c.statuses, c.argOffs = buf.Reserve(c.statuses, n), buf.Reserve(c.argOffs, n)
	c.names, c.fn = buf.Reserve(c.names, n), buf.Reserve(c.fn, n)
}

func (c *callCols) len() int { return len(c.callID) }

// reset drops every row, keeping the columns' memory.
func (c *callCols) reset() {
	c.runID, c.callID, c.parent = c.runID[:0], c.callID[:0], c.parent[:0]
	c.first, c.last, c.recs = c.first[:0], c.last[:0], c.recs[:0]
	c.depth, c.seg, c.nargs = c.depth[:0], c.seg[:0], c.nargs[:0]
	c.pc, c.statuses = c.pc[:0], c.statuses[:0]
	c.ret, c.retSize, c.hasRet = c.ret[:0], c.retSize[:0], c.hasRet[:0]
	c.pre, c.hasPre = c.pre[:0], c.hasPre[:0]
	c.args, c.sizes, c.argOffs = c.args[:0], c.sizes[:0], append(c.argOffs[:0], 0)
	clear(c.names) // drop the runs' prototype tables for the collector
	c.names, c.fn, c.argIdx, c.argValues = c.names[:0], c.fn[:0], c.argIdx[:0], c.argValues[:0]
	c.dict.reset(0)
	c.retType.reset(0)
	c.argNames.reset(0)
}

// build turns the pending calls into an Arrow batch; reset drops them.
// A lent batch is valid until then.
func (c *callCols) build(mem memory.Allocator, b batchSlices) arrow.RecordBatch {
	n := c.len()
	rb := array.NewRecordBuilder(mem, schema.Calls.Schema())
	defer rb.Release()
	for i := range n {
		c.appendNames(i)
	}
	t := schema.Calls
	typ := func(name string) arrow.DataType { return callsSchema[b].Field(t.Index(name)).Type }
	fn, dem, mod := c.dict.arrays(mem, b)
	return assemble(callsSchema[b], rb, map[int]arrow.Array{
		t.Index("run_id"):       fixedArray(b, typ("run_id"), c.runID, nil),
		t.Index("call_id"):      fixedArray(b, typ("call_id"), c.callID, nil),
		t.Index("parent_id"):    fixedArray(b, typ("parent_id"), c.parent, nil),
		t.Index("depth"):        fixedArray(b, typ("depth"), c.depth, nil),
		t.Index("segment"):      fixedArray(b, typ("segment"), c.seg, nil),
		t.Index("pc"):           fixedArray(b, typ("pc"), c.pc, nil),
		t.Index("func"):         fn,
		t.Index("demangled"):    dem,
		t.Index("module"):       mod,
		t.Index("status"):       codeArray(mem, b, c.statuses, statusNames(), &c.statusIdx),
		t.Index("nargs"):        fixedArray(b, typ("nargs"), c.nargs, nil),
		t.Index("args"):         ownedListArray(typ("args").(*arrow.ListType), of(b, c.argOffs), of(b, c.args), nil),
		t.Index("arg_sizes"):    ownedListArray(typ("arg_sizes").(*arrow.ListType), of(b, c.argOffs), of(b, c.sizes), nil),
		t.Index("ret"):          fixedArray(b, typ("ret"), c.ret, c.hasRet),
		t.Index("ret_size"):     fixedArray(b, typ("ret_size"), c.retSize, c.hasRet),
		t.Index("pre_ret"):      fixedArray(b, typ("pre_ret"), c.pre, c.hasPre),
		t.Index("first_record"): fixedArray(b, typ("first_record"), c.first, nil),
		t.Index("last_record"):  fixedArray(b, typ("last_record"), c.last, nil),
		t.Index("records"):      fixedArray(b, typ("records"), c.recs, nil),
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

// appendNames appends row i's argument names and return type: a name
// only for an argument whose record agrees with the prototype.
func (c *callCols) appendNames(i int) {
	rn := c.names[i]
	var p *types.Proto
	if rn.names() {
		p = rn.table.get(c.fn[i])
	}
	if p == nil {
		c.argNames.nulls(1)
		c.retType.nulls(1)
		return
	}
	for j := c.argOffs[i]; j < c.argOffs[i+1]; j++ {
		name, idx := "", c.argIdx[j]
		if types.Check(p, ingest.KindEntry, rn.layout, idx, c.sizes[j], int(c.argValues[j])) == types.Agrees {
			name = p.Params[idx].Name
		}
		c.argNames.elems.addOpt(name, name != "")
	}
	c.argNames.end()
	c.retType.add(p.Ret.C)
}
