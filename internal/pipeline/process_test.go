package pipeline

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/internal/seedsession"
	"github.com/kdf-tools/kdf/schema"
	"github.com/kdf-tools/kdf/transform/pair"
	"github.com/kdf-tools/kdf/transform/symbolize"
)

// collect gathers emitted batches per table.
type collect struct {
	batches map[string][]arrow.RecordBatch
}

func (c *collect) emit(t *schema.Table, rec arrow.RecordBatch) error {
	if c.batches == nil {
		c.batches = map[string][]arrow.RecordBatch{}
	}
	c.batches[t.Name] = append(c.batches[t.Name], rec)
	return nil
}

func (c *collect) release() {
	for _, bs := range c.batches {
		for _, b := range bs {
			b.Release()
		}
	}
}

// column concatenates one column of a table's batches as strings or
// integers, for comparisons.
func (c *collect) rows(table string) int {
	n := 0
	for _, b := range c.batches[table] {
		n += int(b.NumRows())
	}
	return n
}

func seedBuffer(t *testing.T, name string) (*seedsession.Session, *symbolize.Symbolizer) {
	t.Helper()
	s, err := seedsession.Build(name)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := symbolize.ParseKallsyms(bytes.NewReader(s.Kallsyms), "kallsyms")
	if err != nil {
		t.Fatal(err)
	}
	sym, err := symbolize.New(symbolize.Config{Runtime: tab})
	if err != nil {
		t.Fatal(err)
	}
	return s, sym
}

func TestProcessSeedSession(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s, sym := seedBuffer(t, "rust_ffi_contract")
	var c collect
	defer c.release()
	p := NewProcessor(mem, 7, c.emit) // small batches: rows cross batch ends
	out, err := p.Process(&Buffer{RunID: 42, Name: s.Name, R: bytes.NewReader(s.Buffer), Symbols: func(ingest.Layout) *symbolize.Symbolizer { return sym }})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	// The reference: the same buffer decoded and paired in memory.
	d := ingest.NewDecoder(bytes.NewReader(s.Buffer), s.Name, ingest.Options{})
	var recs []ingest.Record
	for d.Next() {
		recs = append(recs, d.Record().Clone())
	}
	calls, links, _ := pair.Calls(recs)
	if got := c.rows("records"); got != len(recs) || out.Stats.Records != int64(len(recs)) {
		t.Fatalf("%d record rows, %d records", got, len(recs))
	}
	if got := c.rows("calls"); got != len(calls) {
		t.Fatalf("%d call rows, %d calls", got, len(calls))
	}
	i := 0
	preRets := 0
	for _, b := range c.batches["records"] {
		idx := b.Column(schema.Records.Index("idx")).(*array.Int64)
		call := b.Column(schema.Records.Index("call_id")).(*array.Int64)
		kind := dictStrings(t, b.Column(schema.Records.Index("kind")))
		fn := dictStrings(t, b.Column(schema.Records.Index("func")))
		for j := 0; j < int(b.NumRows()); j, i = j+1, i+1 {
			if idx.Value(j) != int64(i) || call.Value(j) != links[i].Call || (kind.Value(j) == "pre_ret") != links[i].PreRet {
				t.Fatalf("record %d: idx %d call %d kind %s, want call %d pre %v", i, idx.Value(j), call.Value(j), kind.Value(j), links[i].Call, links[i].PreRet)
			}
			if fn.IsNull(j) {
				t.Errorf("record %d unresolved", i)
			}
			if kind.Value(j) == "pre_ret" {
				preRets++
			}
		}
	}
	if preRets != 3 || out.Pairing.PreRets != 3 || out.Unresolved != 0 || len(out.Used) == 0 {
		t.Errorf("pre_rets %d/%d unresolved %d used %d", preRets, out.Pairing.PreRets, out.Unresolved, len(out.Used))
	}
	// The contract violation is in the calls table: ffi_check_result
	// returned -EFAULT with a struct whose first field (buffer) is 0.
	found := false
	for _, b := range c.batches["calls"] {
		fn := dictStrings(t, b.Column(schema.Calls.Index("func")))
		ret := b.Column(schema.Calls.Index("ret")).(*array.Uint64)
		st := dictStrings(t, b.Column(schema.Calls.Index("status")))
		for j := 0; j < int(b.NumRows()); j++ {
			if fn.Value(j) == "ffi_check_result" {
				found = ret.Value(j) == 0xfffffff2 && st.Value(j) == "complete"
			}
		}
	}
	if !found {
		t.Error("no complete ffi_check_result call returning 0xfffffff2")
	}
}

// dictStrings reads a dictionary-encoded string column, as the
// Processor emits the symbol, kind and status columns.
type dictColumn struct {
	d    *array.Dictionary
	vals *array.String
}

func dictStrings(t *testing.T, a arrow.Array) dictColumn {
	t.Helper()
	d, ok := a.(*array.Dictionary)
	if !ok {
		t.Fatalf("a %s column, not dictionary-encoded", a.DataType())
	}
	return dictColumn{d, d.Dictionary().(*array.String)}
}

func (c dictColumn) IsNull(i int) bool { return c.d.IsNull(i) }
func (c dictColumn) Value(i int) string {
	if c.d.IsNull(i) {
		return ""
	}
	return c.vals.Value(c.d.GetValueIndex(i))
}
