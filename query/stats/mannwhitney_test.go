package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestMannWhitney(t *testing.T) {
	males := []float64{19, 22, 16, 29, 24}
	females := []float64{20, 11, 17, 12}
	// R's ?wilcox.test example (Hollander and Wolfe, p. 110).
	hwX := []float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46}
	hwY := []float64{1.15, 0.88, 0.90, 0.74, 1.21}
	tests := []struct {
		name       string
		x, y       []float64
		method     Method
		wantU      float64
		wantP      float64
		wantMethod Method
	}{
		// SciPy mannwhitneyu docs: mannwhitneyu(males, females,
		// method="exact") gives U1 = 17.0, p = 0.1111111111111111
		// (7 of the C(9, 4) = 126 arrangements have U <= 3, doubled).
		{"scipy exact", males, females, Auto, 17, 0.1111111111111111, Exact},
		// Same docs, method="asymptotic": p = 0.11134688653314041.
		// By hand: z = (17 - 10 - 0.5) / sqrt(20/12 * 10) = 1.59217.
		{"scipy asymptotic", males, females, Asymptotic, 17, 0.11134688653314041, Asymptotic},
		// R: wilcox.test(x, y, alternative = "g") gives W = 35,
		// p-value = 0.1272 (exact); two-sided is twice that.
		{"R wilcox.test", hwX, hwY, Auto, 35, 0.2544, Exact},
		// Ties force the normal approximation. By hand: pooled ranks
		// put 8 and 8 at 6.5, R1 = 21.5, U1 = 0.5, tie term 6,
		// sigma = sqrt(3 * (13 - 6/132)) = 6.23406, z = 17 / sigma,
		// p = 2 * 0.0031961 = 0.0063922.
		{"ties", []float64{7, 3, 6, 2, 8, 5}, []float64{9, 12, 8, 11, 15, 10}, Auto, 0.5, 0.0063922, Asymptotic},
		// DolphinDB mannWhitneyUTest docs: 5 1 4 3 5 against
		// 2 4 7 -1 0 4 gives U = 11 (the smaller U; U1 = 30 - 11),
		// one-sided p = 0.259011 with ties and continuity correction,
		// two-sided printed as 0.518023 (this computes 0.5180221).
		{"dolphindb ties", []float64{5, 1, 4, 3, 5}, []float64{2, 4, 7, -1, 0, 4}, Auto, 19, 0.518023, Asymptotic},
		{"all tied", []float64{1, 1, 1}, []float64{1, 1}, Auto, 3, 1, Asymptotic},
		// m = n = 2: U counts 1 1 2 1 1 over C(4, 2) = 6, P(U >= 3) = 2/6.
		{"tiny exact", []float64{1, 3}, []float64{2, 4}, Auto, 1, 2.0 / 3, Exact},
		{"empty", nil, []float64{1}, Auto, math.NaN(), math.NaN(), Auto},
		{"nan", []float64{1, math.NaN()}, []float64{1}, Auto, math.NaN(), math.NaN(), Auto},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MannWhitneyWith(tt.x, tt.y, tt.method)
			if !approx(got.U, tt.wantU, 1e-12) || !approx(got.P, tt.wantP, 5e-5) || got.Method != tt.wantMethod {
				t.Errorf("got U=%v P=%v %v, want U=%v P=%v %v", got.U, got.P, got.Method, tt.wantU, tt.wantP, tt.wantMethod)
			}
		})
	}
}

// TestMannWhitneyDigits checks the SciPy values to the last printed
// digit, which the table above only checks to 5e-5.
func TestMannWhitneyDigits(t *testing.T) {
	males := []float64{19, 22, 16, 29, 24}
	females := []float64{20, 11, 17, 12}
	if p := MannWhitney(males, females).P; !approx(p, 0.1111111111111111, 1e-15) {
		t.Errorf("exact p = %.17g", p)
	}
	if p := MannWhitneyWith(males, females, Asymptotic).P; !approx(p, 0.11134688653314041, 1e-13) {
		t.Errorf("asymptotic p = %.17g", p)
	}
}

