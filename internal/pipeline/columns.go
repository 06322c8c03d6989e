package pipeline

import (
	"slices"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/internal/buf"
	"github.com/kdf-tools/kdf/schema"
	"github.com/kdf-tools/kdf/transform/pair"
	"github.com/kdf-tools/kdf/transform/symbolize"
	"github.com/kdf-tools/kdf/transform/types"
)

// Kinds as the records table spells them; pre_ret is a RET written just
// before its own function's entry.
const kindPreRet = 4

var kindNames = [...]string{ingest.KindEntry: "entry", ingest.KindRet: "ret", ingest.KindCmp: "cmp", kindPreRet: "pre_ret"}

// symbolCols resolves symbol IDs to the function's names at flush time,
// so the per-record work is one int32.
type symbolCols struct {
	table *symbolize.Table
}

// symbolDict builds one batch's func, demangled and module columns
// dictionary-encoded: each symbol's names are looked up and copied once
// per batch, and each row is an index into them, which the Parquet
// writer takes as it is instead of hashing a string per row.
type symbolDict struct {
	// slots holds, by symbol table, each symbol's entries in this
	// batch's dictionaries, found by symbol ID: no hashing per row.
	slots   bySymbol[symSlot]
	table   *symbolize.Table // the table of cur
	cur     []symSlot
	batch   uint32 // a slot of an earlier batch is stale
	fn, dem []string
	fnIdx   []int32
	valid   []bool
	mod     stringDictCol
	noMod   int32 // the empty module's entry, -1 until a row needs it
}

// bySymbol holds a slice per symbol table, indexed by symbol ID, made
// when a table is first met. A slice trim drops is the next one's
// memory: a boot's kallsyms has 150,000 symbols, and slices made afresh
// for each boot were most of what an ingest of real-size snapshots
// allocated. A reused slice keeps what it held, which its users read as
// stale: they mark entries with a counter that only grows (a batch, a
// run), and trim runs before it moves on.
type bySymbol[T any] struct {
	m      map[*symbolize.Table][]T
	spares [][]T // at most maxTablesKept+1, with the map's
}

// maxTablesKept bounds the symbol tables a Processor and a worker keep
// something of (per-symbol slices, prototypes, symbolizers). A campaign
// has a kallsyms per boot, thousands of them, and what is kept per
// table would otherwise grow with the campaign: past the bound it is
// all dropped, at a point where none of it is in use (a new batch, a
// new buffer), and made again for the tables met after. A worker takes
// the inputs of a boot one after another, so two serve: what it keeps
// of a real kallsyms is some megabytes, and keeps the table itself
// alive. A variable for the tests, which set it to 1.
var maxTablesKept = 2

// trim drops every table's slice once more than maxTablesKept are held,
// keeping them as spares.
func (b *bySymbol[T]) trim() {
	if len(b.m) <= maxTablesKept {
		return
	}
	for _, s := range b.m {
		b.spares = append(b.spares, s)
	}
	clear(b.m)
}

func (b *bySymbol[T]) of(t *symbolize.Table) []T {
	if b.m == nil {
		b.m = map[*symbolize.Table][]T{}
	}
	s, ok := b.m[t]
	if !ok {
		n := t.Len()
		if i := slices.IndexFunc(b.spares, func(s []T) bool { return cap(s) >= n }); i >= 0 {
			s = b.spares[i][:n]
			b.spares = slices.Delete(b.spares, i, i+1)
		} else {
			if len(b.spares) > 0 {
				b.spares = b.spares[1:] // too small: the table it is made for takes its place
			}
			s = make([]T, n)
		}
		b.m[t] = s
	}
	return s
}

// symSlot is a symbol's entry in the func and module dictionaries, in
// the batch it names.
type symSlot struct {
	batch   uint32
	fn, mod int32
}

