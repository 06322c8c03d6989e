package part

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/kdf-tools/kdf/schema"
	"github.com/parquet-go/parquet-go/format"
)

// element is what a reader sees of one schema element: name,
// repetition, physical type (or group), logical type.
func element(e format.SchemaElement) string {
	typ := "group"
	if p, ok := e.Type.Get(); ok {
		typ = p.String()
	}
	return fmt.Sprintf("%s %s %s %s", e.RepetitionType.V, e.Name, typ, e.LogicalType.String())
}

// wantElements lists the schema elements of a column as the Parquet
// specification's LogicalTypes.md spells them, and as DuckDB maps them:
// UINT(64) is UBIGINT, a 3-level LIST a LIST, a key_value MAP a MAP.
func wantElements(name string, t arrow.DataType, nullable bool) []string {
	rep := "REQUIRED"
	if nullable {
		rep = "OPTIONAL"
	}
	switch t := t.(type) {
	case *arrow.ListType:
		return append([]string{rep + " " + name + " group LIST", "REPEATED list group "},
			wantElements("element", t.Elem(), t.ElemField().Nullable)...)
	case *arrow.MapType:
		return slices.Concat([]string{rep + " " + name + " group MAP", "REPEATED key_value group "},
			wantElements("key", t.KeyType(), false), wantElements("value", t.ItemType(), t.ItemField().Nullable))
	}
	leaf := map[arrow.Type]string{
		arrow.INT64: "INT64 INT(64,true)", arrow.INT32: "INT32 INT(32,true)",
		arrow.UINT64: "INT64 INT(64,false)", arrow.UINT32: "INT32 INT(32,false)", arrow.UINT8: "INT32 INT(8,false)",
		arrow.FLOAT64: "DOUBLE ", arrow.BOOL: "BOOLEAN ", arrow.STRING: "BYTE_ARRAY STRING",
	}[t.ID()]
	return []string{rep + " " + name + " " + leaf}
}

// TestFileSchema reads each table's part schema back from the footer
// and checks every element against the standard types.
func TestFileSchema(t *testing.T) {
	for _, tbl := range schema.All {
		t.Run(tbl.Name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rec := randomBatch(mem, tbl, rand.New(rand.NewPCG(1, 1)), 10)
			data, _ := writeBatches(t, tbl, Options{}, []arrow.RecordBatch{rec})
			f, _ := readPart(t, data, tbl)
			var got []string
			for _, e := range f.Metadata().Schema[1:] {
				got = append(got, element(e))
			}
			var want []string
			for _, c := range tbl.Columns {
				want = append(want, wantElements(c.Name, c.Type, c.Nullable)...)
			}
			if d := diffLines(got, want); d != "" {
				t.Errorf("schema elements (-got +want):\n%s", d)
			}
			if v, _ := f.Lookup("kdf.table"); v != tbl.Name {
				t.Errorf("kdf.table = %q", v)
			}
		})
	}
}

func diffLines(got, want []string) string {
	var b strings.Builder
	for i := range max(len(got), len(want)) {
		g, w := "", ""
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			fmt.Fprintf(&b, "-%s\n+%s\n", g, w)
		}
	}
	return b.String()
}

// TestEncodingsAndStatistics checks, on realistic records, the encoding
// of each column chunk and that every chunk carries min/max statistics,
// unsigned where the column is: the largest u64 must be the maximum.
func TestEncodingsAndStatistics(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := newRecordGen(5).batch(mem, 50_000)
	data, _ := writeBatches(t, schema.Records, Options{RowGroupRows: 20_000}, []arrow.RecordBatch{rec})
	f, _ := readPart(t, data, schema.Records)
	wantEnc := map[string]format.Encoding{
		"run_id": format.RLEDictionary, "idx": format.DeltaBinaryPacked, "seq": format.DeltaBinaryPacked,
		"call_id": format.DeltaBinaryPacked, "kind": format.RLEDictionary, "func": format.RLEDictionary,
		"module": format.RLEDictionary, "pc": format.RLEDictionary, "arg_idx": format.RLEDictionary,
	}
	// Delta-encoded counters and the skewed module and addr columns
	// compress by half; symbols and pcs may be stored.
	compressible := map[string]bool{"offset": true, "module": true, "addr": true, "nvals": true}
	var maxValue uint64
	for _, rg := range f.Metadata().RowGroups {
		for _, c := range rg.Columns {
			md := c.MetaData
			name := strings.Join(md.PathInSchema, ".")
			if e, ok := wantEnc[name]; ok && !slices.Contains(md.Encoding, e) {
				t.Errorf("%s: encodings %v, want %v among them", name, md.Encoding, e)
			}
			if md.Codec != format.Zstd && (md.Codec != format.Uncompressed || compressible[name]) {
				t.Errorf("%s: codec %v", name, md.Codec)
			}
			st := md.Statistics
			if st.MinValue == nil || st.MaxValue == nil {
				t.Errorf("%s: no min/max statistics", name)
			}
			if name == "value" {
				maxValue = max(maxValue, binary.LittleEndian.Uint64(st.MaxValue))
				if binary.LittleEndian.Uint64(st.MinValue) > 4096 {
					t.Errorf("value: min %#x, want a small word", st.MinValue)
				}
			}
		}
	}
	if maxValue < 0xfffffff2 {
		t.Errorf("value: max %#x, want the large words on top (unsigned order)", maxValue)
	}
}

