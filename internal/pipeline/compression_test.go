package pipeline

import (
	"cmp"
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go/format"

	"github.com/kdf-tools/kdf/internal/readback"
	"github.com/kdf-tools/kdf/internal/synth"
	"github.com/kdf-tools/kdf/schema/part"
)

// TestCompression ingests one campaign with each codec: the tables hold
// the same rows, every column chunk is written with the codec asked for
// or stored, and the datasets' sizes come in the order the codecs
// promise.
func TestCompression(t *testing.T) {
	src := genCampaign(t, synth.SmallConfig())
	codecs := map[part.Compression]format.CompressionCodec{part.Zstd: format.Zstd, part.Snappy: format.Snappy, part.Uncompressed: format.Uncompressed}
	records := map[part.Compression][]recordRowRead{}
	calls := map[part.Compression][]callRowRead{}
	sizes := map[part.Compression]int64{}
	for c, codec := range codecs {
		ds := filepath.Join(t.TempDir(), c.String())
		if _, err := Run(context.Background(), Config{Dataset: ds, Sources: []string{src}, Compression: c}, nil); err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		var chunks map[format.CompressionCodec]int
		chunks, sizes[c] = readback.Codecs(t, ds)
		if chunks[codec] == 0 || len(chunks) > 2 || len(chunks) == 2 && chunks[format.Uncompressed] == 0 {
			t.Errorf("%v: column chunks by codec %v, want %v and stored ones only", c, chunks, codec)
		}
		records[c] = sortedBy(readTable[recordRowRead](t, ds, "records"), func(r recordRowRead) [2]int64 { return [2]int64{r.RunID, r.Idx} })
		calls[c] = sortedBy(readTable[callRowRead](t, ds, "calls"), func(r callRowRead) [2]int64 { return [2]int64{r.RunID, r.CallID} })
	}
	if len(records[part.Zstd]) == 0 || len(calls[part.Zstd]) == 0 {
		t.Fatalf("%d records, %d calls", len(records[part.Zstd]), len(calls[part.Zstd]))
	}
	for _, c := range []part.Compression{part.Snappy, part.Uncompressed} {
		if !reflect.DeepEqual(records[c], records[part.Zstd]) || !reflect.DeepEqual(calls[c], calls[part.Zstd]) {
			t.Errorf("%v: the tables differ from zstd's", c)
		}
	}
	if !(sizes[part.Zstd] < sizes[part.Snappy] && sizes[part.Snappy] < sizes[part.Uncompressed]) {
		t.Errorf("dataset sizes %v: want zstd < snappy < none", sizes)
	}
}

// sortedBy sorts rows by key, a pair of ids.
func sortedBy[T any](rows []T, key func(T) [2]int64) []T {
	slices.SortFunc(rows, func(a, b T) int {
		ka, kb := key(a), key(b)
		return cmp.Or(cmp.Compare(ka[0], kb[0]), cmp.Compare(ka[1], kb[1]))
	})
	return rows
}

// TestCompressionRewrite ingests two sources in snappy, then one of
// them again, forced, in zstd: the snappy parts that also hold the other
// source's rows are rewritten without the replaced ones. The tables end
// as one zstd ingest of both writes them.
func TestCompressionRewrite(t *testing.T) {
	src := genCampaign(t, synth.SmallConfig())
	a, b := filepath.Join(src, "arm=a"), filepath.Join(src, "arm=b")
	mixed, plain := filepath.Join(t.TempDir(), "mixed"), filepath.Join(t.TempDir(), "plain")
	for _, c := range []Config{
		{Dataset: mixed, Sources: []string{a, b}, Compression: part.Snappy, Workers: 1},
		{Dataset: mixed, Sources: []string{a}, Force: true},
		{Dataset: plain, Sources: []string{a, b}},
	} {
		if _, err := Run(context.Background(), c, nil); err != nil {
			t.Fatal(err)
		}
	}
	codecs, _ := readback.Codecs(t, mixed)
	if codecs[format.Zstd] == 0 || codecs[format.Snappy] == 0 {
		t.Errorf("column chunks by codec after the forced ingest: %v, want zstd and snappy", codecs)
	}
	key := func(r recordRowRead) [2]int64 { return [2]int64{r.RunID, r.Idx} }
	got, want := sortedBy(readTable[recordRowRead](t, mixed, "records"), key), sortedBy(readTable[recordRowRead](t, plain, "records"), key)
	if len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("records after the rewrite: %d rows, want the %d of one ingest", len(got), len(want))
	}
	ckey := func(r callRowRead) [2]int64 { return [2]int64{r.RunID, r.CallID} }
	if c, w := sortedBy(readTable[callRowRead](t, mixed, "calls"), ckey), sortedBy(readTable[callRowRead](t, plain, "calls"), ckey); !reflect.DeepEqual(c, w) {
		t.Errorf("calls after the rewrite: %d rows, want the %d of one ingest", len(c), len(w))
	}
}