func (d *symbolDict) reset(n int) {
	d.slots.trim()            // no row refers to a slot before the batch's first
	d.table, d.cur = nil, nil // cur may be the spare now, another table's next
	d.batch++
	d.noMod = -1
	d.fn, d.dem = d.fn[:0], d.dem[:0]
	d.fnIdx, d.valid = slices.Grow(d.fnIdx[:0], n), slices.Grow(d.valid[:0], n)
	d.mod.reset(n)
}

// add appends the row of symbol id of s's table; an unresolved one has
// no function and the core kernel's empty module.
func (d *symbolDict) add(s symbolCols, id int32) {
	if id < 0 || s.table == nil {
		if d.noMod < 0 {
			d.noMod = d.mod.index("")
		}
		d.fnIdx, d.valid = append(d.fnIdx, 0), append(d.valid, false)
		d.mod.idx, d.mod.valid = append(d.mod.idx, d.noMod), append(d.mod.valid, true)
		return
	}
	if s.table != d.table {
		d.table, d.cur = s.table, d.slots.of(s.table)
	}
	e := &d.cur[id]
	if e.batch != d.batch {
		sym := s.table.Symbol(id)
		*e = symSlot{batch: d.batch, fn: int32(len(d.fn)), mod: d.mod.index(sym.Module)}
		d.fn, d.dem = append(d.fn, sym.Name), append(d.dem, s.table.Demangled(id))
	}
	d.fnIdx, d.valid = append(d.fnIdx, e.fn), append(d.valid, true)
	d.mod.idx, d.mod.valid = append(d.mod.idx, e.mod), append(d.mod.valid, true)
}

// arrays returns the func, demangled and module columns; func and
// demangled share their indices.
func (d *symbolDict) arrays(mem memory.Allocator, b batchSlices) (fn, dem, mod arrow.Array) {
	idx := fixedArray(b, arrow.PrimitiveTypes.Int32, d.fnIdx, d.valid)
	idx.Retain()
	return dictOf(mem, idx, d.fn), dictOf(mem, idx, d.dem), d.mod.array(mem, b)
}

// stringDictCol builds one batch's dictionary-encoded string column:
// each distinct value is kept once, each row is an index into them.
type stringDictCol struct {
	slot   map[string]int32
	recent [1 << recentBits]recentString
	values []string
	idx    []int32
	valid  []bool
}

// recentString is a string seen in the batch, by where its bytes are:
// the names come from the type source's prototypes, the same strings
// row after row, so most are found here without hashing their bytes.
// A table of 1<<recentBits holds a batch's names of a few hundred
// functions.
const recentBits = 10

type recentString struct {
	data *byte
	len  int
	e    int32
}

func (c *stringDictCol) reset(n int) {
	if c.slot == nil {
		c.slot = map[string]int32{}
	}
	clear(c.slot)
	c.recent = [len(c.recent)]recentString{}
	c.values = c.values[:0]
	c.idx, c.valid = slices.Grow(c.idx[:0], n), slices.Grow(c.valid[:0], n)
}

// addOpt adds s, or a null row when ok is false.
func (c *stringDictCol) addOpt(s string, ok bool) {
	if !ok {
		c.nulls(1)
		return
	}
	c.add(s)
}

func (c *stringDictCol) add(s string) {
	c.idx, c.valid = append(c.idx, c.index(s)), append(c.valid, true)
}

// index is s's entry in the batch's values, added if new.
func (c *stringDictCol) index(s string) int32 {
	data := unsafe.StringData(s)
	r := &c.recent[uint64(uintptr(unsafe.Pointer(data))+uintptr(len(s)))*0x9e3779b97f4a7c15>>(64-recentBits)]
	if r.data == data && r.len == len(s) && data != nil {
		return r.e
	}
	e, ok := c.slot[s]
	if !ok {
		e = int32(len(c.values))
		c.slot[s] = e
		c.values = append(c.values, s)
	}
	*r = recentString{data, len(s), e}
	return e
}

// nulls appends k null rows.
func (c *stringDictCol) nulls(k int) {
	for range k {
		c.idx, c.valid = append(c.idx, 0), append(c.valid, false)
	}
}

