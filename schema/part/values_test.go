package part

import (
	"math"
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

// TestMinMax checks the bounds of every length up to a few blocks, and
// of long slices, against a plain scan, for each number type; doubles
// with NaNs anywhere, and only NaNs.
func TestMinMax(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := range 70 {
		checkMinMax(t, rng, n)
	}
	checkMinMax(t, rng, 100_003)
	nan := math.NaN()
	if _, _, ok := minMax([]float64{nan, nan}); ok {
		t.Error("minMax of NaNs found bounds")
	}
	if lo, hi, ok := minMax([]float64{nan, 3, nan, -1, nan}); lo != -1 || hi != 3 || !ok {
		t.Errorf("minMax with NaNs: %v, %v, %v", lo, hi, ok)
	}
}

func checkMinMax(t *testing.T, rng *rand.Rand, n int) {
	t.Helper()
	checkMinMaxOf(t, n, func() uint64 { return rng.Uint64() })
	checkMinMaxOf(t, n, func() int64 { return int64(rng.Uint64()) })
	checkMinMaxOf(t, n, func() uint32 { return rng.Uint32() })
	checkMinMaxOf(t, n, func() int32 { return int32(rng.Uint32()) })
	checkMinMaxOf(t, n, func() uint8 { return uint8(rng.Uint32()) })
	checkMinMaxOf(t, n, func() float64 {
		if rng.IntN(5) == 0 {
			return math.NaN()
		}
		return rng.NormFloat64()
	})
}

func checkMinMaxOf[T number](t *testing.T, n int, gen func() T) {
	t.Helper()
	vs := make([]T, n)
	for i := range vs {
		vs[i] = gen()
	}
	var lo, hi T
	ok := false
	for _, v := range vs {
		switch {
		case v != v:
		case !ok:
			lo, hi, ok = v, v, true
		default:
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if l, h, o := minMax(vs); l != lo || h != hi || o != ok {
		t.Errorf("minMax of %d %T: %v, %v, %v; want %v, %v, %v", n, lo, l, h, o, lo, hi, ok)
	}
}

// BenchmarkMinMax is a page's bounds: 32,768 words.
func BenchmarkMinMax(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	vs := make([]uint64, 32<<10)
	for i := range vs {
		vs[i] = rng.Uint64()
	}
	b.SetBytes(int64(8 * len(vs)))
	for b.Loop() {
		minMax(vs)
	}
}
