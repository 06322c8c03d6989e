package stats

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
)

// DefaultResamples is the number of bootstrap resamples when
// Bootstrap.Resamples is zero.
const DefaultResamples = 10000

// Bootstrap computes percentile-method bootstrap confidence intervals.
// The zero value is usable: 10000 resamples, 95% level, seed 0.
//
// CI and GeoMeanCI draw their resamples from a PCG stream seeded with
// Seed, and take indices from its raw 64-bit output, so an interval
// depends only on the data, Resamples, Level and Seed, never on the Go
// release. MedianCI draws nothing: it uses the exact bootstrap
// distribution, so Resamples and Seed do not affect it.
type Bootstrap struct {
	Resamples int     // number of resamples; 0 means DefaultResamples
	Level     float64 // confidence level in (0, 1); 0 means 0.95
	Seed      uint64
}

// Interval is a confidence interval [Lo, Hi].
type Interval struct {
	Lo, Hi float64
}

// CI returns the interval of statistic over resamples of x. statistic
// receives a scratch slice that it may reorder; it must not keep it.
// The interval is NaN if x is empty.
func (b Bootstrap) CI(x []float64, statistic func([]float64) float64) Interval {
	if len(x) == 0 {
		return Interval{math.NaN(), math.NaN()}
	}
	rng := b.rng()
	buf := make([]float64, len(x))
	return b.interval(func() float64 {
		for i := range buf {
			buf[i] = x[index(rng, len(x))]
		}
		return statistic(buf)
	})
}

// MedianCI returns the interval of the median of x from the exact
// bootstrap distribution of the median (Maritz and Jarrett, 1978;
// Efron, 1982): the distribution over all n^n resamples, computed in
// closed form (see medianBootstrap) rather than sampled. The endpoints
// are its (1-Level)/2 and (1+Level)/2 quantiles by the inverse CDF, the
// smallest resample median whose cumulative probability reaches the
// level; that is the limit of CI(x, Median) as Resamples grows. Each
// endpoint is a sample value or, for even n, the midpoint of two. The
// sort dominates the cost, O(n log n); a quantile takes O(log n)
// evaluations of the CDF at O(sqrt(n)) each. Resamples and Seed are
// ignored. The interval is NaN if x is empty or holds NaN.
func (b Bootstrap) MedianCI(x []float64) Interval {
	s := sortedCopy(x)
	if len(s) == 0 || math.IsNaN(s[0]) {
		return Interval{math.NaN(), math.NaN()}
	}
	d := newMedianBootstrap(s)
	level := b.level()
	return Interval{d.quantile((1 - level) / 2), d.quantile((1 + level) / 2)}
}

// GeoMeanCI returns the interval of the geometric mean of x; it is NaN
// when GeoMean(x) is.
func (b Bootstrap) GeoMeanCI(x []float64) Interval {
	if len(x) == 0 || !allPositive(x) {
		return Interval{math.NaN(), math.NaN()}
	}
	logs := make([]float64, len(x))
	for i, v := range x {
		logs[i] = math.Log(v)
	}
	rng := b.rng()
	return b.interval(func() float64 {
		var sum float64
		for range logs {
			sum += logs[index(rng, len(logs))]
		}
		return math.Exp(sum / float64(len(logs)))
	})
}

// interval draws the replicates and takes their type 7 quantiles at
// (1-level)/2 and (1+level)/2.
func (b Bootstrap) interval(replicate func() float64) Interval {
	n, level := b.Resamples, b.level()
	if n <= 0 {
		n = DefaultResamples
	}
	reps := make([]float64, n)
	for i := range reps {
		reps[i] = replicate()
	}
	slices.Sort(reps)
	return Interval{QuantileSorted(reps, (1-level)/2), QuantileSorted(reps, (1+level)/2)}
}

func (b Bootstrap) level() float64 {
	if !(b.Level > 0 && b.Level < 1) {
		return 0.95
	}
	return b.Level
}

func (b Bootstrap) rng() *rand.PCG {
	// The second word only selects the stream; it is fixed so that Seed
	// alone identifies the interval.
	return rand.NewPCG(b.Seed, 0x6b64662d626f6f74) // "kdf-boot"
}

// index returns a uniform index in [0, n) by Lemire's multiply-shift.
// Its bias, at most n/2^64, is far below anything a report can show.
func index(rng *rand.PCG, n int) int {
	hi, _ := bits.Mul64(rng.Uint64(), uint64(n))
	return int(hi)
}
