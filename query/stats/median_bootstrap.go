package stats

import (
	"math"
	"sort"
)

// negligible bounds the probability that the exact median bootstrap
// drops: binomial terms far from the mode, and resample medians far
// from t when evaluating G(t). What one evaluation drops stays below a
// few times this, far under the 1e-17 resolution of a float64
// probability near the levels an interval uses.
const negligible = 1e-20

// levelSlack lets a cumulative probability that equals the level up to
// rounding count as reaching it. Exact equality happens for small even
// samples (n = 2 at level 0.5 has G(s[0]) = 1/4 exactly), and without
// the slack the endpoint would depend on the last bit of a sum.
const levelSlack = 1e-12

// medianBootstrap is the exact bootstrap distribution of the type 7
// median of a sample: the law of the median of n draws with replacement
// from the sample over all n^n equally likely resamples, the limit of
// the Monte Carlo bootstrap as the number of resamples grows.
//
// Draws are positions in the sorted sample s. F(k) = (k+1)/n is the
// probability that a draw is at or below position k, and r(j) is the
// j-th smallest drawn position. The resample median is s[r(m)] with
// m = (n+1)/2 for odd n, and mid(s[r(m)], s[r(m+1)]) with m = n/2 for
// even n. Its CDF at t, G(t), follows from
//
//	P(r(m) <= k) = P(Binomial(n, F(k)) >= m)
//	P(r(m) = a, r(m+1) > b) = C(n,m) (F(a)^m - F(a-1)^m) (1-F(b))^(n-m)  (a <= b)
//
// the second because the event is "exactly m draws at or below a, at
// least one of them at a, and none in (a, b]". For odd n, G(t) =
// P(r(m) <= top) with top the last position with s[top] <= t. For even
// n, with b(a) the last position whose midpoint with s[a] is <= t,
//
//	G(t) = P(r(m) <= top) - sum over a <= top of P(r(m) = a, r(m+1) > b(a)).
//
// Ties in s need no special case: positions are distinct even when
// their values are not.
type medianBootstrap struct {
	s    []float64 // sorted, without NaN
	n, m int
	// For even n: log P(Binomial(n, 1/2) = n/2), and logLead by
	// position, NaN until computed, as quantile evaluates G many times.
	logCentral float64
	leads      []float64
}

func newMedianBootstrap(sorted []float64) *medianBootstrap {
	n := len(sorted)
	d := &medianBootstrap{s: sorted, n: n, m: (n + 1) / 2}
	if n%2 == 0 {
		d.m = n / 2
		// C(2m, m) / 4^m as a product of factors in (0, 1): it never
		// overflows, unlike the binomial coefficient, and it keeps full
		// relative precision, unlike a difference of Lgamma values near
		// n log n.
		central := 1.0
		for i := 1; i <= d.m; i++ {
			central *= float64(2*i-1) / float64(2*i)
		}
		d.logCentral = math.Log(central)
		d.leads = make([]float64, n)
		for i := range d.leads {
			d.leads[i] = math.NaN()
		}
	}
	return d
}

// mid is the midpoint that QuantileSorted takes for an even count; the
// same rounding keeps the support equal to the resample medians.
func mid(lo, hi float64) float64 {
	return lo + 0.5*(hi-lo)
}

// cdf returns G(t), the probability that the resample median is <= t.
func (d *medianBootstrap) cdf(t float64) float64 {
	s, n, m := d.s, d.n, d.m
	top := sort.Search(n, func(i int) bool { return s[i] > t }) - 1
	switch top {
	case -1:
		return 0
	case n - 1:
		return 1
	}
	g := binomialTail(n, m, float64(top+1)/float64(n))
	if n%2 == 1 {
		return g
	}
	for a := top; a >= 0 && !d.restNegligible(a, top); a-- {
		b := top + sort.Search(n-top, func(i int) bool { return mid(s[a], s[top+i]) > t }) - 1
		if b < n-1 { // else no draw can be above b
			g -= math.Exp(d.logLead(a) + d.logGap(a, b))
		}
	}
	return g
}

// restNegligible reports, for even n, whether the terms
// P(r(m) = a', r(m+1) > b(a')) for all a' <= a sum to less than
// negligible, given b(a') >= top. Each is at most
// P(r(m) = a', r(m+1) > a') = lead(a') times gap(a', top), and gap only
// shrinks as a' falls; so does lead, within a factor 1/(1-1/e), below
// the middle. Hence the sum is below n lead(a) gap(a, top) / (1-1/e)
// there, and below gap(a, top) anywhere, since the leads sum to at most
// 1.
func (d *medianBootstrap) restNegligible(a, top int) bool {
	gap := d.logGap(a, top)
	if gap < math.Log(negligible) {
		return true
	}
	return a < d.m && d.logLead(a)+gap < math.Log(negligible/float64(2*d.n))
}

