package part

import (
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go/encoding/rle"
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
