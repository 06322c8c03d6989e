package stats

import (
	"cmp"
	"math"
	"slices"
)

// Method selects how MannWhitneyWith computes the p-value.
type Method int

const (
	// Auto is SciPy's choice: Exact if either sample has at most
	// ExactLimit values and the pooled sample has no ties, Asymptotic
	// otherwise.
	Auto Method = iota
	// Exact uses the exact null distribution of U, which assumes no
	// ties (with ties it is what SciPy's method='exact' computes, an
	// approximation). It costs O(m * min(U, mn-U)) for the smaller
	// sample size m, and falls back to Asymptotic when both samples
	// are so large (above about 500) that the count of arrangements
	// overflows.
	Exact
	// Asymptotic uses the normal approximation with tie correction and
	// continuity correction.
	Asymptotic
)

// ExactLimit is the sample size up to which Auto uses the exact
// distribution, as SciPy does.
const ExactLimit = 8

func (m Method) String() string {
	switch m {
	case Auto:
		return "auto"
	case Exact:
		return "exact"
	case Asymptotic:
		return "asymptotic"
	}
	return "unknown"
}

// UTest is the result of a two-sided Mann-Whitney U test of x against y.
type UTest struct {
	// U is the statistic of x: the number of pairs (x[i], y[j]) with
	// x[i] > y[j], ties counting one half. It is what SciPy reports.
	U float64
	// P is the two-sided p-value.
	P float64
	// A12 is U / (len(x) len(y)), the Vargha-Delaney effect size: the
	// probability that a value of x exceeds a value of y.
	A12 float64
	// Method is how P was computed, never Auto.
	Method Method
}

// Magnitude is the conventional label of the effect size A12.
func (t UTest) Magnitude() Magnitude {
	return A12Magnitude(t.A12)
}

// MannWhitney tests whether x and y come from the same distribution,
// choosing the method as SciPy's method='auto' does.
func MannWhitney(x, y []float64) UTest {
	return MannWhitneyWith(x, y, Auto)
}

// MannWhitneyWith is MannWhitney with an explicit method. All fields
// are NaN if either sample is empty or holds NaN.
func MannWhitneyWith(x, y []float64, method Method) UTest {
	nan := math.NaN()
	if len(x) == 0 || len(y) == 0 || slices.ContainsFunc(x, math.IsNaN) || slices.ContainsFunc(y, math.IsNaN) {
		return UTest{U: nan, P: nan, A12: nan, Method: method}
	}
	u1, tieTerm := rankSum(x, y)
	n1, n2 := float64(len(x)), float64(len(y))
	u1 -= n1 * (n1 + 1) / 2
	if method == Auto {
		method = Asymptotic
		if min(len(x), len(y)) <= ExactLimit && tieTerm == 0 {
			method = Exact
		}
	}
	// Both methods use the larger of U1 and U2 = n1 n2 - U1 and double
	// the upper tail, as SciPy does.
	uMax := max(u1, n1*n2-u1)
	var p float64
	if method == Exact {
		var ok bool
		p, ok = exactUpperTail(int(uMax), len(x), len(y)) // truncates a tied half, as SciPy
		if !ok {
			method = Asymptotic
		}
	}
	if method == Asymptotic {
		p = normalUpperTail(uMax, n1, n2, tieTerm)
	}
	p *= 2
	return UTest{U: u1, P: min(p, 1), A12: u1 / (n1 * n2), Method: method}
}

// rankSum returns the sum of the ranks of x in the pooled sample (tied
// values share their mean rank) and the tie term sum(t^3 - t) over the
// groups of t tied values.
func rankSum(x, y []float64) (r1, tieTerm float64) {
	type obs struct {
		v   float64
		inX bool
	}
	pool := make([]obs, 0, len(x)+len(y))
	for _, v := range x {
		pool = append(pool, obs{v, true})
	}
	for _, v := range y {
		pool = append(pool, obs{v, false})
	}
	slices.SortFunc(pool, func(a, b obs) int { return cmp.Compare(a.v, b.v) })
	for i := 0; i < len(pool); {
		j, fromX := i, 0
		for ; j < len(pool) && pool[j].v == pool[i].v; j++ {
			if pool[j].inX {
				fromX++
			}
		}
		t := float64(j - i)
		r1 += float64(fromX) * (float64(i+1+j) / 2) // ranks i+1..j
		tieTerm += t*t*t - t
		i = j
	}
	return r1, tieTerm
}

