package stats

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
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
	orig := slices.Clone(x)
	a := Bootstrap{Seed: 7}.MedianCI(x)
	b := Bootstrap{Seed: 8, Resamples: 17}.MedianCI(x)
	if a != b {
		t.Errorf("MedianCI depends on Seed or Resamples: %v and %v", a, b)
	}
	if !slices.Equal(x, orig) {
		t.Error("MedianCI reordered its input")
	}
	slices.Reverse(x)
	if c := (Bootstrap{}).MedianCI(x); c != a {
		t.Errorf("MedianCI depends on the input order: %v and %v", a, c)
	}
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
	ci := Bootstrap{}.MedianCI(x)
	med := Median(x)
	if !(ci.Lo <= med && med <= ci.Hi) || !(ci.Lo < 0 && 0 < ci.Hi) {
		t.Errorf("interval %v should contain the median %v and 0", ci, med)
	}
	if w := ci.Hi - ci.Lo; w < 0.15 || w > 0.4 {
		t.Errorf("interval width %v, want about 0.25", w)
	}
	narrow := Bootstrap{Level: 0.5}.MedianCI(x)
	if narrow.Hi-narrow.Lo >= ci.Hi-ci.Lo {
		t.Errorf("50%% interval %v not narrower than 95%% %v", narrow, ci)
	}
}

// bruteForceMedians returns the median of every one of the n^n
// resamples of x, as the sorted distinct values and how many resamples
// give each.
func bruteForceMedians(x []float64) (values []float64, counts []int) {
	n := len(x)
	idx := make([]int, n) // an odometer over all index sequences
	buf := make([]float64, n)
	count := map[float64]int{}
	for {
		for i, j := range idx {
			buf[i] = x[j]
		}
		slices.Sort(buf)
		count[QuantileSorted(buf, 0.5)]++
		i := 0
		for i < n && idx[i] == n-1 {
			idx[i] = 0
			i++
		}
		if i == n {
			break
		}
		idx[i]++
	}
	for v := range count {
		values = append(values, v)
	}
	slices.Sort(values)
	for _, v := range values {
		counts = append(counts, count[v])
	}
	return values, counts
}

// TestMedianBootstrapBruteForce compares the exact distribution with an
// enumeration of all n^n resamples: its CDF below, at and between the
// resample medians, so every step and the total mass, and the intervals
// at many levels, which must be the same sample values or midpoints to
// the last bit.
func TestMedianBootstrapBruteForce(t *testing.T) {
	samples := [][]float64{
		{4.5},
		{2, 1},
		{3, 3},
		{1, 5, 2},
		{2, 2, 7},
		{0.1, 0.7, 0.2, 0.3},
		{1, 2, 2, 3},
		{5, 1, 5, 1},
		{-3, 1e-3, 8, 2.5, 2},
		{1, 1, 1, 2, 1},
		{0.3, 1.7, -2.2, 9, 4.4, 0.1},
		{2, 2, 2, 3, 3, 3},
		{1, 1, 1, 1, 1, 1},
		{0.5, 0.25, 1.5, 4, 3.75, 2, 9},
		{3, 1, 3, 2, 1, 3, 2},
	}
	levels := []float64{0.95, 0.9, 0.8, 0.5, 0.2}
	for _, x := range samples {
		t.Run(fmt.Sprint(x), func(t *testing.T) {
			values, counts := bruteForceMedians(x)
			total := math.Pow(float64(len(x)), float64(len(x)))
			d := newMedianBootstrap(sortedCopy(x))
			if g := d.cdf(math.Nextafter(values[0], math.Inf(-1))); g != 0 {
				t.Errorf("G below the smallest median = %v, want 0", g)
			}
			cum := make([]float64, len(values))
			seen := 0
			for i, v := range values {
				seen += counts[i]
				cum[i] = float64(seen) / total
				if g := d.cdf(v); math.Abs(g-cum[i]) > 1e-12 {
					t.Errorf("G(%v) = %v, want %v", v, g, cum[i])
				}
				if next := math.Nextafter(v, math.Inf(1)); i+1 < len(values) && next < values[i+1] {
					if g := d.cdf(next); math.Abs(g-cum[i]) > 1e-12 {
						t.Errorf("G just above %v = %v, want %v", v, g, cum[i])
					}
				}
			}
			if last := cum[len(cum)-1]; last != 1 {
				t.Fatalf("brute force mass %v", last) // the test itself is wrong
			}
			quantile := func(p float64) float64 {
				for i, c := range cum {
					if c >= p-levelSlack {
						return values[i]
					}
				}
				return math.NaN()
			}
			// Levels that put an end on a cumulative probability, or just
			// either side of it, check the tie rule and the size of every
			// step of G.
			levels := slices.Clone(levels)
			for _, c := range cum {
				for _, p := range []float64{c, c - 1e-9, c + 1e-9} {
					for _, level := range []float64{1 - 2*p, 2*p - 1} {
						if level > 0 && level < 1 {
							levels = append(levels, level)
						}
					}
				}
			}
			for _, level := range levels {
				want := Interval{quantile((1 - level) / 2), quantile((1 + level) / 2)}
				if got := (Bootstrap{Level: level}).MedianCI(x); got != want {
					t.Errorf("level %v: MedianCI %v, enumeration %v", level, got, want)
				}
			}
		})
	}
}

