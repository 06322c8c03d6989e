package part

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/kdf-tools/kdf/schema"
	"github.com/parquet-go/parquet-go/format"
)

// writeBatches writes recs to a new part of tbl, releasing each batch
// once written as callers do, and returns the part and the rows it
// should hold.
func writeBatches(t testing.TB, tbl *schema.Table, opt Options, recs []arrow.RecordBatch) ([]byte, [][]any) {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, tbl, opt)
	if err != nil {
		t.Fatal(err)
	}
	var want [][]any
	for _, rec := range recs {
		want = append(want, arrowRows(rec)...)
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Rows() != int64(len(want)) {
		t.Errorf("Rows() = %d, want %d", w.Rows(), len(want))
	}
	return buf.Bytes(), want
}

func compareRows(t *testing.T, tbl *schema.Table, got, want [][]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("read %d rows, wrote %d", len(got), len(want))
	}
	bad := 0
	for i := range want {
		for j, c := range tbl.Columns {
			if !reflect.DeepEqual(got[i][j], want[i][j]) && bad < 10 {
				t.Errorf("row %d column %s: read %#v, wrote %#v", i, c.Name, got[i][j], want[i][j])
				bad++
			}
		}
	}
}

// TestRoundTrip writes batches of every table, one of them a slice of a
// larger batch and one empty, over several row groups and pages, and
// reads every value back.
func TestRoundTrip(t *testing.T) {
	for _, tbl := range schema.All {
		t.Run(tbl.Name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rng := rand.New(rand.NewPCG(7, uint64(len(tbl.Name))))
			whole := randomBatch(mem, tbl, rng, 2500)
			recs := []arrow.RecordBatch{
				randomBatch(mem, tbl, rng, 1000),
				randomBatch(mem, tbl, rng, 0),
				whole.NewSlice(700, 2300),
				randomBatch(mem, tbl, rng, 3001),
			}
			whole.Release()
			data, want := writeBatches(t, tbl, Options{RowGroupRows: 1500, PageBytes: 4 << 10}, recs)
			f, got := readPart(t, data, tbl)
			compareRows(t, tbl, got, want)
			if n := len(f.RowGroups()); n != (len(want)+1499)/1500 {
				t.Errorf("%d row groups for %d rows of 1500", n, len(want))
			}
		})
	}
}

// TestRoundTripRecords round-trips the benchmark's realistic records,
// with the default layout.
func TestRoundTripRecords(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	g := newRecordGen(3)
	recs := []arrow.RecordBatch{g.batch(mem, 40_000), g.batch(mem, 70_000)}
	data, want := writeBatches(t, schema.Records, Options{}, recs)
	_, got := readPart(t, data, schema.Records)
	compareRows(t, schema.Records, got, want)
}

func TestEmptyPart(t *testing.T) {
	data, _ := writeBatches(t, schema.Calls, Options{}, nil)
	f, rows := readPart(t, data, schema.Calls)
	if len(rows) != 0 || f.NumRows() != 0 {
		t.Errorf("empty part has %d rows", len(rows))
	}
}