// logLead returns log P(r(m) = a, r(m+1) > a) for even n, computed as
// P(Binomial(n, F(a)) = m) (1 - (F(a-1)/F(a))^m). With m = n/2, the
// binomial probability is P(Binomial(n, 1/2) = m) (1 - (d/m)^2)^m with
// d = a+1-m, because F(a)(1-F(a)) = (1 - (d/m)^2) / 4. The second
// factor, the chance that one of the m lowest draws is at a itself, is
// at least 1 - 1/e for a < m.
func (d *medianBootstrap) logLead(a int) float64 {
	if l := d.leads[a]; !math.IsNaN(l) {
		return l
	}
	m := float64(d.m)
	dev := float64(a+1-d.m) / m
	atLeastOneAtA := -math.Expm1(m * math.Log1p(-1/float64(a+1)))
	d.leads[a] = d.logCentral + m*math.Log1p(-dev*dev) + math.Log(atLeastOneAtA)
	return d.leads[a]
}

// logGap returns log ((1-F(b)) / (1-F(a)))^(n-m), the factor by which
// P(r(m) = a, r(m+1) > b) falls short of P(r(m) = a, r(m+1) > a).
func (d *medianBootstrap) logGap(a, b int) float64 {
	return float64(d.n-d.m) * math.Log1p(-float64(b-a)/float64(d.n-1-a))
}

// quantile returns the smallest resample median t with G(t) >= p: the
// inverse CDF, which is what type 7 quantiles of ever more Monte Carlo
// replicates converge to whenever G does not equal p exactly.
func (d *medianBootstrap) quantile(p float64) float64 {
	s, n, m := d.s, d.n, d.m
	reaches := func(g float64) bool { return g >= p-levelSlack }
	// first returns the first position k with P(r(j) <= k) >= p.
	first := func(j int) int {
		k := sort.Search(n, func(k int) bool { return reaches(binomialTail(n, j, float64(k+1)/float64(n))) })
		return min(k, n-1) // P(r(j) <= n-1) = 1; guards against p > 1
	}
	k := first(m)
	if n%2 == 1 {
		return s[k]
	}
	// For even n, P(r(m+1) <= top) <= G(s[k]) <= P(r(m) <= top), with
	// top the last position holding s[k], so the first sample value
	// where G reaches p lies between those two order statistics'
	// quantiles, usually a few positions apart.
	lo, hi := sort.SearchFloat64s(s, s[k]), max(first(m+1), k)
	k = lo + sort.Search(hi-lo, func(i int) bool { return reaches(d.cdf(s[lo+i])) })
	if k == 0 {
		return s[0]
	}
	// The answer is in (s[k-1], s[k]]: s[k] itself, or a midpoint of
	// some s[a] <= s[k-1] and s[b] >= s[k]. G rises by
	// P(r(m) = a, r(m+1) = b) at each such midpoint; walk them in order.
	type jump struct{ at, p float64 }
	var jumps []jump
	lower, upper, top := s[k-1], s[k], k-1
	for a := top; a >= 0 && !d.restNegligible(a, top); a-- {
		// The first b whose midpoint with s[a] exceeds lower.
		b := top + sort.Search(n-top, func(i int) bool { return mid(s[a], s[top+i]) > lower })
		logLead := d.logLead(a)
		for ; b < n; b++ {
			at := mid(s[a], s[b])
			logAbove := logLead + d.logGap(a, b-1) // P(r(m) = a, r(m+1) >= b)
			if !(at < upper) || logAbove < math.Log(negligible/float64(n)) {
				break
			}
			// P(r(m+1) = b | r(m) = a, r(m+1) >= b) = 1 - ((n-1-b)/(n-b))^(n-m)
			atB := -math.Expm1(float64(n-m) * math.Log1p(-1/float64(n-b)))
			jumps = append(jumps, jump{at, math.Exp(logAbove) * atB})
		}
	}
	sort.Slice(jumps, func(i, j int) bool { return jumps[i].at < jumps[j].at })
	g := d.cdf(lower)
	for i, j := range jumps {
		g += j.p
		if (i+1 == len(jumps) || jumps[i+1].at != j.at) && reaches(g) {
			return j.at
		}
	}
	return upper
}

// binomialTail returns P(Binomial(n, q) >= k). It sums the probability
// mass function outward from the mode by its term ratio, relative to
// the mode and normalized by the total, so no binomial coefficient or
// power is formed and the result keeps full relative precision. The
// terms fall geometrically away from the mode, and summing stops once
// they are negligible: about 20 standard deviations, O(sqrt(n)) terms.
func binomialTail(n, k int, q float64) float64 {
	switch {
	case k <= 0 || q >= 1:
		return 1
	case k > n || q <= 0:
		return 0
	}
	odds := q / (1 - q)
	mode := min(int(float64(n+1)*q), n)
	var total, tail float64
	w := 1.0 // the mass at j relative to the mass at the mode
	for j := mode; j <= n && w >= negligible; j++ {
		total += w
		if j >= k {
			tail += w
		}
		w *= float64(n-j) / float64(j+1) * odds
	}
	w = float64(mode) / float64(n-mode+1) / odds
	for j := mode - 1; j >= 0 && w >= negligible; j-- {
		total += w
		if j >= k {
			tail += w
		}
		w *= float64(j) / float64(n-j+1) / odds
	}
	return tail / total
}
