package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func normalSample(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, seed))
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

func TestBootstrapDeterministic(t *testing.T) {
	x := normalSample(50, 1)
	a := Bootstrap{Seed: 7}.MedianCI(x)
	b := Bootstrap{Seed: 7}.MedianCI(x)
	if a != b {
		t.Errorf("same seed, different intervals: %v and %v", a, b)
	}
	// The median's interval ends on sample values, which two seeds
	// easily share; the mean's does not.
	a = Bootstrap{Seed: 7}.CI(x, Mean)
	b = Bootstrap{Seed: 7}.CI(x, Mean)
	c := Bootstrap{Seed: 8}.CI(x, Mean)
	if a != b {
		t.Errorf("same seed, different intervals: %v and %v", a, b)
	}
	if a == c {
		t.Errorf("different seeds, same interval %v", a)
	}
}

// TestMedianCICoverage checks the interval of a standard normal sample
// of 400 against theory: the median's standard error is
// sqrt(pi/2) / sqrt(n) = 0.0627, so a 95% interval is about 0.25 wide
// and should contain 0.
func TestMedianCICoverage(t *testing.T) {
	x := normalSample(400, 2)
	ci := Bootstrap{Seed: 1}.MedianCI(x)
	med := Median(x)
	if !(ci.Lo <= med && med <= ci.Hi) || !(ci.Lo < 0 && 0 < ci.Hi) {
		t.Errorf("interval %v should contain the median %v and 0", ci, med)
	}
	if w := ci.Hi - ci.Lo; w < 0.15 || w > 0.4 {
		t.Errorf("interval width %v, want about 0.25", w)
	}
	narrow := Bootstrap{Seed: 1, Level: 0.5}.MedianCI(x)
	if narrow.Hi-narrow.Lo >= ci.Hi-ci.Lo {
		t.Errorf("50%% interval %v not narrower than 95%% %v", narrow, ci)
	}
}

// TestMedianCIMatchesGeneric checks the counting shortcut against the
// plain resample-and-sort path: on sorted input both draw the same
// multisets from the same stream, so the intervals are identical.
func TestMedianCIMatchesGeneric(t *testing.T) {
	for _, n := range []int{1, 2, 5, 10, 31} {
		x := sortedCopy(normalSample(n, uint64(n)))
		b := Bootstrap{Seed: 3, Resamples: 500}
		fast, slow := b.MedianCI(x), b.CI(x, Median)
		if fast != slow {
			t.Errorf("n=%d: MedianCI %v, CI(Median) %v", n, fast, slow)
		}
		gfast := Bootstrap{Seed: 3, Resamples: 500}.GeoMeanCI(exp(x))
		gslow := Bootstrap{Seed: 3, Resamples: 500}.CI(exp(x), GeoMean)
		if !approx(gfast.Lo, gslow.Lo, 1e-12) || !approx(gfast.Hi, gslow.Hi, 1e-12) {
			t.Errorf("n=%d: GeoMeanCI %v, CI(GeoMean) %v", n, gfast, gslow)
		}
	}
}

func exp(x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = math.Exp(v)
	}
	return y
}

func TestBootstrapEdges(t *testing.T) {
	if ci := (Bootstrap{}).MedianCI([]float64{3, 3, 3}); ci != (Interval{3, 3}) {
		t.Errorf("constant sample: %v, want [3, 3]", ci)
	}
	if ci := (Bootstrap{}).MedianCI(nil); !math.IsNaN(ci.Lo) || !math.IsNaN(ci.Hi) {
		t.Errorf("empty sample: %v, want NaN", ci)
	}
	if ci := (Bootstrap{}).GeoMeanCI([]float64{1, 0, 2}); !math.IsNaN(ci.Lo) {
		t.Errorf("geomean with zero: %v, want NaN", ci)
	}
	ci := Bootstrap{Seed: 5}.GeoMeanCI([]float64{1.1, 1.3, 1.2, 1.5, 1.25})
	if !(ci.Lo >= 1.1 && ci.Hi <= 1.5 && ci.Lo < ci.Hi) {
		t.Errorf("geomean interval %v outside the data range", ci)
	}
}

func BenchmarkMedianCI(b *testing.B) {
	x := normalSample(1000, 9)
	for b.Loop() {
		Bootstrap{}.MedianCI(x)
	}
}
