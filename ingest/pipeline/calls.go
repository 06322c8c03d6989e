package pipeline

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kdf-tools/kdf/schema"
	"github.com/kdf-tools/kdf/transform/pair"
)

// callCols accumulates the calls table's columns for one run. Calls
// arrive as they close, not in ID order.
type callCols struct {
	runID   int64
	syms    symbolCols
	rows    []callRow
	preRets map[int64]uint64 // pre-entry return values by the call they precede
}

type callRow struct {
	call   *pair.Call
	fn     int32
	preRet uint64
	hasPre bool
}

func (c *callCols) add(call *pair.Call, fn int32) {
	row := callRow{call: call, fn: fn}
	if v, ok := c.preRets[call.ID]; ok {
		row.preRet, row.hasPre = v, true
		delete(c.preRets, call.ID)
	}
	c.rows = append(c.rows, row)
}

func (c *callCols) len() int { return len(c.rows) }

func (c *callCols) build(mem memory.Allocator) arrow.Record {
	b := array.NewRecordBuilder(mem, schema.Calls.Schema())
	defer b.Release()
	f := b.Fields()
	col := func(name string) array.Builder { return f[schema.Calls.Index(name)] }
	n := len(c.rows)
	appendConst(col("run_id").(*array.Int64Builder), c.runID, n)
	ids := make([]int32, n)
	for i, r := range c.rows {
		call := r.call
		ids[i] = r.fn
		col("call_id").(*array.Int64Builder).Append(call.ID)
		col("parent_id").(*array.Int64Builder).Append(call.Parent)
		col("depth").(*array.Int32Builder).Append(call.Depth)
		col("segment").(*array.Int32Builder).Append(call.Segment)
		col("pc").(*array.Uint64Builder).Append(call.PC)
		col("status").(*array.StringBuilder).Append(call.Status.String())
		col("nargs").(*array.Int32Builder).Append(int32(len(call.Args)))
		appendArgs(col("args").(*array.ListBuilder), col("arg_sizes").(*array.ListBuilder), call.Args)
		appendRet(col("ret").(*array.Uint64Builder), col("ret_size").(*array.Uint8Builder), call.Ret)
		pre := col("pre_ret").(*array.Uint64Builder)
		if r.hasPre {
			pre.Append(r.preRet)
		} else {
			pre.AppendNull()
		}
		col("first_record").(*array.Int64Builder).Append(call.First)
		col("last_record").(*array.Int64Builder).Append(call.Last)
		col("records").(*array.Int64Builder).Append(call.Records())
	}
	c.syms.appendFunc(col("func").(*array.StringBuilder), col("demangled").(*array.StringBuilder), col("module").(*array.StringBuilder), ids)
	c.rows = c.rows[:0]
	return b.NewRecord()
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

func appendRet(ret *array.Uint64Builder, size *array.Uint8Builder, v *pair.Value) {
	if v == nil {
		ret.AppendNull()
		size.AppendNull()
		return
	}
	ret.Append(v.Values[0])
	size.Append(v.Size)
}