// normalUpperTail is P(U >= u) under the normal approximation with the
// tie-corrected variance and a continuity correction of 1/2.
func normalUpperTail(u, n1, n2, tieTerm float64) float64 {
	n := n1 + n2
	sigma := math.Sqrt(n1 * n2 / 12 * ((n + 1) - tieTerm/(n*(n-1))))
	if sigma == 0 { // every value tied: no evidence either way
		return 1
	}
	z := (u - n1*n2/2 - 0.5) / sigma
	return 0.5 * math.Erfc(z/math.Sqrt2)
}

// exactUpperTail is P(U >= u) for samples of n1 and n2 values without
// ties. The null distribution of U is symmetric about n1 n2 / 2, so it
// sums the lower tail P(U <= n1 n2 - u) instead, whose counts are the
// first coefficients of the Gaussian binomial [n1+n2 choose m]_q. It
// reports false when the number of arrangements overflows float64
// (both samples above about 500), where only the normal approximation
// is of use.
func exactUpperTail(u, n1, n2 int) (float64, bool) {
	m, n := min(n1, n2), max(n1, n2)
	total := 1.0 // C(m+n, m)
	for i := 1; i <= m; i++ {
		total = total * float64(n+i) / float64(i)
	}
	if math.IsInf(total, 0) {
		return 0, false
	}
	k := n1*n2 - u
	if k < 0 {
		return 0, true
	}
	var ways float64
	for _, c := range gaussianBinomialPrefix(m, n, k) {
		ways += c
	}
	return min(ways/total, 1), true
}

// gaussianBinomialPrefix returns the coefficients of q^0..q^k of
// [m+n choose m]_q = prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i): the number
// of arrangements of m values among m+n with U = 0..k. Each factor is
// applied in turn; after step i the polynomial is [n+i choose i]_q,
// whose coefficients are non-negative, so no cancellation builds up.
// Truncating at q^k is exact because both operations only read lower
// coefficients.
func gaussianBinomialPrefix(m, n, k int) []float64 {
	c := make([]float64, k+1)
	c[0] = 1
	for i := 1; i <= m; i++ {
		for j := k; j >= n+i; j-- { // multiply by 1 - q^(n+i)
			c[j] -= c[j-n-i]
		}
		for j := i; j <= k; j++ { // divide by 1 - q^i
			c[j] += c[j-i]
		}
	}
	return c
}

// A12 returns the Vargha-Delaney effect size of x over y: the
// probability that a value drawn from x is larger than one drawn from
// y, plus half the probability that they are equal. 0.5 means no
// effect; it is NaN if either sample is empty.
func A12(x, y []float64) float64 {
	return MannWhitneyWith(x, y, Asymptotic).A12
}

// Magnitude is the conventional size class of an A12 effect.
type Magnitude int

const (
	Negligible Magnitude = iota
	Small
	Medium
	Large
)

func (m Magnitude) String() string {
	switch m {
	case Negligible:
		return "negligible"
	case Small:
		return "small"
	case Medium:
		return "medium"
	case Large:
		return "large"
	}
	return "unknown"
}

// A12Magnitude classifies a by Vargha and Delaney's thresholds, the
// same on both sides of 0.5: negligible for A12 in (0.44, 0.56), small
// up to 0.64 (down to 0.36), medium up to 0.71 (0.29), large beyond.
// Each threshold belongs to the larger class. NaN is Negligible.
func A12Magnitude(a float64) Magnitude {
	// Compare the distance from 0.5 in whole millionths so that 0.44
	// and 0.56, which are not exact in binary, land in the same class.
	d := math.Round(math.Abs(a-0.5) * 1e6)
	switch {
	case d >= 210000:
		return Large
	case d >= 140000:
		return Medium
	case d >= 60000:
		return Small
	}
	return Negligible
}