// TestWriteRejects checks that a batch that does not fit the table is
// refused whole, and that the writer goes on accepting good ones.
func TestWriteRejects(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	good := randomBatch(mem, schema.Rejects, rng, 10)
	defer good.Release()

	nullPath := func() arrow.RecordBatch {
		b := array.NewStringBuilder(mem)
		defer b.Release()
		b.AppendNull()
		b.AppendValues(make([]string, 9), nil)
		a := b.NewArray()
		defer a.Release()
		rec, err := good.SetColumn(schema.Rejects.Index("path"), a)
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	renamed := func() arrow.RecordBatch {
		f := schema.Rejects.Schema().Fields()
		f[0].Name = "campaing"
		return array.NewRecordBatch(arrow.NewSchema(f, nil), good.Columns(), good.NumRows())
	}
	other := func() arrow.RecordBatch { return randomBatch(mem, schema.Functions, rng, 10) }
	cases := []struct {
		name string
		rec  func() arrow.RecordBatch
		want string
	}{
		{"null in required column", nullPath, "column path is required but has 1 nulls"},
		{"renamed column", renamed, `batch column 0 is "campaing"`},
		{"other table", other, "batch has 6 columns, the table 7"},
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema.Rejects, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		rec := c.rec()
		err := w.Write(rec)
		rec.Release()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
	}
	if err := w.Write(good); err != nil {
		t.Fatalf("good batch after rejected ones: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, rows := readPart(t, buf.Bytes(), schema.Rejects); len(rows) != 10 {
		t.Errorf("part has %d rows, want the good batch's 10", len(rows))
	}
	if err := w.Write(good); err == nil {
		t.Error("Write after Close succeeded")
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestOptionsRejected(t *testing.T) {
	for _, opt := range []Options{{RowGroupRows: -1}, {PageBytes: -1}, {Compression: 9}} {
		if _, err := NewWriter(new(bytes.Buffer), schema.Runs, opt); err == nil {
			t.Errorf("NewWriter accepted %+v", opt)
		}
	}
}

// A Writer reset writes its next part byte for byte as a new Writer
// would: after a whole part (one whose dictionary fell back to PLAIN,
// and whose columns of random words were stored where the next part's
// are compressed, included), after a part abandoned mid-row-group, and
// after a failed write.
func TestReset(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, tbl := range []*schema.Table{schema.Records, schema.Calls, schema.Runs} {
		t.Run(tbl.Name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 3))
			before := []arrow.RecordBatch{withWords(mem, randomBatch(mem, tbl, rng, 3000), rng, true), overflowBatch(mem, tbl)}
			next := []arrow.RecordBatch{withWords(mem, randomBatch(mem, tbl, rng, 1500), rng, false), randomBatch(mem, tbl, rng, 10)}
			defer func() {
				for _, r := range append(before, next...) {
					r.Release()
				}
			}()
			want := writeAll(t, tbl, next)
			for _, tc := range []struct {
				name  string
				dst   io.Writer
				close bool
			}{{"whole part", io.Discard, true}, {"abandoned", io.Discard, false}, {"failed", failingWriter{}, true}} {
				w, err := NewWriter(tc.dst, tbl, Options{RowGroupRows: 700})
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range before {
					w.Write(r)
				}
				if tc.close {
					w.Close()
				}
				var buf bytes.Buffer
				w.Reset(&buf)
				for _, r := range next {
					if err := w.Write(r); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Errorf("%s: the reset writer wrote %d bytes, a new one %d, not the same bytes", tc.name, buf.Len(), len(want))
				}
			}
		})
	}
}

// withWords replaces rec's uint64 columns with words drawn from 256:
// at random, their dictionary indexes are bytes zstd cannot shrink; in
// turn, a pattern it does. It releases rec.
func withWords(mem memory.Allocator, rec arrow.RecordBatch, rng *rand.Rand, random bool) arrow.RecordBatch {
	defer rec.Release()
	var words [256]uint64
	for i := range words {
		words[i] = rng.Uint64()
	}
	cols := make([]arrow.Array, rec.NumCols())
	for i := range cols {
		cols[i] = rec.Column(i)
		if cols[i].DataType().ID() != arrow.UINT64 {
			cols[i].Retain()
			continue
		}
		b := array.NewUint64Builder(mem)
		for j := range cols[i].Len() {
			k := j % len(words)
			if random {
				k = rng.IntN(len(words))
			}
			b.Append(words[k])
		}
		cols[i] = b.NewArray()
		b.Release()
	}
	out := array.NewRecordBatch(rec.Schema(), cols, rec.NumRows())
	for _, c := range cols {
		c.Release()
	}
	return out
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestCompression writes realistic records with each codec. Every value
// reads back, through parquet-go and through this package's own reader;
// the compressible columns (as TestEncodingsAndStatistics has them) use
// the codec asked for and no chunk another one; and the smaller part is
// the one the codec's documentation promises.
func TestCompression(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	g := newRecordGen(11)
	want := map[Compression]format.CompressionCodec{Zstd: format.Zstd, Snappy: format.Snappy, Uncompressed: format.Uncompressed}
	sizes := map[Compression]int{}
	for c, codec := range want {
		recs := []arrow.RecordBatch{g.batch(mem, 30_000), g.batch(mem, 30_000)}
		data, rows := writeBatches(t, schema.Records, Options{RowGroupRows: 25_000, Compression: c}, recs)
		sizes[c] = len(data)
		f, got := readPart(t, data, schema.Records)
		compareRows(t, schema.Records, got, rows)
		for _, rg := range f.Metadata().RowGroups {
			for _, col := range rg.Columns {
				md := col.MetaData
				name := strings.Join(md.PathInSchema, ".")
				if md.Codec != codec && (md.Codec != format.Uncompressed || name == "addr" || name == "offset") {
					t.Errorf("%v: column %s written with %v", c, name, md.Codec)
				}
			}
		}
		var seqs []int64
		err := Scan(bytes.NewReader(data), int64(len(data)), []string{"seq"}, func(r Row) error {
			seqs = append(seqs, r.Int64("seq"))
			return nil
		})
		if err != nil {
			t.Fatalf("%v: scanning seq: %v", c, err)
		}
		seq := schema.Records.Index("seq")
		for i, r := range rows {
			if i < len(seqs) && seqs[i] != int64(r[seq].(uint32)) {
				t.Fatalf("%v: row %d: scanned seq %d, wrote %v", c, i, seqs[i], r[seq])
			}
		}
		if len(seqs) != len(rows) {
			t.Errorf("%v: scanned %d rows of %d", c, len(seqs), len(rows))
		}
	}
	if !(sizes[Zstd] < sizes[Snappy] && sizes[Snappy] < sizes[Uncompressed]) {
		t.Errorf("part sizes %v: want zstd < snappy < none", sizes)
	}
}

func TestCompressionNames(t *testing.T) {
	for _, c := range []Compression{Zstd, Snappy, Uncompressed} {
		var got Compression = 7
		if err := got.Set(strings.ToUpper(c.String())); err != nil || got != c {
			t.Errorf("Set(%q): %v, %v", strings.ToUpper(c.String()), got, err)
		}
	}
	var c Compression
	if err := c.Set("lz4"); err == nil || !strings.Contains(err.Error(), "zstd, snappy or none") {
		t.Errorf("Set(lz4): %v", err)
	}
}