func (c *stringDictCol) array(mem memory.Allocator, b batchSlices) arrow.Array {
	return dictArray(mem, b, c.idx, c.valid, c.values)
}

// stringListCol builds one batch's list of strings column, its
// elements dictionary-encoded in a lent batch: the lists repeat a few
// names, which kdf's writer then takes without hashing each. An owned
// batch has them as plain strings, for other readers: DuckDB's Arrow
// scan fails on a list of dictionary-encoded strings.
type stringListCol struct {
	elems   stringDictCol
	offsets []int32
	valid   []bool
}

func (c *stringListCol) reset(n int) {
	c.elems.reset(n)
	c.offsets, c.valid = append(slices.Grow(c.offsets[:0], n+1), 0), slices.Grow(c.valid[:0], n)
}

// nulls appends k null rows.
func (c *stringListCol) nulls(k int) {
	end := c.offsets[len(c.offsets)-1]
	for range k {
		c.offsets, c.valid = append(c.offsets, end), append(c.valid, false)
	}
}

// end closes a row of the elements added to elems since the last.
func (c *stringListCol) end() {
	c.offsets, c.valid = append(c.offsets, int32(len(c.elems.idx))), append(c.valid, true)
}

func (c *stringListCol) array(mem memory.Allocator, b batchSlices) arrow.Array {
	var elems arrow.Array
	if b == lent {
		elems = c.elems.array(mem, b)
	} else {
		sb := array.NewStringBuilder(mem)
		defer sb.Release()
		for i, e := range c.elems.idx {
			if c.elems.valid[i] {
				sb.Append(c.elems.values[e])
			} else {
				sb.AppendNull()
			}
		}
		elems = sb.NewArray()
	}
	defer elems.Release()
	mask, nulls := bitmap(c.valid)
	d := array.NewData(arrow.ListOf(elems.DataType()), len(c.valid), []*memory.Buffer{mask, memory.NewBufferBytes(bytesOf(of(b, c.offsets)))},
		[]arrow.ArrayData{elems.Data()}, nulls, 0)
	defer d.Release()
	return array.MakeFromData(d)
}

// stringDict is the type of a dictionary-encoded string column.
var stringDict = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// dictArray makes a dictionary-encoded string column of the indices
// (null where valid says so) into values.
func dictArray(mem memory.Allocator, b batchSlices, idx []int32, valid []bool, values []string) arrow.Array {
	return dictOf(mem, fixedArray(b, arrow.PrimitiveTypes.Int32, idx, valid), values)
}

// dictOf makes a dictionary-encoded string column of indices into
// values; it releases indices.
func dictOf(mem memory.Allocator, indices arrow.Array, values []string) arrow.Array {
	vb := array.NewStringBuilder(mem)
	defer vb.Release()
	vb.AppendValues(values, nil)
	dict := vb.NewArray()
	defer indices.Release()
	defer dict.Release()
	return array.NewDictionaryArray(stringDict, indices, dict)
}

// codeArray makes a dictionary-encoded string column of small codes
// (kinds, statuses) into their names; idx is the column's scratch.
func codeArray[C ~uint8](mem memory.Allocator, b batchSlices, codes []C, names []string, buf *[]int32) arrow.Array {
	idx := scratch(b, buf, len(codes))
	for i, c := range codes {
		idx[i] = int32(c)
	}
	return dictOf(mem, ownedArray(arrow.PrimitiveTypes.Int32, idx, nil), names)
}

// dictSchema is a table's schema as the Processor's batches have it:
// the named string columns dictionary-encoded, and in lent batches the
// elements of the named lists of strings too.
func dictSchema(t *schema.Table, b batchSlices, names ...string) *arrow.Schema {
	fields := slices.Clone(t.Schema().Fields())
	for i := range fields {
		switch {
		case !slices.Contains(names, fields[i].Name):
		case fields[i].Type.ID() != arrow.LIST:
			fields[i].Type = stringDict
		case b == lent:
			fields[i].Type = arrow.ListOf(stringDict)
		}
	}
	md := t.Schema().Metadata()
	return arrow.NewSchema(fields, &md)
}

