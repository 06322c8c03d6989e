package pipeline

import (
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/schema"
	"github.com/kdf-tools/kdf/transform/pair"
	"github.com/kdf-tools/kdf/transform/symbolize"
	"github.com/kdf-tools/kdf/transform/types"
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
	// Types, when set, names arguments, fields and enum values.
	Types *types.Source
}

// Outcome is what processing a buffer found, for its runs row.
type Outcome struct {
	Stats      ingest.Stats
	Pairing    pair.Stats
	Unresolved int64
	// Used lists the symbol IDs the buffer's records resolved to, in
	// the symbolizer's table, each once, in the order first met.
	Used    []int32
	Symbols *symbolize.Symbolizer
	// Names is the run's check against its prototypes; nil for a buffer
	// without records.
	Names *runNames
}

// Processor turns buffers into Arrow batches of the records and calls
// tables: what ingest writes, for callers that want the batches
// themselves. The rows of many buffers share a batch: a batch is emitted
// when it holds batchRows rows, and by Flush. One Processor serves one
// goroutine; its column slices are reused from batch to batch.
type Processor struct {
	mem       memory.Allocator
	batchRows int
	batches   batchSlices
	// emit takes ownership of a batch of the given table.
	emit func(t *schema.Table, rec arrow.RecordBatch) error

	recs   recordCols
	calls  callCols
	protos protoTables
	pairer pair.Pairer // kept from buffer to buffer, with the memory of the calls it lends
	// used marks, by symbol table, the symbols the current buffer's
	// records resolved to, so that Outcome.Used takes each once: its
	// run number by symbol ID.
	used bySymbol[uint32]
	run  uint32
	// off is the position in recs of the current buffer's record 0, less
	// its rows already emitted: record i sits at recs[i+off].
	off int
	err error
}

// NewProcessor returns a Processor that hands batches of at most
// batchRows rows to emit, which takes ownership of them.
func NewProcessor(mem memory.Allocator, batchRows int, emit func(*schema.Table, arrow.RecordBatch) error) *Processor {
	p := &Processor{mem: mem, batchRows: batchRows, emit: emit, calls: callCols{preRets: map[int64]uint64{}}, protos: protoTables{}}
	p.calls.reset()
	p.pairer.LendCalls() // addCall copies what it needs of a call
	return p
}

// LendBatches makes the batches handed to emit wrap the Processor's own
// column memory, valid only until emit returns: emit must be done with
// a batch (written it, say) when it returns. Otherwise every column is
// copied out, into fresh memory the collector then reclaims.
func (p *Processor) LendBatches() { p.batches = lent }

// Process decodes, symbolizes and pairs one buffer into the pending
// batches, emitting those that fill up, so that memory does not grow
// with the buffer. Call Flush to emit what is left.
func (p *Processor) Process(b *Buffer) (*Outcome, error) {
	if p.err != nil {
		return nil, p.err
	}
	out := &Outcome{}
	p.run++
	p.used.trim() // marks and prototypes serve one buffer at a time
	p.protos.trim()
	if b.Data != nil {
		// The run's rows go into a batch of their own unless they fit
		// beside the pending ones (a record takes a word at least). Its
		// names are decided when its first rows are built
		// (runNames.names), on the records checked by then: cut by a
		// batch that other runs filled, it would be decided where the
		// inputs its worker took before it say, not where it does.
		words := len(b.Data) / 8
		if p.recs.len()+words > p.batchRows {
			p.flushRecords(p.recs.linked)
		}
		if p.calls.len()+words > p.batchRows {
			p.flushCalls()
		}
		// A record takes two words at least, a call two records.
		p.recs.reserve(min(words/2, p.batchRows))
		p.calls.reserve(min(words/4, p.batchRows))
	}
	var used []uint32
	p.off = p.recs.len()
	clear(p.calls.preRets)
	var syms symbolCols
	var names *runNames
	pairer := &p.pairer
	pairer.Reset(func(c *pair.Call) { p.addCall(b.RunID, syms, names, c, out.Symbols) }, p.link)
	var d *ingest.Decoder
	if b.Data != nil {
		d = ingest.NewDecoderBytes(b.Data, b.Name, b.Options)
	} else {
		d = ingest.NewDecoder(b.R, b.Name, b.Options)
	}
	for idx := int64(0); d.Next() && p.err == nil; idx++ {
		r := d.Record()
		if idx == 0 {
			out.Symbols = symbolizer(b, d.Stats().Layout)
			syms = symbolCols{tableOf(out.Symbols)}
			names = &runNames{table: p.protos.get(syms.table, b.Types), layout: d.Stats().Layout}
			if syms.table != nil {
				used = p.used.of(syms.table)
			}
			out.Names = names
			p.recs.startRun(b.RunID, syms, names)
		}
		f, ok := lookup(out.Symbols, r.PC)
		var v types.Verdict
		if ok {
			if used[f.ID] != p.run {
				used[f.ID] = p.run
				out.Used = append(out.Used, f.ID)
			}
			if names.table != nil {
				v = types.Check(names.table.get(f.ID), r.Kind, names.layout, r.ArgIdx, r.Size, len(r.Values))
				names.check(v)
			}
		} else {
			out.Unresolved++
		}
		p.recs.add(r, idx, f, ok, v)
		pairer.Push(r, idx)
		if p.recs.linked >= p.batchRows {
			p.flushRecords(p.recs.linked)
		}
	}
	pairer.Close()
	out.Stats = *d.Stats()
	out.Pairing = *pairer.Stats()
	if err := d.Err(); err != nil {
		return out, err
	}
	return out, p.err
}

// Flush emits the pending rows of every buffer processed so far.
func (p *Processor) Flush() error {
	p.flushRecords(p.recs.len())
	p.flushCalls()
	return p.err
}

// Reset drops the pending rows, after a failure that makes them
// unusable; the Processor can be used again.
func (p *Processor) Reset() {
	p.recs.reset()
	p.calls.reset()
	p.err = nil
}

// symbolizer picks the buffer's symbolizer once its layout is known.
func symbolizer(b *Buffer, layout ingest.Layout) *symbolize.Symbolizer {
	if b.Symbols == nil {
		return nil
	}
	return b.Symbols(layout)
}

func lookup(s *symbolize.Symbolizer, pc uint64) (symbolize.Func, bool) {
	if s == nil {
		return symbolize.Func{}, false
	}
	return s.Lookup(pc)
}

func tableOf(s *symbolize.Symbolizer) *symbolize.Table {
	if s == nil {
		return nil
	}
	return s.Table()
}

func (p *Processor) link(l pair.Link) {
	pos := int(l.Record) + p.off
	if l.PreRet {
		p.calls.preRets[l.Call] = p.recs.value[pos]
	}
	p.recs.link(l, pos)
}

func (p *Processor) addCall(runID int64, syms symbolCols, names *runNames, c *pair.Call, s *symbolize.Symbolizer) {
	id := int32(-1)
	if f, ok := lookup(s, c.PC); ok {
		id = f.ID
	}
	p.calls.add(runID, syms, names, c, id)
	if p.calls.len() >= p.batchRows {
		p.flushCalls()
	}
}

func (p *Processor) flushRecords(n int) {
	if n == 0 || p.err != nil {
		return
	}
	p.err = p.emit(schema.Records, p.recs.build(p.mem, p.batches, n))
	p.recs.shift(n)
	p.off -= n
}

func (p *Processor) flushCalls() {
	if p.calls.len() == 0 || p.err != nil {
		return
	}
	p.err = p.emit(schema.Calls, p.calls.build(p.mem, p.batches))
	p.calls.reset()
}
