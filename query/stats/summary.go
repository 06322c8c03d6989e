package stats

import (
	"math"
	"slices"
	"strconv"
)

// Mean returns the arithmetic mean of x, or NaN if x is empty.
func Mean(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	return compensatedSum(x) / float64(len(x))
}

// compensatedSum adds x with Neumaier's compensation, so a mean of
// many per-run figures does not depend on their order.
func compensatedSum(x []float64) float64 {
	var s, c float64
	for _, v := range x {
		t := s + v
		if math.Abs(s) >= math.Abs(v) {
			c += (s - t) + v
		} else {
			c += (v - t) + s
		}
		s = t
	}
	return s + c
}

// Min returns the smallest value of x, or NaN if x is empty or holds NaN.
func Min(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	return slices.Min(x) // propagates NaN
}

// Max returns the largest value of x, or NaN if x is empty or holds NaN.
func Max(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	return slices.Max(x) // propagates NaN
}

// Median returns the middle value of x (the mean of the two middle
// values for an even count), or NaN if x is empty.
func Median(x []float64) float64 {
	return Quantile(x, 0.5)
}

// Quantile returns the p-quantile of x by R's default definition (type
// 7, see the package comment). It returns NaN if x is empty, holds NaN,
// or p is outside [0, 1]. It sorts a copy of x; to take several
// quantiles of a large sample, sort once and use QuantileSorted.
func Quantile(x []float64, p float64) float64 {
	return QuantileSorted(sortedCopy(x), p)
}

// QuantileSorted is Quantile for x already sorted in increasing order.
func QuantileSorted(x []float64, p float64) float64 {
	n := len(x)
	if n == 0 || !(p >= 0 && p <= 1) || math.IsNaN(x[0]) {
		return math.NaN() // slices.Sort puts NaNs first
	}
	h := float64(n-1) * p
	lo := int(h)
	if lo >= n-1 {
		return x[n-1]
	}
	return x[lo] + (h-float64(lo))*(x[lo+1]-x[lo])
}

// GeoMean returns the geometric mean of x. It is NaN if x is empty or
// any value is zero, negative or NaN (see the package comment for why a
// zero is not allowed to pull the result to 0).
func GeoMean(x []float64) float64 {
	if len(x) == 0 || !allPositive(x) {
		return math.NaN()
	}
	logs := make([]float64, len(x))
	for i, v := range x {
		logs[i] = math.Log(v)
	}
	return math.Exp(compensatedSum(logs) / float64(len(x)))
}

// Summary is the location and spread of one sample, as a paper table
// row shows it.
type Summary struct {
	N                      int
	Min, Median, Max, Mean float64
}

// Summarize computes the Summary of x with one sort.
func Summarize(x []float64) Summary {
	s := sortedCopy(x)
	sum := Summary{N: len(x), Min: math.NaN(), Median: math.NaN(), Max: math.NaN(), Mean: math.NaN()}
	if len(s) == 0 || math.IsNaN(s[0]) {
		return sum
	}
	sum.Min, sum.Max = s[0], s[len(s)-1]
	sum.Median = QuantileSorted(s, 0.5)
	sum.Mean = Mean(s)
	return sum
}

// MedianRange formats s as "median [min-max]"; see FormatMedianRange.
func (s Summary) MedianRange(prec int) string {
	return FormatMedianRange(s.Median, s.Min, s.Max, prec)
}

// FormatMedianRange formats "median [min-max]", the cell that campaign
// tables in fuzzing papers use for repeated trials. prec is the number
// of digits after the decimal point, or -1 for the fewest digits that
// represent each value exactly. When a bound is negative the range is
// written "[min, max]" so that minus signs are not read as dashes. Any
// NaN gives "n/a".
func FormatMedianRange(median, min, max float64, prec int) string {
	if math.IsNaN(median) || math.IsNaN(min) || math.IsNaN(max) {
		return "n/a"
	}
	sep := "-"
	if min < 0 || max < 0 {
		sep = ", "
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', prec, 64) }
	return f(median) + " [" + f(min) + sep + f(max) + "]"
}

func sortedCopy(x []float64) []float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s
}

// allPositive reports whether every value is > 0; NaN fails the test.
func allPositive(x []float64) bool {
	for _, v := range x {
		if !(v > 0) {
			return false
		}
	}
	return true
}