var (
	recordDicts   = []string{"func", "demangled", "module", "kind", "arg_name", "arg_type", "value_name", "field_names"}
	callDicts     = []string{"func", "demangled", "module", "status", "ret_type", "arg_names"}
	recordsSchema = map[batchSlices]*arrow.Schema{owned: dictSchema(schema.Records, owned, recordDicts...), lent: dictSchema(schema.Records, lent, recordDicts...)}
	callsSchema   = map[batchSlices]*arrow.Schema{owned: dictSchema(schema.Calls, owned, callDicts...), lent: dictSchema(schema.Calls, lent, callDicts...)}
)

// assemble makes the batch of a builder's columns, but for those given
// (by column index), which replace them; it releases what it is given.
func assemble(s *arrow.Schema, b *array.RecordBuilder, given map[int]arrow.Array, n int) arrow.RecordBatch {
	cols := make([]arrow.Array, len(b.Fields()))
	for i, fb := range b.Fields() {
		a := fb.NewArray()
		if g, ok := given[i]; ok {
			a.Release()
			a = g
		}
		cols[i] = a
	}
	rec := array.NewRecordBatch(s, cols, int64(n))
	for _, a := range cols {
		a.Release()
	}
	return rec
}

// recordCols accumulates the records table's columns in plain slices,
// turned into an Arrow batch in bulk: per-value appends to Arrow
// builders cost three times as much. Rows of many runs share a batch, so
// that a small buffer does not cost a small batch; spans say which rows
// are whose.
type recordCols struct {
	dict                        symbolDict
	argName, argType, valueName stringDictCol
	fieldNames                  stringListCol
	spans                       []span
	idx                         []int64
	offset                      []int64
	seq                         []uint32
	seg                         []int32
	kind                        []uint8
	pc                          []uint64
	fn                          []int32
	fnOff                       []uint64
	argIdx                      []uint8
	size                        []uint8
	addr                        []uint64
	value                       []uint64
	nvals                       []int32
	// fieldVals holds the value words of the rows with several (struct
	// fields, compare operands), in row order; nvals says whose.
	fieldVals []uint64
	callID    []int64
	// verdict is what the record says of its prototype (types.Check).
	verdict []types.Verdict
	// linked counts the rows whose call is known; the last row may wait
	// for the next record to say whether it is a pre-entry return.
	linked int
	// The scratch of columns made for a lent batch.
	runIDs                 []int64
	fieldsValid            []bool
	kindIdx, fieldsOffsets []int32
}

func (c *recordCols) add(r *ingest.Record, idx int64, f symbolize.Func, ok bool, v types.Verdict) {
	c.idx = append(c.idx, idx)
	c.offset = append(c.offset, r.Offset)
	c.seq = append(c.seq, r.Seq)
	c.seg = append(c.seg, r.Segment)
	c.kind = append(c.kind, uint8(r.Kind))
	c.pc = append(c.pc, r.PC)
	if ok {
		c.fn = append(c.fn, f.ID)
		c.fnOff = append(c.fnOff, f.Offset)
	} else {
		c.fn = append(c.fn, -1)
		c.fnOff = append(c.fnOff, 0)
	}
	c.argIdx = append(c.argIdx, r.ArgIdx)
	c.size = append(c.size, r.Size)
	c.addr = append(c.addr, r.Addr)
	c.value = append(c.value, r.Values[0])
	c.nvals = append(c.nvals, int32(len(r.Values)))
	if len(r.Values) > 1 {
		c.fieldVals = buf.Append(c.fieldVals, r.Values...)
	}
	c.callID = append(c.callID, -1)
	c.verdict = append(c.verdict, v)
	c.spans[len(c.spans)-1].n++
}

