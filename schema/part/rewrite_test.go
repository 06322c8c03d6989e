package part

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/kdf-tools/kdf/schema"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// writeRandomPart writes n random rows of tbl in row groups of 300 and
// returns the part and its rows.
func writeRandomPart(t testing.TB, tbl *schema.Table, n int) ([]byte, [][]any) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(11, uint64(n)))
	var recs []arrow.RecordBatch
	for n > 0 {
		k := min(n, 1+rng.IntN(500))
		recs = append(recs, randomBatch(mem, tbl, rng, k))
		n -= k
	}
	return writeBatches(t, tbl, Options{RowGroupRows: 300, PageBytes: 2 << 10}, recs)
}

// TestRewrite drops chosen rows, around row group boundaries among
// them, from a part of each table, and reads every column of the rows
// kept back with parquet-go.
func TestRewrite(t *testing.T) {
	for _, tbl := range schema.All {
		t.Run(tbl.Name, func(t *testing.T) {
			data, rows := writeRandomPart(t, tbl, 1000)
			drop := map[int]bool{0: true, 299: true, 300: true, 301: true, 599: true, 999: true}
			for i := 400; i < 700; i += 3 {
				drop[i] = true
			}
			var want [][]any
			for i, r := range rows {
				if !drop[i] {
					want = append(want, r)
				}
			}
			i := 0
			keep := func(Row) bool { i++; return !drop[i-1] }
			var out bytes.Buffer
			kept, dropped, err := Rewrite(&out, bytes.NewReader(data), int64(len(data)), tbl, Options{RowGroupRows: 250}, keep)
			if err != nil {
				t.Fatal(err)
			}
			if kept != int64(len(want)) || dropped != int64(len(drop)) || i != len(rows) {
				t.Errorf("kept %d, dropped %d, %d rows seen; want %d, %d, %d", kept, dropped, i, len(want), len(drop), len(rows))
			}
			_, got := readPart(t, out.Bytes(), tbl)
			compareRows(t, tbl, got, want)
		})
	}
}

// TestRewriteKeepsAll copies a part of realistic records whole.
func TestRewriteKeepsAll(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	g := newRecordGen(9)
	data, want := writeBatches(t, schema.Records, Options{RowGroupRows: 30_000}, []arrow.RecordBatch{g.batch(mem, 50_000), g.batch(mem, 20_000)})
	var out bytes.Buffer
	kept, dropped, err := Rewrite(&out, bytes.NewReader(data), int64(len(data)), schema.Records, Options{}, nil)
	if err != nil || kept != 70_000 || dropped != 0 {
		t.Fatalf("Rewrite: kept %d, dropped %d, %v", kept, dropped, err)
	}
	_, got := readPart(t, out.Bytes(), schema.Records)
	compareRows(t, schema.Records, got, want)
}

// TestRewriteFilter drops rows by the values Row gives.
func TestRewriteFilter(t *testing.T) {
	data, rows := writeRandomPart(t, schema.Runs, 700)
	col := schema.Runs.Index("kallsyms")
	var want [][]any
	for _, r := range rows {
		if r[col] == nil || !strings.HasPrefix(r[col].(string), "boot=1") {
			want = append(want, r)
		}
	}
	keep := func(r Row) bool {
		return r.Null("kallsyms") || !strings.HasPrefix(r.String("kallsyms"), "boot=1")
	}
	var out bytes.Buffer
	if _, _, err := Rewrite(&out, bytes.NewReader(data), int64(len(data)), schema.Runs, Options{}, keep); err != nil {
		t.Fatal(err)
	}
	_, got := readPart(t, out.Bytes(), schema.Runs)
	compareRows(t, schema.Runs, got, want)
}

// oldReject is a row of rejects as parquet-go's generic writer lays it
// out, the way parts were written before this package wrote them.
type oldReject struct {
	Campaign string  `parquet:"campaign,dict"`
	Source   string  `parquet:"source,dict"`
	Path     string  `parquet:"path"`
	SHA256   *string `parquet:"sha256,optional"`
	Bytes    *int64  `parquet:"bytes,optional"`
	Reason   string  `parquet:"reason,dict"`
	Detail   string  `parquet:"detail"`
}