// binomialTailExact returns P(Binomial(n, j/n) >= k) in rational
// arithmetic: sum over i >= k of C(n, i) j^i (n-j)^(n-i) / n^n.
func binomialTailExact(n, k, j int) *big.Rat {
	sum := new(big.Int)
	for i := max(k, 0); i <= n; i++ {
		term := new(big.Int).Binomial(int64(n), int64(i))
		term.Mul(term, pow(j, i))
		term.Mul(term, pow(n-j, n-i))
		sum.Add(sum, term)
	}
	return new(big.Rat).SetFrac(sum, pow(n, n))
}

func pow(base, exp int) *big.Int {
	return new(big.Int).Exp(big.NewInt(int64(base)), big.NewInt(int64(exp)), nil)
}

// medianCDFExact is medianBootstrap.cdf in rational arithmetic, term by
// term and without dropping any, to check the floating-point evaluation
// where enumeration is out of reach.
func medianCDFExact(s []float64, t float64) float64 {
	n := len(s)
	top := -1
	for top+1 < n && s[top+1] <= t {
		top++
	}
	if top < 0 {
		return 0
	}
	if n%2 == 1 {
		m := (n + 1) / 2
		g, _ := binomialTailExact(n, m, top+1).Float64()
		return g
	}
	m := n / 2
	g := binomialTailExact(n, m, top+1)
	choose := new(big.Int).Binomial(int64(n), int64(m))
	nn := pow(n, n)
	for a := 0; a <= top; a++ {
		b := a
		for b+1 < n && mid(s[a], s[b+1]) <= t {
			b++
		}
		// C(n,m) ((a+1)^m - a^m) (n-1-b)^(n-m) / n^n
		term := new(big.Int).Sub(pow(a+1, m), pow(a, m))
		term.Mul(term, choose)
		term.Mul(term, pow(n-1-b, n-m))
		g.Sub(g, new(big.Rat).SetFrac(term, nn))
	}
	f, _ := g.Float64()
	return f
}