// reserve makes room for n more rows, growing the columns as
// buf.Reserve does: a worker's first batches grow them to their working
// size.
func (c *recordCols) reserve(n int) {
	c.idx, c.offset, c.callID = buf.Reserve(c.idx, n), buf.Reserve(c.offset, n), buf.Reserve(c.callID, n)
	c.pc, c.fnOff, c.addr, c.value = buf.Reserve(c.pc, n), buf.Reserve(c.fnOff, n), buf.Reserve(c.addr, n), buf.Reserve(c.value, n)
	c.seq, c.seg, c.fn, c.nvals = buf.Reserve(c.seq, n), buf.Reserve(c.seg, n), buf.Reserve(c.fn, n), buf.Reserve(c.nvals, n)
	c.kind, c.argIdx, c.size = buf.Reserve(c.kind, n), buf.Reserve(c.argIdx, n), buf.Reserve(c.size, n)
	c.verdict = buf.Reserve(c.verdict, n)
}

// span is a run of consecutive rows of one buffer.
type span struct {
	runID int64
	syms  symbolCols
	names *runNames
	n     int
}

// startRun opens a span for a new buffer's rows.
func (c *recordCols) startRun(runID int64, syms symbolCols, names *runNames) {
	c.spans = append(c.spans, span{runID: runID, syms: syms, names: names})
}

// link records a row's call; rows are linked in order. pos is the row's
// position in the columns.
func (c *recordCols) link(l pair.Link, pos int) {
	i := pos
	c.callID[i] = l.Call
	if l.PreRet {
		c.kind[i] = kindPreRet
	}
	c.linked = i + 1
}

func (c *recordCols) len() int { return len(c.idx) }

// build turns the first n rows into an Arrow batch; shift drops them.
// A lent batch is valid until the next build or shift.
func (c *recordCols) build(mem memory.Allocator, b batchSlices, n int) arrow.RecordBatch {
	rb := array.NewRecordBuilder(mem, schema.Records.Schema())
	defer rb.Release()
	f := builders{rb, schema.Records}
	names := recordNames{argName: &c.argName, argType: &c.argType, valueName: &c.valueName,
		signed: f.bool("signed"), fieldNames: &c.fieldNames}
	names.reset(n)
	c.dict.reset(n)
	runIDs := scratch(b, &c.runIDs, n)
	for i, left := 0, n; left > 0; i++ {
		k := min(left, c.spans[i].n)
		lo := n - left
		for j := range k {
			runIDs[lo+j] = c.spans[i].runID
		}
		for _, id := range c.fn[lo : lo+k] {
			c.dict.add(c.spans[i].syms, id)
		}
		c.appendNames(names, c.spans[i].names, lo, lo+k)
		left -= k
	}
	t := schema.Records
	typ := func(name string) arrow.DataType { return recordsSchema[b].Field(t.Index(name)).Type }
	fn, dem, mod := c.dict.arrays(mem, b)
	return assemble(recordsSchema[b], rb, map[int]arrow.Array{
		t.Index("run_id"):      ownedArray(typ("run_id"), runIDs, nil),
		t.Index("idx"):         fixedArray(b, typ("idx"), c.idx[:n], nil),
		t.Index("offset"):      fixedArray(b, typ("offset"), c.offset[:n], nil),
		t.Index("seq"):         fixedArray(b, typ("seq"), c.seq[:n], nil),
		t.Index("segment"):     fixedArray(b, typ("segment"), c.seg[:n], nil),
		t.Index("pc"):          fixedArray(b, typ("pc"), c.pc[:n], nil),
		t.Index("func_offset"): fixedArray(b, typ("func_offset"), c.fnOff[:n], c.dict.valid), // resolved rows, as func
		t.Index("arg_idx"):     fixedArray(b, typ("arg_idx"), c.argIdx[:n], nil),
		t.Index("size"):        fixedArray(b, typ("size"), c.size[:n], nil),
		t.Index("addr"):        fixedArray(b, typ("addr"), c.addr[:n], nil),
		t.Index("value"):       fixedArray(b, typ("value"), c.value[:n], nil),
		t.Index("nvals"):       fixedArray(b, typ("nvals"), c.nvals[:n], nil),
		t.Index("fields"):      fieldsArray(b, typ("fields").(*arrow.ListType), c.nvals[:n], c.fieldVals, &c.fieldsOffsets, &c.fieldsValid),
		t.Index("call_id"):     fixedArray(b, typ("call_id"), c.callID[:n], nil),
		t.Index("func"):        fn,
		t.Index("demangled"):   dem,
		t.Index("module"):      mod,
		t.Index("kind"):        codeArray(mem, b, c.kind[:n], kindNames[:], &c.kindIdx),
		t.Index("arg_name"):    c.argName.array(mem, b),
		t.Index("arg_type"):    c.argType.array(mem, b),
		t.Index("value_name"):  c.valueName.array(mem, b),
		t.Index("field_names"): c.fieldNames.array(mem, b),
	}, n)
}

