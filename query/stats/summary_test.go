package stats

import (
	"math"
	"testing"
)

// approx reports whether got is within tol of want (relative for large
// values), with NaN equal to NaN.
func approx(got, want, tol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

func TestQuantile(t *testing.T) {
	oneToTen := []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1} // unsorted on purpose
	tests := []struct {
		name string
		x    []float64
		p    float64
		want float64
	}{
		// R: quantile(1:10) gives 1, 3.25, 5.5, 7.75, 10 (type 7).
		{"R 1:10 p0", oneToTen, 0, 1},
		{"R 1:10 p25", oneToTen, 0.25, 3.25},
		{"R 1:10 p50", oneToTen, 0.5, 5.5},
		{"R 1:10 p75", oneToTen, 0.75, 7.75},
		{"R 1:10 p100", oneToTen, 1, 10},
		// R: quantile(1:10, 0.9) = 9.1.
		{"R 1:10 p90", oneToTen, 0.9, 9.1},
		// R: quantile(c(1, 2, 3, 4, 5), 0.9) = 4.6.
		{"R 1:5 p90", []float64{1, 2, 3, 4, 5}, 0.9, 4.6},
		// NumPy percentile docs: a = [[10, 7, 4], [3, 2, 1]],
		// np.percentile(a, 50) = 3.5.
		{"numpy median", []float64{10, 7, 4, 3, 2, 1}, 0.5, 3.5},
		{"single", []float64{42}, 0.9, 42},
		{"empty", nil, 0.5, math.NaN()},
		{"nan input", []float64{1, math.NaN(), 3}, 0.5, math.NaN()},
		{"p out of range", []float64{1, 2}, 1.5, math.NaN()},
		{"p nan", []float64{1, 2}, math.NaN(), math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Quantile(tt.x, tt.p); !approx(got, tt.want, 1e-12) {
				t.Errorf("Quantile(%v, %v) = %v, want %v", tt.x, tt.p, got, tt.want)
			}
		})
	}
}

// TestMedianEven pins the reason gonum's stat.Quantile is not used: its
// types 1 and 4 give 2 here, R and NumPy give 2.5.
func TestMedianEven(t *testing.T) {
	x := []float64{4, 1, 3, 2}
	if got := Median(x); got != 2.5 {
		t.Errorf("Median = %v, want 2.5", got)
	}
	if x[0] != 4 || x[1] != 1 {
		t.Errorf("Median reordered its input: %v", x)
	}
}

func TestMeanMinMax(t *testing.T) {
	x := []float64{3, -1, 4, 1, 5}
	if got := Mean(x); got != 2.4 {
		t.Errorf("Mean = %v, want 2.4", got)
	}
	if got := Min(x); got != -1 {
		t.Errorf("Min = %v, want -1", got)
	}
	if got := Max(x); got != 5 {
		t.Errorf("Max = %v, want 5", got)
	}
	for name, f := range map[string]func([]float64) float64{"Mean": Mean, "Min": Min, "Max": Max} {
		if got := f(nil); !math.IsNaN(got) {
			t.Errorf("%s(nil) = %v, want NaN", name, got)
		}
		if got := f([]float64{1, math.NaN()}); !math.IsNaN(got) {
			t.Errorf("%s with NaN = %v, want NaN", name, got)
		}
	}
}

func TestGeoMean(t *testing.T) {
	tests := []struct {
		name string
		x    []float64
		want float64
	}{
		// SciPy gmean docs: gmean([1, 4]) = 2.0 and
		// gmean([1, 2, 3, 4, 5, 6, 7]) = 3.3800151591412964.
		{"scipy 1 4", []float64{1, 4}, 2},
		{"scipy 1..7", []float64{1, 2, 3, 4, 5, 6, 7}, 3.3800151591412964},
		{"ratios", []float64{0.5, 2}, 1},
		{"zero", []float64{1, 0, 4}, math.NaN()},
		{"negative", []float64{1, -4}, math.NaN()},
		{"nan", []float64{1, math.NaN()}, math.NaN()},
		{"empty", nil, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := GeoMean(tt.x); !approx(got, tt.want, 1e-14) {
				t.Errorf("GeoMean(%v) = %v, want %v", tt.x, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize([]float64{7, 1, 4, 10})
	want := Summary{N: 4, Min: 1, Median: 5.5, Max: 10, Mean: 5.5}
	if s != want {
		t.Errorf("Summarize = %+v, want %+v", s, want)
	}
	if got := Summarize(nil); got.N != 0 || !math.IsNaN(got.Median) || got.MedianRange(0) != "n/a" {
		t.Errorf("Summarize(nil) = %+v", got)
	}
}

func TestFormatMedianRange(t *testing.T) {
	tests := []struct {
		med, lo, hi float64
		prec        int
		want        string
	}{
		{5, 1, 10, 0, "5 [1-10]"},
		{5, 1, 10, 2, "5.00 [1.00-10.00]"},
		{2.5, 1, 4, -1, "2.5 [1-4]"},
		{1234.56, 1000, 1500.25, 1, "1234.6 [1000.0-1500.2]"},
		{-1, -3, 2, 0, "-1 [-3, 2]"},
		{math.NaN(), 1, 2, 0, "n/a"},
	}
	for _, tt := range tests {
		if got := FormatMedianRange(tt.med, tt.lo, tt.hi, tt.prec); got != tt.want {
			t.Errorf("FormatMedianRange(%v, %v, %v, %d) = %q, want %q", tt.med, tt.lo, tt.hi, tt.prec, got, tt.want)
		}
	}
}
