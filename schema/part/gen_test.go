package part

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/kdf-tools/kdf/schema"
)

// recordGen makes a realistic stream of records batches: runs of 100k
// records; idx, offset and call_id increasing within a run; kind from
// four strings; pc from about 2000 places in about 1000 functions whose
// names, demangled names and modules (about 20) follow the pc; small
// argument indexes and sizes; values mostly small with errno and
// poison words; fields null for 90% of the records.
type recordGen struct {
	rng   *rand.Rand
	funcs []genFunc
	pcs   []genPC

	run, idx, offset, callID int64
	seq                      uint32
	runID                    int64
	runRecords               int64 // records per run
}

type genFunc struct {
	addr                    uint64
	name, demangled, module string
}

type genPC struct {
	fn    int // index in funcs, -1 when unresolved
	pc    uint64
	isRet bool
	nargs int
	sizes [6]uint8
}

func newRecordGen(seed uint64) *recordGen {
	g := &recordGen{rng: rand.New(rand.NewPCG(seed, 1)), runRecords: 100_000}
	modules := []string{""}
	for i := range 19 {
		modules = append(modules, fmt.Sprintf("mod_%02d", i))
	}
	for i := range 1000 {
		f := genFunc{addr: 0xffffffff81000000 + uint64(i)*0x1c0, module: modules[0]}
		if i%5 == 0 {
			f.module = modules[1+i%19]
		}
		f.name = fmt.Sprintf("subsys%d_do_something_%d", i%37, i)
		f.demangled = f.name
		if i%10 == 0 {
			f.name = fmt.Sprintf("_RNvNtCs1234_%d_kernel%dfunction_%d", i, i%7, i)
			f.demangled = fmt.Sprintf("kernel::module%d::function_%d", i%7, i)
		}
		g.funcs = append(g.funcs, f)
	}
	for i := range 2000 {
		fn := i / 2
		p := genPC{fn: fn, pc: g.funcs[fn].addr + uint64(g.rng.IntN(0x100)), isRet: i%2 == 1, nargs: 1 + g.rng.IntN(5)}
		if i%97 == 0 {
			p.fn = -1
		}
		for k := range p.sizes {
			p.sizes[k] = []uint8{1, 2, 4, 8, 8, 8}[g.rng.IntN(6)]
		}
		g.pcs = append(g.pcs, p)
	}
	return g
}

// pick is a skewed choice among n: hot functions are called far more.
func (g *recordGen) pick(n int) int {
	r := g.rng.Float64()
	return int(r * r * r * float64(n))
}

func (g *recordGen) value() uint64 {
	switch r := g.rng.IntN(100); {
	case r < 70:
		return uint64(g.rng.IntN(4096))
	case r < 80:
		return 0xfffffff2
	case r < 85:
		return 0xBADADD85
	case r < 95:
		return 0xffff888000000000 | uint64(g.rng.Uint32())<<4
	default:
		return g.rng.Uint64()
	}
}

// batch returns the next n records under mem.
func (g *recordGen) batch(mem memory.Allocator, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema.Records.Schema())
	defer b.Release()
	kinds := []string{"entry", "ret", "cmp", "pre_ret"}
	for range n {
		if g.idx == g.runRecords || g.runID == 0 {
			g.run++
			g.runID = int64(g.rng.Uint64())
			g.idx, g.offset, g.callID, g.seq = 0, 1, 0, uint32(g.rng.IntN(1<<20))
		}
		p := g.pcs[g.pick(len(g.pcs))]
		kind := 0
		switch r := g.rng.IntN(100); {
		case r < 4:
			kind = 2
		case r < 5:
			kind = 3
		case p.isRet:
			kind = 1
		}
		argIdx := uint8(0)
		if kind == 0 {
			argIdx = uint8(g.rng.IntN(p.nargs))
			if argIdx == 0 {
				g.callID++
			}
		}
		nvals := 1
		if g.rng.IntN(10) == 0 {
			nvals = 2 + g.rng.IntN(3)
		}
		g.appendRecord(b, p, kinds[kind], argIdx, nvals)
		g.idx++
		g.offset += int64(2 + nvals)
		if g.rng.IntN(4) == 0 {
			g.seq = (g.seq + 1) & 0xffffff
		}
	}
	return b.NewRecordBatch()
}