// appendNames appends the names of rows lo..hi, of one run.
func (c *recordCols) appendNames(n recordNames, rn *runNames, lo, hi int) {
	if !rn.names() {
		n.nulls(hi - lo)
		return
	}
	nulls := 0 // rows without names, appended at once
	for i := lo; i < hi; i++ {
		t, name := typeOf(rn.table.get(c.fn[i]), c.kind[i], c.argIdx[i], c.verdict[i])
		if t == nil {
			nulls++
			continue
		}
		n.nulls(nulls)
		nulls = 0
		n.add(t, name, c.value[i], c.nvals[i])
	}
	n.nulls(nulls)
}

// builders finds a record builder's column builders by name, once per
// batch.
type builders struct {
	b *array.RecordBuilder
	t *schema.Table
}

func (f builders) get(name string) array.Builder         { return f.b.Field(f.t.Index(name)) }
func (f builders) int64(name string) *array.Int64Builder { return f.get(name).(*array.Int64Builder) }
func (f builders) int32(name string) *array.Int32Builder { return f.get(name).(*array.Int32Builder) }
func (f builders) uint64(name string) *array.Uint64Builder {
	return f.get(name).(*array.Uint64Builder)
}
func (f builders) string(name string) *array.StringBuilder {
	return f.get(name).(*array.StringBuilder)
}
func (f builders) uint32(name string) *array.Uint32Builder {
	return f.get(name).(*array.Uint32Builder)
}
func (f builders) bool(name string) *array.BooleanBuilder {
	return f.get(name).(*array.BooleanBuilder)
}

// reserve sizes every column of a builder for n rows up front: growing
// Arrow buffers as rows arrive copies them over and over. The bytes of
// strings are the caller's to reserve.
func reserve(b *array.RecordBuilder, n int) {
	for _, f := range b.Fields() {
		f.Reserve(n)
	}
}

// shift drops the first n rows, keeping the slices' memory.
func (c *recordCols) shift(n int) {
	c.idx, c.offset = drop(c.idx, n), drop(c.offset, n)
	c.seq, c.seg, c.kind = drop(c.seq, n), drop(c.seg, n), drop(c.kind, n)
	c.pc, c.fn, c.fnOff = drop(c.pc, n), drop(c.fn, n), drop(c.fnOff, n)
	c.argIdx, c.size, c.addr = drop(c.argIdx, n), drop(c.size, n), drop(c.addr, n)
	fieldVals := 0
	for _, k := range c.nvals[:n] {
		if k > 1 {
			fieldVals += int(k)
		}
	}
	c.fieldVals = drop(c.fieldVals, fieldVals)
	c.value, c.nvals = drop(c.value, n), drop(c.nvals, n)
	c.callID, c.verdict = drop(c.callID, n), drop(c.verdict, n)
	c.linked -= n
	for n > 0 && len(c.spans) > 0 {
		k := min(n, c.spans[0].n)
		c.spans[0].n -= k
		n -= k
		if c.spans[0].n == 0 && len(c.spans) > 1 {
			c.spans = drop(c.spans, 1)
		}
	}
}

// reset drops every row, keeping the slices' memory.
func (c *recordCols) reset() {
	c.shift(c.len())
	c.spans = c.spans[:0]
}

func drop[T any](s []T, n int) []T { return s[:copy(s, s[n:])] }
