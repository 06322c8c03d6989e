package stats

import (
	"math"
	"math/bits"
)

// Count is an integer type that can hold a number of occurrences.
type Count interface {
	~int | ~int32 | ~int64 | ~uint | ~uint32 | ~uint64
}

// Entropy returns the Shannon entropy in bits of the distribution with
// the given occurrence counts, one per distinct value: 0 for a single
// value, log2(k) for k equally frequent values. Zero counts are
// skipped; it is 0 if all counts are zero and NaN if any is negative.
func Entropy[C Count](counts []C) float64 {
	var total float64
	for _, c := range counts {
		if c < 0 {
			return math.NaN()
		}
		total += float64(c)
	}
	if total == 0 {
		return 0
	}
	var h float64
	for _, c := range counts {
		if c != 0 { // 0 log 0 is 0
			p := float64(c) / total
			h -= p * math.Log2(p)
		}
	}
	return h
}

// Log2Bucket returns the power-of-two bucket of v: 0 for 0, and k for v
// in [2^(k-1), 2^k), so 1 is bucket 1, 2 and 3 bucket 2, 4 to 7 bucket
// 3, up to bucket 64 for values from 2^63.
func Log2Bucket(v uint64) int {
	return bits.Len64(v)
}

// Log2BucketBounds returns the smallest and largest value of bucket k,
// both inclusive. It panics if k is outside [0, 64].
func Log2BucketBounds(k int) (lo, hi uint64) {
	switch {
	case k < 0 || k > 64:
		panic("stats: log2 bucket out of range")
	case k == 0:
		return 0, 0
	case k == 64:
		return 1 << 63, math.MaxUint64
	}
	return 1 << (k - 1), 1<<k - 1
}

// Log2Histogram counts values per Log2Bucket; the result has one entry
// per bucket up to the highest one used, and is empty for no values.
func Log2Histogram(values []uint64) []uint64 {
	var counts []uint64
	for _, v := range values {
		k := Log2Bucket(v)
		for len(counts) <= k {
			counts = append(counts, 0)
		}
		counts[k]++
	}
	return counts
}
