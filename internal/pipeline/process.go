package pipeline

import (
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/schema"
	"github.com/kdf-tools/kdf/transform/pair"
	"github.com/kdf-tools/kdf/transform/symbolize"
)

// Buffer is one raw buffer to ingest.
type Buffer struct {
	RunID int64
	Name  string // for messages: source and path
	// Data holds the buffer in memory (or mapped); otherwise R streams it.
	Data    []byte
	R       io.Reader
	Options ingest.Options
	// Symbols returns the symbolizer for the buffer's layout, known once
	// its first record is decoded; nil, or a nil result, leaves pcs
	// unresolved.
	Symbols func(ingest.Layout) *symbolize.Symbolizer
}

// Outcome is what processing a buffer found, for its runs row.
type Outcome struct {
	Stats      ingest.Stats
	Pairing    pair.Stats
	Unresolved int64
	// Used lists the symbol IDs the buffer's records resolved to, in
	// the symbolizer's table.
	Used    map[int32]struct{}
	Symbols *symbolize.Symbolizer
}

// Processor turns buffers into Arrow batches of the records and calls
// tables: what ingest writes, for callers that want the batches
// themselves. One Processor serves one goroutine; its column slices are
// reused from buffer to buffer.
type Processor struct {
	mem       memory.Allocator
	batchRows int
	// emit takes ownership of a batch of the given table.
	emit func(t *schema.Table, rec arrow.RecordBatch) error

	recs  recordCols
	calls callCols
	base  int64 // record index of recs' first row
	err   error
}

// NewProcessor returns a Processor that hands batches of at most
// batchRows rows to emit, which takes ownership of them.
func NewProcessor(mem memory.Allocator, batchRows int, emit func(*schema.Table, arrow.RecordBatch) error) *Processor {
	return &Processor{mem: mem, batchRows: batchRows, emit: emit}
}

// Process decodes, symbolizes and pairs one buffer, emitting its rows in
// batches as it goes so that memory does not grow with the buffer.
func (p *Processor) Process(b *Buffer) (*Outcome, error) {
	out := &Outcome{Used: map[int32]struct{}{}}
	p.recs.shift(p.recs.len())
	p.recs.runID, p.recs.linked = b.RunID, 0
	p.calls = callCols{runID: b.RunID, rows: p.calls.rows[:0], preRets: map[int64]uint64{}}
	p.base, p.err = 0, nil
	pairer := pair.NewPairer(func(c *pair.Call) { p.addCall(c, out.Symbols) }, p.link)
	d := ingest.NewDecoder(b.R, b.Name, b.Options)
	if b.Data != nil {
		d = ingest.NewDecoderBytes(b.Data, b.Name, b.Options)
	}
	for idx := int64(0); d.Next() && p.err == nil; idx++ {
		r := d.Record()
		if idx == 0 {
			out.Symbols = p.symbolizer(b, d.Stats().Layout)
		}
		f, ok := lookup(out.Symbols, r.PC)
		if ok {
			out.Used[f.ID] = struct{}{}
		} else {
			out.Unresolved++
		}
		p.recs.add(r, idx, f, ok)
		pairer.Push(r, idx)
		if p.recs.linked >= p.batchRows {
			p.flushRecords(p.recs.linked)
		}
	}
	pairer.Close()
	p.flushRecords(p.recs.len())
	p.flushCalls()
	out.Stats = *d.Stats()
	out.Pairing = *pairer.Stats()
	if err := d.Err(); err != nil {
		return out, err
	}
	return out, p.err
}

// symbolizer picks the buffer's symbolizer once its layout is known.
func (p *Processor) symbolizer(b *Buffer, layout ingest.Layout) *symbolize.Symbolizer {
	var s *symbolize.Symbolizer
	if b.Symbols != nil {
		s = b.Symbols(layout)
	}
	var t *symbolize.Table
	if s != nil {
		t = s.Table()
	}
	p.recs.syms, p.calls.syms = symbolCols{t}, symbolCols{t}
	return s
}

func lookup(s *symbolize.Symbolizer, pc uint64) (symbolize.Func, bool) {
	if s == nil {
		return symbolize.Func{}, false
	}
	return s.Lookup(pc)
}

func (p *Processor) link(l pair.Link) {
	if l.PreRet {
		p.calls.preRets[l.Call] = p.recs.value[l.Record-p.base]
	}
	p.recs.link(l, p.base)
}

func (p *Processor) addCall(c *pair.Call, s *symbolize.Symbolizer) {
	id := int32(-1)
	if f, ok := lookup(s, c.PC); ok {
		id = f.ID
	}
	p.calls.add(c, id)
	if p.calls.len() >= p.batchRows {
		p.flushCalls()
	}
}

func (p *Processor) flushRecords(n int) {
	if n == 0 || p.err != nil {
		return
	}
	p.err = p.emit(schema.Records, p.recs.build(p.mem, n))
	p.base += int64(n)
}

func (p *Processor) flushCalls() {
	if p.calls.len() == 0 || p.err != nil {
		return
	}
	p.err = p.emit(schema.Calls, p.calls.build(p.mem))
}
