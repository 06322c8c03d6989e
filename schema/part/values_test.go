package part

import (
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/format"
)

// TestEncodeIndexes decodes indexes of every width, those of the
// run-finding encoder and the wide ones, with parquet-go's decoder and
// with the package's.
func TestEncodeIndexes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for width := 1; width <= 31; width++ {
		for _, n := range []int{0, 1, 7, 8, 9, 1000, 4099} {
			idx := make([]int32, n)
			for i := range idx {
				if rng.IntN(3) > 0 {
					idx[i] = int32(rng.Int64N(1 << width))
				}
			}
			b, err := encodeIndexes(nil, idx, 1<<width)
			if err != nil {
				t.Fatal(err)
			}
			if int(b[0]) != width {
				t.Fatalf("width %d written as %d", width, b[0])
			}
			var dec rle.DictionaryEncoding
			got, err := dec.DecodeInt32(nil, b)
			if err != nil || len(got) < n {
				t.Fatalf("width %d, %d values: decoded %d, %v", width, n, len(got), err)
			}
			own := make([]uint32, n)
			if err := decodeHybrid(own, b[1:], int(b[0])); err != nil {
				t.Fatalf("width %d, %d values: %v", width, n, err)
			}
			for i := range idx {
				if got[i] != idx[i] || own[i] != uint32(idx[i]) {
					t.Fatalf("width %d, %d values: index %d read as %d and %d, want %d", width, n, i, got[i], own[i], idx[i])
				}
			}
		}
	}
}

// Words that barely repeat on a chunk's first page go in PLAIN from
// there, with no dictionary page; words that repeat keep theirs, and
// the chunk after the first starts from a dictionary again.
func TestBarelyRepeatingWords(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	page := func(distinct int) arrow.Array {
		b := array.NewUint64Builder(memory.DefaultAllocator)
		defer b.Release()
		for range 20_000 {
			b.Append(rng.Uint64N(uint64(distinct)) * 0x9e3779b97f4a7c15)
		}
		return b.NewArray()
	}
	w := newDictNumWriter[uint64]()
	for chunk, c := range []struct {
		distinct int
		want     format.Encoding
	}{{1 << 40, format.Plain}, {500, format.RLEDictionary}, {1 << 40, format.Plain}, {12_000, format.RLEDictionary}} {
		a := page(c.distinct)
		w.add(a, 0, a.Len())
		a.Release()
		body, enc, err := w.encode(nil)
		if err != nil || enc != c.want {
			t.Errorf("chunk %d, %d distinct words: %v, %v; want %v", chunk, c.distinct, enc, err, c.want)
		}
		if _, n := w.dictionary(nil); (n > 0) != (c.want == format.RLEDictionary) {
			t.Errorf("chunk %d: a dictionary of %d words", chunk, n)
		}
		if c.want == format.Plain && len(body) != 8*20_000 {
			t.Errorf("chunk %d: %d bytes of PLAIN words", chunk, len(body))
		}
		w.reset()
	}
}