// TestRewriteRepairsOldParts rewrites a part written by parquet-go with
// invalid UTF-8 in its strings, as the first writer let through, into
// one whose strings are escaped.
func TestRewriteRepairsOldParts(t *testing.T) {
	var old bytes.Buffer
	w := parquet.NewGenericWriter[oldReject](&old, parquet.DataPageVersion(1), parquet.Compression(&zstd.Codec{}),
		parquet.KeyValueMetadata("kdf.table", "rejects"), parquet.PageBufferSize(512))
	var rows []oldReject
	var want [][]any
	for i := range 400 {
		h, p := hostileStrings[i%len(hostileStrings)], hostileStrings[(i+5)%len(hostileStrings)]
		r := oldReject{Campaign: "c" + h.in, Source: "s", Path: p.in, Reason: "not_a_buffer", Detail: h.in + p.in}
		wr := []any{"c" + h.want, "s", p.want, nil, nil, "not_a_buffer", h.want + p.want}
		if i%3 == 0 {
			sha, n := fmt.Sprintf("%064x", i), int64(i)
			r.SHA256, r.Bytes, wr[3], wr[4] = &sha, &n, sha, n
		}
		rows, want = append(rows, r), append(want, wr)
	}
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, _, err := Rewrite(&out, bytes.NewReader(old.Bytes()), int64(old.Len()), schema.Rejects, Options{}, nil); err != nil {
		t.Fatal(err)
	}
	_, got := readPart(t, out.Bytes(), schema.Rejects)
	compareRows(t, schema.Rejects, got, want)
}