func (g *recordGen) appendRecord(b *array.RecordBuilder, p genPC, kind string, argIdx uint8, nvals int) {
	f := b.Fields()
	f[0].(*array.Int64Builder).Append(g.runID)
	f[1].(*array.Int64Builder).Append(g.idx)
	f[2].(*array.Int64Builder).Append(g.offset)
	f[3].(*array.Uint32Builder).Append(g.seq)
	f[4].(*array.Int32Builder).Append(0)
	f[5].(*array.StringBuilder).Append(kind)
	f[6].(*array.Uint64Builder).Append(p.pc)
	if p.fn < 0 {
		f[7].AppendNull()
		f[8].AppendNull()
		f[9].(*array.StringBuilder).Append("")
		f[10].AppendNull()
	} else {
		fn := g.funcs[p.fn]
		f[7].(*array.StringBuilder).Append(fn.name)
		f[8].(*array.StringBuilder).Append(fn.demangled)
		f[9].(*array.StringBuilder).Append(fn.module)
		f[10].(*array.Uint64Builder).Append(p.pc - fn.addr)
	}
	f[11].(*array.Uint8Builder).Append(argIdx)
	f[12].(*array.Uint8Builder).Append(p.sizes[argIdx])
	addr := uint64(0)
	if g.rng.IntN(10) < 4 {
		addr = 0x888000000000 | uint64(g.pick(4096))<<6
	}
	f[13].(*array.Uint64Builder).Append(addr)
	v := g.value()
	f[14].(*array.Uint64Builder).Append(v)
	f[15].(*array.Int32Builder).Append(int32(nvals))
	lb := f[16].(*array.ListBuilder)
	if nvals == 1 {
		lb.AppendNull()
	} else {
		lb.Append(true)
		vb := lb.ValueBuilder().(*array.Uint64Builder)
		vb.Append(v)
		for range nvals - 1 {
			vb.Append(g.value())
		}
	}
	f[17].(*array.Int64Builder).Append(g.callID)
	g.appendNames(f[18:], kind, nvals)
}

// appendNames appends a type source's names: a record of an unknown
// function, or a compare, has none.
func (g *recordGen) appendNames(f []array.Builder, kind string, nvals int) {
	if kind == "cmp" || g.rng.IntN(5) == 0 {
		for _, c := range f {
			c.AppendNull()
		}
		return
	}
	f[0].(*array.StringBuilder).Append([]string{"file", "buf", "count", "pos"}[g.rng.IntN(4)])
	f[1].(*array.StringBuilder).Append([]string{"size_t", "struct file *", "enum pid_type"}[g.rng.IntN(3)])
	f[2].(*array.BooleanBuilder).Append(g.rng.IntN(2) == 0)
	f[3].(*array.StringBuilder).Append([]string{"PIDTYPE_PID", "PIDTYPE_TGID"}[g.rng.IntN(2)])
	lb := f[4].(*array.ListBuilder)
	if nvals == 1 {
		lb.AppendNull()
		return
	}
	lb.Append(true)
	for i := range nvals {
		lb.ValueBuilder().(*array.StringBuilder).Append(fmt.Sprintf("f%d", i))
	}
}

// Words the tests make sure survive: the largest u64, the poison word
// kcov_dataflow writes for unreadable pointers, errno returns and
// kernel addresses.
var specialWords = []uint64{0, 1, 0xffffffffffffffff, 0xBADADD85, 0xfffffff2, 0xfffffffffffffff2, 0xffffffff81000000, 1 << 63}