// TestExactDistribution compares the Gaussian binomial counts with a
// brute-force enumeration of every way to place m values among m+n.
func TestExactDistribution(t *testing.T) {
	for m := 1; m <= 5; m++ {
		for n := m; n <= 7; n++ {
			want := make([]float64, m*n+1)
			enumerateU(m, n, 0, 0, 0, want)
			got := gaussianBinomialPrefix(m, n, m*n)
			for u := range want {
				if got[u] != want[u] {
					t.Fatalf("m=%d n=%d: count of U=%d is %v, want %v", m, n, u, got[u], want[u])
				}
			}
		}
	}
}

// enumerateU walks every increasing sequence of m positions in
// [0, m+n) and counts the U it yields: each x at position p exceeds
// the p - i y's before it when it is the i-th x.
func enumerateU(m, n, i, start, u int, counts []float64) {
	if i == m {
		counts[u]++
		return
	}
	for p := start; p < m+n; p++ {
		enumerateU(m, n, i+1, p+1, u+p-i, counts)
	}
}

// TestExactMatchesNormal checks the exact tail against the normal
// approximation where both should agree, at the largest sizes Auto
// sends to Exact.
func TestExactMatchesNormal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, 8)
	y := make([]float64, 60)
	for i := range x {
		x[i] = rng.NormFloat64() + 0.5
	}
	for i := range y {
		y[i] = rng.NormFloat64()
	}
	exact := MannWhitney(x, y)
	normal := MannWhitneyWith(x, y, Asymptotic)
	if exact.Method != Exact || math.Abs(exact.P-normal.P) > 0.01 {
		t.Errorf("exact %v (%v) vs normal %v", exact.P, exact.Method, normal.P)
	}
}

func TestExactFallback(t *testing.T) {
	x := make([]float64, 600)
	y := make([]float64, 600)
	for i := range x {
		x[i], y[i] = float64(2*i), float64(2*i+1)
	}
	got := MannWhitneyWith(x, y, Exact)
	want := MannWhitneyWith(x, y, Asymptotic)
	if got.Method != Asymptotic || got.P != want.P {
		t.Errorf("forced exact at 600x600: %+v, want the asymptotic %+v", got, want)
	}
}

func TestA12(t *testing.T) {
	males := []float64{19, 22, 16, 29, 24}
	females := []float64{20, 11, 17, 12}
	// 17 of the 20 pairs have the male value larger.
	if got := A12(males, females); got != 0.85 {
		t.Errorf("A12 = %v, want 0.85", got)
	}
	if got := A12(females, males); got != 0.15 {
		t.Errorf("A12 reversed = %v, want 0.15", got)
	}
	// Ties count one half: 1 vs {1, 2}: one tie, one loss.
	if got := A12([]float64{1}, []float64{1, 2}); got != 0.25 {
		t.Errorf("A12 with tie = %v, want 0.25", got)
	}
	if got := MannWhitney(males, females).Magnitude(); got != Large {
		t.Errorf("Magnitude = %v, want large", got)
	}
}

func TestA12Magnitude(t *testing.T) {
	tests := []struct {
		a    float64
		want Magnitude
	}{
		{0.5, Negligible}, {0.5599, Negligible}, {0.4401, Negligible},
		{0.56, Small}, {0.44, Small}, {14.0 / 25, Small}, {11.0 / 25, Small},
		{0.6399, Small}, {0.64, Medium}, {0.36, Medium},
		{0.7099, Medium}, {0.71, Large}, {0.29, Large}, {1, Large}, {0, Large},
		{math.NaN(), Negligible},
	}
	for _, tt := range tests {
		if got := A12Magnitude(tt.a); got != tt.want {
			t.Errorf("A12Magnitude(%v) = %v, want %v", tt.a, got, tt.want)
		}
	}
}

func BenchmarkMannWhitney(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 1000)
	y := make([]float64, 1000)
	for i := range x {
		x[i] = math.Floor(rng.ExpFloat64() * 100) // integer values: ties
		y[i] = math.Floor(rng.ExpFloat64() * 110)
	}
	b.ReportAllocs()
	for b.Loop() {
		MannWhitney(x, y)
	}
}