// TestMedianBootstrapNumerics checks the floating-point CDF against
// rational arithmetic for samples too large to enumerate, at the
// resample medians around both ends of the 95% interval, and the
// binomial tail deep into both tails.
func TestMedianBootstrapNumerics(t *testing.T) {
	for _, n := range []int{400, 401} {
		s := sortedCopy(normalSample(n, uint64(n)))
		d := newMedianBootstrap(s)
		for _, p := range []float64{0.001, 0.025, 0.3, 0.5, 0.975, 0.999} {
			q := d.quantile(p)
			for _, at := range []float64{q, math.Nextafter(q, math.Inf(-1)), s[n/2-1], s[n/2], mid(s[n/2-1], s[n/2+1])} {
				got, want := d.cdf(at), medianCDFExact(s, at)
				if math.Abs(got-want) > 1e-13 {
					t.Errorf("n=%d: G(%v) = %.17g, exact %.17g", n, at, got, want)
				}
			}
		}
	}
	for _, tt := range []struct{ n, k, j int }{
		{1000, 500, 500}, {1000, 600, 500}, {1000, 400, 500}, {1000, 700, 500},
		{1000, 1, 1}, {1000, 3, 1}, {1000, 999, 999}, {1000, 1000, 999},
		{1001, 501, 450}, {1001, 501, 550}, {1001, 0, 3}, {1001, 1002, 3},
	} {
		exact := binomialTailExact(tt.n, tt.k, tt.j)
		want, _ := exact.Float64()
		got := binomialTail(tt.n, tt.k, float64(tt.j)/float64(tt.n))
		if tt.k > tt.n {
			want = 0
		}
		if math.Abs(got-want) > 1e-13*want && math.Abs(got-want) > negligible {
			t.Errorf("P(Binomial(%d, %d/%d) >= %d) = %.17g, exact %.17g", tt.n, tt.j, tt.n, tt.k, got, want)
		}
	}
}

// TestMedianCIMatchesMonteCarlo checks that the exact interval is the
// limit of the Monte Carlo one. With B replicates, the Monte Carlo
// quantile at level p falls, but for a chance of about 1e-6, between
// the exact quantiles at p -/+ 5 sqrt(p(1-p)/B): the tolerance is
// stated on the probability scale because the support of an even
// sample's median (all midpoints) is too dense to count steps on.
func TestMedianCIMatchesMonteCarlo(t *testing.T) {
	const resamples = 200000
	type sample struct {
		n         int
		lognormal bool
	}
	// Odd samples are left out of the lognormal runs: their resample
	// medians are sample values, so exp maps the normal results exactly.
	samples := []sample{{30, false}, {31, false}, {30, true}, {100, false}, {101, false}, {100, true}}
	if testing.Short() {
		samples = samples[:3]
	}
	for _, sm := range samples {
		t.Run(fmt.Sprintf("n=%d,lognormal=%v", sm.n, sm.lognormal), func(t *testing.T) {
			t.Parallel()
			x := normalSample(sm.n, uint64(100+sm.n))
			if sm.lognormal {
				x = exp(x)
			}
			exact := Bootstrap{}.MedianCI(x)
			mc := Bootstrap{Resamples: resamples, Seed: uint64(sm.n)}.CI(x, Median)
			d := newMedianBootstrap(sortedCopy(x))
			for _, end := range []struct {
				p         float64
				exact, mc float64
			}{{0.025, exact.Lo, mc.Lo}, {0.975, exact.Hi, mc.Hi}} {
				slack := 5 * math.Sqrt(end.p*(1-end.p)/resamples)
				lo, hi := d.quantile(end.p-slack), d.quantile(end.p+slack)
				if !(lo <= end.mc && end.mc <= hi) {
					t.Errorf("p=%v: Monte Carlo %v outside [%v, %v], the exact quantiles at p -/+ %.4f; exact %v",
						end.p, end.mc, lo, hi, slack, end.exact)
				}
				if !(lo <= end.exact && end.exact <= hi) {
					t.Errorf("p=%v: exact %v outside [%v, %v]", end.p, end.exact, lo, hi)
				}
			}
		})
	}
}

// TestMedianCILargeN checks speed and scale on large samples: well
// under a second, an interval around the sample median, and a width
// near the normal theory 2 * 1.96 * sqrt(pi/2) / sqrt(n) = 4.91 /
// sqrt(n). The bootstrap's width itself varies by about n^(-1/4)
// relative between samples, hence the looser band for n = 1000.
func TestMedianCILargeN(t *testing.T) {
	width := func(n int) float64 {
		x := normalSample(n, 11)
		start := time.Now()
		ci := Bootstrap{}.MedianCI(x)
		if el := time.Since(start); el > time.Second {
			t.Errorf("n=%d: %v", n, el)
		}
		if med := Median(x); !(ci.Lo < med && med < ci.Hi) {
			t.Errorf("n=%d: interval %v does not contain the median %v", n, ci, med)
		}
		return ci.Hi - ci.Lo
	}
	small := width(1000) * math.Sqrt(1000)
	if small < 0.6*4.91 || small > 1.5*4.91 {
		t.Errorf("n=1000: width * sqrt(n) = %v, want about 4.91", small)
	}
	for _, n := range []int{100000, 100001} {
		w := width(n) * math.Sqrt(float64(n))
		if w < 0.85*4.91 || w > 1.15*4.91 {
			t.Errorf("n=%d: width * sqrt(n) = %v, want about 4.91", n, w)
		}
		if r := w / small; r < 0.6 || r > 1.6 {
			t.Errorf("n=%d: width * sqrt(n) is %v times that of n=1000, want about 1", n, r)
		}
	}
}

