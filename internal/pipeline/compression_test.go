package pipeline

import (
	"cmp"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/kdf-tools/kdf/internal/readback"
	"github.com/kdf-tools/kdf/internal/synth"
	"github.com/kdf-tools/kdf/schema"
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
		used := 0
		for _, tab := range schema.All {
			for _, p := range readback.Parts(t, ds, tab.Name) {
				n, chunks := partCodecs(t, p, codec)
				sizes[c] += n
				used += chunks
			}
		}
		if used == 0 {
			t.Errorf("%v: no column chunk written with %v", c, codec)
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

// partCodecs checks that every column chunk of the part at path is
// written with codec or stored; it returns the part's size and how many
// chunks use codec.
func partCodecs(t *testing.T, path string, codec format.CompressionCodec) (int64, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, fi.Size())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	n := 0
	for _, rg := range pf.Metadata().RowGroups {
		for _, col := range rg.Columns {
			switch col.MetaData.Codec {
			case codec:
				n++
			case format.Uncompressed:
			default:
				t.Errorf("%s: column %v written with %v, want %v", path, col.MetaData.PathInSchema, col.MetaData.Codec, codec)
			}
		}
	}
	return fi.Size(), n
}

// sortedBy sorts rows by key, a pair of ids.
func sortedBy[T any](rows []T, key func(T) [2]int64) []T {
	slices.SortFunc(rows, func(a, b T) int {
		ka, kb := key(a), key(b)
		return cmp.Or(cmp.Compare(ka[0], kb[0]), cmp.Compare(ka[1], kb[1]))
	})
	return rows
}