// TestScan reads three flat columns of a part of runs, nulls included.
func TestScan(t *testing.T) {
	data, rows := writeRandomPart(t, schema.Runs, 1000)
	cols := []string{"run_id", "kallsyms", "first_seq"}
	idx := []int{schema.Runs.Index("run_id"), schema.Runs.Index("kallsyms"), schema.Runs.Index("first_seq")}
	i := 0
	err := Scan(bytes.NewReader(data), int64(len(data)), cols, func(r Row) error {
		want := rows[i]
		i++
		if r.Int64("run_id") != want[idx[0]].(int64) || r.Int64("first_seq") != int64(want[idx[2]].(uint32)) {
			return fmt.Errorf("row %d: run_id %d, first_seq %d; want %v", i-1, r.Int64("run_id"), r.Int64("first_seq"), want)
		}
		if null := want[idx[1]] == nil; r.Null("kallsyms") != null || !null && r.String("kallsyms") != want[idx[1]] || null && r.String("kallsyms") != "" {
			return fmt.Errorf("row %d: kallsyms %q (null %v), want %v", i-1, r.String("kallsyms"), r.Null("kallsyms"), want[idx[1]])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if i != len(rows) {
		t.Errorf("scanned %d rows of %d", i, len(rows))
	}
	stop := errors.New("stop")
	if err := Scan(bytes.NewReader(data), int64(len(data)), cols, func(Row) error { return stop }); err != stop {
		t.Errorf("Scan returned %v, want fn's error", err)
	}
	for _, bad := range []string{"attrs", "no_such_column"} {
		if err := Scan(bytes.NewReader(data), int64(len(data)), []string{bad}, func(Row) error { return nil }); err == nil {
			t.Errorf("Scan of column %q succeeded", bad)
		}
	}
}

// BenchmarkScanRuns scans three string columns of 100k runs, what
// rebuilding an index from the dataset reads.
func BenchmarkScanRuns(b *testing.B) {
	mem := memory.NewGoAllocator()
	rng := rand.New(rand.NewPCG(1, 2))
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema.Runs, Options{})
	if err != nil {
		b.Fatal(err)
	}
	for range 10 {
		rec := randomBatch(mem, schema.Runs, rng, 10_000)
		if err := w.Write(rec); err != nil {
			b.Fatal(err)
		}
		rec.Release()
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		err := Scan(bytes.NewReader(data), int64(len(data)), []string{"source", "path", "sha256"}, func(r Row) error {
			n += len(r.String("source")) + len(r.String("path")) + len(r.String("sha256"))
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*100_000/b.Elapsed().Seconds(), "rows/s")
}

// hostileParts are damaged copies of a valid part of calls (lists),
// each with what it shows.
func hostileParts(t testing.TB, valid []byte) map[string][]byte {
	flip := func(i int) []byte {
		b := slices.Clone(valid)
		b[i] ^= 0x5a
		return b
	}
	footLen := int(uint32(valid[len(valid)-8]) | uint32(valid[len(valid)-7])<<8 | uint32(valid[len(valid)-6])<<16)
	parts := map[string][]byte{
		"empty":            {},
		"magic only":       []byte("PAR1PAR1"),
		"garbage":          bytes.Repeat([]byte{0xa5}, 4096),
		"truncated":        valid[:len(valid)/2],
		"no footer magic":  valid[:len(valid)-1],
		"huge footer":      append(slices.Clone(valid[:len(valid)-8]), 0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1'),
		"flipped header":   flip(4),
		"flipped page":     flip(40),
		"flipped footer":   flip(len(valid) - 8 - footLen/2),
		"flipped footer 2": flip(len(valid) - 8 - footLen + 3),
	}
	for _, n := range []int{5, 100, len(valid) / 2, len(valid) - 8 - footLen + 1} {
		b := slices.Clone(valid)
		copy(b[n:], bytes.Repeat([]byte{0}, min(64, len(b)-n-8)))
		parts[fmt.Sprintf("zeroed at %d", n)] = b
	}
	return parts
}

// TestReadHostileParts reads damaged parts: each is refused with an
// error that says where, and nothing panics.
func TestReadHostileParts(t *testing.T) {
	valid, _ := writeRandomPart(t, schema.Calls, 600)
	for name, data := range hostileParts(t, valid) {
		t.Run(name, func(t *testing.T) {
			_, _, err := Rewrite(io.Discard, bytes.NewReader(data), int64(len(data)), schema.Calls, Options{}, nil)
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("Rewrite: %v, want a FormatError", err)
			}
			if !strings.Contains(err.Error(), "offset") {
				t.Errorf("error %q names no offset", err)
			}
			// Scan reads two columns: damage elsewhere may not matter.
			if err := Scan(bytes.NewReader(data), int64(len(data)), []string{"run_id", "func"}, func(Row) error { return nil }); err != nil && !errors.As(err, &fe) {
				t.Errorf("Scan: %v, want a FormatError", err)
			}
		})
	}
	// A valid part of another table.
	_, _, err := Rewrite(io.Discard, bytes.NewReader(valid), int64(len(valid)), schema.Records, Options{}, nil)
	if err == nil || !strings.Contains(err.Error(), "a part of table calls, not records") {
		t.Errorf("Rewrite of calls as records: %v", err)
	}
}

// FuzzRead reads arbitrary bytes as a part of each table, whole and by
// a few columns, and verifies them: each may fail, with a FormatError,
// but not panic.
func FuzzRead(f *testing.F) {
	for _, tbl := range []*schema.Table{schema.Calls, schema.Runs, schema.Rejects} {
		valid, _ := writeRandomPart(f, tbl, 40)
		// Without the footer's checksum too, so that mutations of the
		// footer reach the checks behind it.
		for _, v := range [][]byte{valid, withoutMetadataCRC(f, valid, "kdf version 2")} {
			f.Add(v)
			for _, b := range hostileParts(f, v) {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, tbl := range schema.All {
			_, _, err := Rewrite(io.Discard, bytes.NewReader(data), int64(len(data)), tbl, Options{}, nil)
			var fe *FormatError
			if err != nil && !errors.As(err, &fe) {
				t.Fatalf("%s: %v is not a FormatError", tbl.Name, err)
			}
		}
		err := Scan(bytes.NewReader(data), int64(len(data)), []string{"run_id"}, func(Row) error { return nil })
		var fe *FormatError
		if err != nil && !errors.As(err, &fe) && !strings.Contains(err.Error(), "no flat column") {
			t.Fatalf("Scan: %v", err)
		}
		if _, err := Verify(bytes.NewReader(data), int64(len(data))); err != nil && !errors.As(err, &fe) {
			t.Fatalf("Verify: %v is not a FormatError", err)
		}
	})
}

// BenchmarkRewriteRecords rewrites a part of a million realistic
// records, dropping the runs whose id is a multiple of 10 as the
// dataset drops superseded runs, and reports rows/s.
func BenchmarkRewriteRecords(b *testing.B) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema.Records, Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, rec := range benchBatches() {
		if err := w.Write(rec); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.ReportAllocs()
	for b.Loop() {
		keep := func(r Row) bool { return r.Int64("run_id")%10 != 0 }
		if _, _, err := Rewrite(&countingWriter{}, bytes.NewReader(data), int64(len(data)), schema.Records, Options{}, keep); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*float64(len(benchBatches())*benchBatchRows)/b.Elapsed().Seconds(), "rows/s")
}