func TestBinomialTail(t *testing.T) {
	tests := []struct {
		n, k int
		q    float64
		want float64
	}{
		{10, 5, 0.5, 638.0 / 1024},
		{10, 0, 0.3, 1},
		{10, 11, 0.3, 0},
		{10, 1, 0, 0},
		{10, 10, 1, 1},
		{1, 1, 0.25, 0.25},
		{3, 2, 0.5, 0.5},
		// Symmetry: P(X >= (n+1)/2) = 1/2 for odd n and q = 1/2.
		{100001, 50001, 0.5, 0.5},
		{1e7 + 1, 5e6 + 1, 0.5, 0.5},
	}
	for _, tt := range tests {
		if got := binomialTail(tt.n, tt.k, tt.q); !approx(got, tt.want, 1e-13) {
			t.Errorf("P(Binomial(%d, %v) >= %d) = %v, want %v", tt.n, tt.q, tt.k, got, tt.want)
		}
	}
}

func TestGeoMeanCIMatchesGeneric(t *testing.T) {
	for _, n := range []int{1, 2, 5, 10, 31} {
		x := exp(normalSample(n, uint64(n)))
		fast := Bootstrap{Seed: 3, Resamples: 500}.GeoMeanCI(x)
		slow := Bootstrap{Seed: 3, Resamples: 500}.CI(x, GeoMean)
		if !approx(fast.Lo, slow.Lo, 1e-12) || !approx(fast.Hi, slow.Hi, 1e-12) {
			t.Errorf("n=%d: GeoMeanCI %v, CI(GeoMean) %v", n, fast, slow)
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
	nan := math.NaN()
	tests := []struct {
		name  string
		x     []float64
		level float64
		want  Interval
	}{
		{"empty", nil, 0, Interval{nan, nan}},
		{"NaN", []float64{1, nan, 2}, 0, Interval{nan, nan}},
		{"one value", []float64{2.5}, 0, Interval{2.5, 2.5}},
		{"constant odd", []float64{3, 3, 3}, 0, Interval{3, 3}},
		{"constant even", []float64{3, 3, 3, 3}, 0, Interval{3, 3}},
		// n = 2: the medians 1, 2 and 3 have probabilities 1/4, 1/2, 1/4.
		{"two values", []float64{3, 1}, 0, Interval{1, 3}},
		{"two values at 50%", []float64{3, 1}, 0.5, Interval{1, 2}},
		{"level out of range", []float64{3, 1}, 1.5, Interval{1, 3}},
		// n = 3: P(median = 1) = 7/27, so the 50% interval is [1, 3].
		{"three values at 50%", []float64{1, 2, 3}, 0.5, Interval{1, 3}},
		{"three values at 40%", []float64{1, 2, 3}, 0.4, Interval{2, 2}},
		{"infinite value", []float64{1, 2, math.Inf(1)}, 0.4, Interval{2, 2}},
	}
	for _, tt := range tests {
		got := Bootstrap{Level: tt.level}.MedianCI(tt.x)
		if !approx(got.Lo, tt.want.Lo, 0) || !approx(got.Hi, tt.want.Hi, 0) {
			t.Errorf("%s: MedianCI(%v) = %v, want %v", tt.name, tt.x, got, tt.want)
		}
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
	for _, n := range []int{33, 100, 1000, 10000} {
		x := normalSample(n, 9)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				Bootstrap{}.MedianCI(x)
			}
		})
	}
}
