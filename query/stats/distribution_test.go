package stats

import (
	"math"
	"testing"
)

func TestEntropy(t *testing.T) {
	tests := []struct {
		name   string
		counts []int64
		want   float64
	}{
		// SciPy entropy docs: entropy([1/2, 1/2], base=2) = 1.0 and, for
		// the biased coin, entropy([9/10, 1/10], base=2) =
		// 0.46899559358928117.
		{"fair coin", []int64{5, 5}, 1},
		{"biased coin", []int64{9, 1}, 0.46899559358928117},
		{"one value", []int64{42}, 0},
		{"eight equal", []int64{3, 3, 3, 3, 3, 3, 3, 3}, 3},
		{"zeros skipped", []int64{0, 5, 0, 5}, 1},
		{"empty", nil, 0},
		{"all zero", []int64{0, 0}, 0},
		{"negative", []int64{1, -1}, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Entropy(tt.counts); !approx(got, tt.want, 1e-15) {
				t.Errorf("Entropy(%v) = %v, want %v", tt.counts, got, tt.want)
			}
		})
	}
	if got := Entropy([]uint64{1, 1, 1, 1}); got != 2 {
		t.Errorf("Entropy(uint64 x4) = %v, want 2", got)
	}
}

func TestLog2Bucket(t *testing.T) {
	tests := []struct {
		v    uint64
		want int
	}{
		{0, 0}, {1, 1}, {2, 2}, {3, 2}, {4, 3}, {7, 3}, {8, 4},
		{1023, 10}, {1024, 11}, {1 << 63, 64}, {math.MaxUint64, 64},
	}
	for _, tt := range tests {
		if got := Log2Bucket(tt.v); got != tt.want {
			t.Errorf("Log2Bucket(%d) = %d, want %d", tt.v, got, tt.want)
		}
	}
	for k := 0; k <= 64; k++ {
		lo, hi := Log2BucketBounds(k)
		if Log2Bucket(lo) != k || Log2Bucket(hi) != k || lo > hi {
			t.Errorf("Log2BucketBounds(%d) = %d, %d: not inside bucket %d", k, lo, hi, k)
		}
		if k < 64 {
			if next, _ := Log2BucketBounds(k + 1); next != hi+1 {
				t.Errorf("bucket %d ends at %d but bucket %d starts at %d", k, hi, k+1, next)
			}
		}
	}
}

func TestLog2Histogram(t *testing.T) {
	got := Log2Histogram([]uint64{0, 1, 2, 3, 5, 100})
	want := []uint64{1, 1, 2, 1, 0, 0, 0, 1} // 100 is in [64, 128), bucket 7
	if len(got) != len(want) {
		t.Fatalf("Log2Histogram = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Log2Histogram = %v, want %v", got, want)
		}
	}
	if got := Log2Histogram(nil); len(got) != 0 {
		t.Errorf("Log2Histogram(nil) = %v, want empty", got)
	}
}