var (
	dictStrings = []string{"", "entry", "ret", "binder_ioctl", "_RNvCs1234_6kernel4init", "kernel::init", "nf_tables", "ünïcødé"}
	attrKeys    = []string{"arm", "trial", "boot", "vm", "program", "exec_ns", "timestamp"}
)

// randomBatch returns n rows of t with values of every shape a column
// of its type may hold: nulls in nullable columns (row 0 is always
// null, row 1 never), special words, empty and long strings, null,
// empty and non-empty lists and maps.
func randomBatch(mem memory.Allocator, t *schema.Table, rng *rand.Rand, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, t.Schema())
	defer b.Release()
	for j, c := range t.Columns {
		for i := range n {
			null := c.Nullable && (i == 0 || (i > 1 && rng.IntN(5) == 0))
			appendRandom(b.Field(j), c.Type, null, c.Dict, rng)
		}
	}
	return b.NewRecordBatch()
}

func appendRandom(b array.Builder, t arrow.DataType, null, dict bool, rng *rand.Rand) {
	if null {
		b.AppendNull()
		return
	}
	switch b := b.(type) {
	case *array.Int64Builder:
		b.Append([]int64{0, -1, 1 << 62, -1 << 63, 1<<63 - 1, rng.Int64()}[rng.IntN(6)])
	case *array.Int32Builder:
		b.Append([]int32{0, -1, 7, 1<<31 - 1, -1 << 31, rng.Int32()}[rng.IntN(6)])
	case *array.Uint64Builder:
		b.Append(randomWord(rng))
	case *array.Uint32Builder:
		b.Append([]uint32{0, 1, 0xffffff, 0xffffffff, rng.Uint32()}[rng.IntN(5)])
	case *array.Uint8Builder:
		b.Append(uint8(rng.IntN(256)))
	case *array.Float64Builder:
		b.Append([]float64{0, 0.5, 1, 1e-300, 1.0 / 3, rng.Float64()}[rng.IntN(6)])
	case *array.BooleanBuilder:
		b.Append(rng.IntN(2) == 0)
	case *array.StringBuilder:
		b.Append(randomString(rng, dict))
	case *array.MapBuilder:
		appendMap(b, t.(*arrow.MapType), rng)
	case *array.ListBuilder:
		appendList(b, t.(*arrow.ListType), rng)
	default:
		panic(fmt.Sprintf("no random values for %s", t))
	}
}

func randomWord(rng *rand.Rand) uint64 {
	if rng.IntN(2) == 0 {
		return specialWords[rng.IntN(len(specialWords))]
	}
	return rng.Uint64()
}

func randomString(rng *rand.Rand, dict bool) string {
	if dict || rng.IntN(2) == 0 {
		return dictStrings[rng.IntN(len(dictStrings))]
	}
	if rng.IntN(4) == 0 {
		return strings.Repeat("arm=dataflow/trial=2/", 1+rng.IntN(20))
	}
	return fmt.Sprintf("boot=%d/buf-%06d.kcdf", rng.IntN(4), rng.IntN(1_000_000))
}

// appendList appends an empty list or up to five elements, some null
// when the element type allows it.
func appendList(b *array.ListBuilder, t *arrow.ListType, rng *rand.Rand) {
	b.Append(true)
	for range rng.IntN(6) {
		null := t.ElemField().Nullable && rng.IntN(8) == 0
		appendRandom(b.ValueBuilder(), t.Elem(), null, false, rng)
	}
}

// appendMap appends an empty map or some distinct attribute keys, in
// random order, with values null at times when the type allows it.
func appendMap(b *array.MapBuilder, t *arrow.MapType, rng *rand.Rand) {
	b.Append(true)
	for _, k := range rng.Perm(len(attrKeys))[:rng.IntN(len(attrKeys)+1)] {
		b.KeyBuilder().(*array.StringBuilder).Append(attrKeys[k])
		null := t.ItemField().Nullable && rng.IntN(8) == 0
		appendRandom(b.ItemBuilder(), t.ItemType(), null, false, rng)
	}
}