// TestRunIDRuns checks run_id on the records of small buffers, 370 a
// run: each run is one run-length-encoded index, a fraction of a byte a
// row, where DELTA_BINARY_PACKED made a block of 64-bit deltas at each
// change of run (1.6 bytes a row on a 370-record campaign); values and
// statistics keep the signed order.
func TestRunIDRuns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	g := newRecordGen(11)
	g.runRecords = 370
	rec := g.batch(mem, 60_000)
	ids := rec.Column(0).(*array.Int64).Int64Values()
	lo, hi := slices.Min(ids), slices.Max(ids)
	if lo >= 0 || hi <= 0 {
		t.Fatalf("run_ids %d to %d: want both signs", lo, hi)
	}
	data, want := writeBatches(t, schema.Records, Options{RowGroupRows: 25_000}, []arrow.RecordBatch{rec})
	rec.Release()
	f, got := readPart(t, data, schema.Records)
	compareRows(t, schema.Records, got, want)
	var bytes int64
	var statLo, statHi int64 = math.MaxInt64, math.MinInt64
	for _, rg := range f.Metadata().RowGroups {
		md := rg.Columns[0].MetaData
		if !slices.Equal(md.Encoding, []format.Encoding{format.Plain, format.RLEDictionary}) {
			t.Errorf("run_id: encodings %v", md.Encoding)
		}
		bytes += md.TotalUncompressedSize
		statLo = min(statLo, int64(binary.LittleEndian.Uint64(md.Statistics.MinValue)))
		statHi = max(statHi, int64(binary.LittleEndian.Uint64(md.Statistics.MaxValue)))
	}
	if perRow := float64(bytes) / float64(len(want)); perRow > 0.1 {
		t.Errorf("run_id: %.3f bytes a row before compression, want under 0.1", perRow)
	}
	if statLo != lo || statHi != hi {
		t.Errorf("run_id statistics %d to %d, want %d to %d", statLo, statHi, lo, hi)
	}
}

// TestLayoutOrder checks that the leaves keep the table's column order
// and levels follow the Dremel rules.
func TestLayoutOrder(t *testing.T) {
	for _, tbl := range schema.All {
		ls, err := leaves(tbl)
		if err != nil {
			t.Fatal(err)
		}
		col := 0
		for _, l := range ls {
			if l.col < col || tbl.Columns[l.col].Name != l.path[0] {
				t.Errorf("%s: leaf %v of column %d after column %d", tbl.Name, l.path, l.col, col)
			}
			col = l.col
			if l.maxDef < l.top+l.maxRep || l.maxDef > l.top+2*l.maxRep {
				t.Errorf("%s: leaf %v: max definition level %d, top %d, repetition %d", tbl.Name, l.path, l.maxDef, l.top, l.maxRep)
			}
		}
		if col != len(tbl.Columns)-1 {
			t.Errorf("%s: last leaf of column %d", tbl.Name, col)
		}
	}
}

func TestLayoutRejectsOtherTypes(t *testing.T) {
	tbl := &schema.Table{Name: "t", Columns: []schema.Column{{Name: "day", Type: arrow.FixedWidthTypes.Date32}}}
	if _, err := NewWriter(new(strings.Builder), tbl, Options{}); err == nil || !strings.Contains(err.Error(), "column day") {
		t.Errorf("NewWriter of a date32 column: %v", err)
	}
}

// TestLevelHistograms checks the level histograms of every column
// chunk against its counts: as many levels as values, a repetition
// level of 0 per row, and as many values below the largest definition
// level as nulls.
func TestLevelHistograms(t *testing.T) {
	for _, tbl := range schema.All {
		data, _ := writeRandomPart(t, tbl, 700)
		f, _ := readPart(t, data, tbl)
		for g, rg := range f.Metadata().RowGroups {
			for _, c := range rg.Columns {
				md, name := c.MetaData, strings.Join(c.MetaData.PathInSchema, ".")
				def, rep := md.SizeStatistics.DefinitionLevelHistogram, md.SizeStatistics.RepetitionLevelHistogram
				if len(def) == 0 {
					continue
				}
				sum := int64(0)
				for _, n := range def {
					sum += n
				}
				if sum != md.NumValues || md.NumValues-def[len(def)-1] != md.Statistics.NullCount {
					t.Errorf("%s group %d %s: definition histogram %v for %d values, %d nulls", tbl.Name, g, name, def, md.NumValues, md.Statistics.NullCount)
				}
				if len(rep) > 1 && (rep[0] != rg.NumRows || rep[0]+rep[1] != md.NumValues) {
					t.Errorf("%s group %d %s: repetition histogram %v for %d rows, %d values", tbl.Name, g, name, rep, rg.NumRows, md.NumValues)
				}
			}
		}
	}
}
