package plot

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/kdf-tools/kdf/internal/golden"
)

// samples builds one figure of each kind from fixed synthetic data.
func samples(t *testing.T) map[string]*Figure {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 1))
	var values []uint64
	for range 5000 {
		values = append(values, uint64(math.Exp(rng.NormFloat64()*3+4)))
	}
	for range 300 {
		values = append(values, 0)
	}
	figs := map[string]*Figure{}
	must := func(name string, f *Figure, err error) {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		figs[name] = f
	}
	f, err := Log2Histogram(Labels{Title: "Values of len (kmalloc)", X: "value", Y: "calls"}, log2Counts(values))
	must("histogram", f, err)

	series := []Series{{Name: "dataflow"}, {Name: "coverage"}, {Name: "baseline"}}
	for i := range series {
		for range 40 + 10*i {
			series[i].Values = append(series[i].Values, 1+float64(i)*0.3+rng.ExpFloat64()*0.5)
		}
	}
	f, err = CDF(Labels{Title: "Overhead per run", X: "exec time / baseline"}, series...)
	must("cdf", f, err)

	var arms []Arm
	for a, name := range []string{"dataflow", "coverage", "baseline"} {
		arm := Arm{Name: name}
		for range 5 {
			var c Curve
			y := 0.0
			for run := 1; run <= 200; run++ {
				y += float64(rng.IntN(2000/(run/(a+1)+1) + 1))
				c.X = append(c.X, float64(run))
				c.Y = append(c.Y, y)
			}
			arm.Trials = append(arm.Trials, c)
		}
		arms = append(arms, arm)
	}
	f, err = Growth(Labels{Title: "Value coverage growth", X: "run", Y: "distinct values"}, IQR, arms...)
	must("growth", f, err)

	items := []Item{
		{"__kmalloc_node_track_caller", 912345}, {"kmem_cache_alloc", 523400},
		{"copy_from_user_with_a_very_long_name_that_is_cut", 300100},
		{"core::ptr::drop_in_place<&mut T>", 120000}, {"strncpy_from_user", 90000}, {"ffi_check_result", 1234},
	}
	f, err = TopK(Labels{Title: "Functions costing the most records", X: "records"}, items, 2500000)
	must("topk", f, err)
	var panels []Panel
	for _, metric := range []string{"value coverage", "distinct pcs", "bugs"} {
		pn := Panel{Title: metric}
		for a, name := range []string{"dataflow", "coverage", "baseline"} {
			g := Series{Name: name}
			for range 5 {
				g.Values = append(g.Values, float64(1000*(3-a)+rng.IntN(500)))
			}
			pn.Groups = append(pn.Groups, g)
		}
		panels = append(panels, pn)
	}
	panels[2].Groups[1].Values = []float64{2, 2, 2, 3, 5}
	panels[2].Groups[2].Values = nil // a group without trials
	f, err = Trials("Trials per arm", panels...)
	must("trials", f, err)
	return figs
}

func log2Counts(values []uint64) []uint64 {
	counts := make([]uint64, 65)
	for _, v := range values {
		k := 0
		for v>>k != 0 {
			k++
		}
		counts[k]++
	}
	return counts
}

// TestWriteAllFormats writes every kind in every format and checks
// what each format promises.
func TestWriteAllFormats(t *testing.T) {
	dir := t.TempDir()
	titles := map[string]string{
		"histogram": "Values of len (kmalloc)", "cdf": "Overhead per run",
		"growth": "Value coverage growth", "topk": "Functions costing the most records",
		"trials": "Trials per arm",
	}
	for name, fig := range samples(t) {
		for _, ext := range []string{".svg", ".png", ".pdf"} {
			t.Run(name+ext, func(t *testing.T) {
				path := filepath.Join(dir, name+ext)
				if err := fig.Save(path); err != nil {
					t.Fatal(err)
				}
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if len(data) == 0 {
					t.Fatal("empty file")
				}
				switch ext {
				case ".svg":
					checkSVG(t, data, titles[name])
				case ".png":
					checkPNG(t, data, fig)
				case ".pdf":
					if !bytes.HasPrefix(data, []byte("%PDF")) {
						t.Errorf("PDF starts with %q", data[:min(8, len(data))])
					}
					if !bytes.Contains(data, []byte("/FontFile")) {
						t.Error("the PDF does not embed its font")
					}
				}
			})
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func checkSVG(t *testing.T, data []byte, title string) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		if cd, ok := tok.(xml.CharData); ok {
			text.Write(cd)
		}
	}
	if !strings.Contains(text.String(), title) {
		t.Errorf("SVG text does not contain the title %q", title)
	}
	// Text is drawn as outlines: nothing for the viewer to find a
	// font for.
	if bytes.Contains(data, []byte("<text")) || bytes.Contains(data, []byte("font-family")) {
		t.Error("the SVG leaves text for the viewer to set in a font")
	}
}

func checkPNG(t *testing.T, data []byte, fig *Figure) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("PNG does not decode: %v", err)
	}
	w, h := fig.size()
	wantW := int(float64(w/vg.Inch)*DefaultDPI + 0.5)
	wantH := int(float64(h/vg.Inch)*DefaultDPI + 0.5)
	if b := img.Bounds(); b.Dx() != wantW || b.Dy() != wantH {
		t.Errorf("PNG is %dx%d, want %dx%d", b.Dx(), b.Dy(), wantW, wantH)
	}
}

func TestPNGSize(t *testing.T) {
	fig := samples(t)["cdf"]
	fig.Width, fig.Height, fig.DPI = 3.3, 2, 300
	var buf bytes.Buffer
	if err := fig.Write(&buf, PNG); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 990 || b.Dy() != 600 {
		t.Errorf("PNG is %dx%d, want 990x600", b.Dx(), b.Dy())
	}
}

// TestSVGDeterministic renders each kind twice from fresh data.
func TestSVGDeterministic(t *testing.T) {
	a, b := samples(t), samples(t)
	for name := range a {
		var x, y bytes.Buffer
		if err := a[name].Write(&x, SVG); err != nil {
			t.Fatal(err)
		}
		if err := b[name].Write(&y, SVG); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x.Bytes(), y.Bytes()) {
			t.Errorf("%s: two renderings differ", name)
		}
	}
}

// TestGolden compares the growth figure, the kind with the most
// machinery (grid, quantiles, bands, legend), with testdata. Run
// go test -run TestGolden -update to accept a change, then look at
// the new file.
func TestGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := samples(t)["growth"].Write(&buf, SVG); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "growth.golden.svg"), buf.Bytes())
}

func TestFormatOf(t *testing.T) {
	for path, want := range map[string]Format{"a.svg": SVG, "b.PNG": PNG, "dir.x/c.pdf": PDF} {
		if got, err := FormatOf(path); err != nil || got != want {
			t.Errorf("FormatOf(%q) = %q, %v; want %q", path, got, err, want)
		}
	}
	for _, path := range []string{"a.jpg", "noext", "a.svg.gz"} {
		if _, err := FormatOf(path); err == nil {
			t.Errorf("FormatOf(%q): no error", path)
		}
	}
	fig := samples(t)["cdf"]
	path := filepath.Join(t.TempDir(), "out.eps")
	err := fig.Save(path)
	if err == nil || !strings.Contains(err.Error(), ".svg, .png or .pdf") {
		t.Errorf("Save(.eps) error = %v, want one naming the supported formats", err)
	}
	if _, statErr := os.Stat(path); !os.IsNotExist(statErr) {
		t.Errorf("Save(.eps) created a file")
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"histogram empty", second(Log2Histogram(Labels{}, []uint64{0, 0})), "no values"},
		{"cdf none", second(CDF(Labels{})), "no series"},
		{"cdf empty series", second(CDF(Labels{}, Series{Name: "a"})), `"a" has no values`},
		{"cdf nan", second(CDF(Labels{}, Series{"b", []float64{1, math.NaN()}})), `"b": value 1 is NaN`},
		{"growth none", second(Growth(Labels{}, IQR)), "no arms"},
		{"growth no trials", second(Growth(Labels{}, IQR, Arm{Name: "a"})), `"a" has no trials`},
		{"growth ragged", second(Growth(Labels{}, IQR, Arm{"a", []Curve{{X: []float64{1, 2}, Y: []float64{1}}}})), "2 X and 1 Y"},
		{"growth unsorted", second(Growth(Labels{}, IQR, Arm{"a", []Curve{{X: []float64{2, 1}, Y: []float64{1, 2}}}})), "X decreases"},
		{"growth inf", second(Growth(Labels{}, IQR, Arm{"a", []Curve{{X: []float64{1}, Y: []float64{math.Inf(1)}}}})), "+Inf"},
		{"topk none", second(TopK(Labels{}, nil, 0)), "no items"},
		{"trials none", second(Trials("t")), "no panels"},
		{"trials no groups", second(Trials("t", Panel{Title: "m"})), `panel "m" has no groups`},
		{"trials nan", second(Trials("t", Panel{"m", []Series{{"a", []float64{math.NaN()}}}})), `m, group "a": value 0 is NaN`},
		{"topk negative", second(TopK(Labels{}, []Item{{"f", -1}}, 0)), "negative"},
	}
	for _, tt := range tests {
		if tt.err == nil || !strings.Contains(tt.err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, tt.err, tt.want)
		}
	}
}

func second(_ *Figure, err error) error { return err }

func TestBucketLabel(t *testing.T) {
	want := map[int]string{0: "0", 1: "1", 2: "2", 3: "4", 10: "512", 11: "1Ki", 12: "2Ki", 21: "1Mi", 31: "1Gi", 64: "8Ei"}
	for k, w := range want {
		if got := bucketLabel(k); got != w {
			t.Errorf("bucketLabel(%d) = %q, want %q", k, got, w)
		}
	}
}

// TestHistogramLabels: however many buckets and however wide the
// figure, no two labels overlap: level ones are their width apart,
// turned ones their height across the slant; and the labels drawn are
// the buckets the step keeps.
func TestHistogramLabels(t *testing.T) {
	for _, tc := range []struct {
		first, last int
		inches      float64
	}{{0, 64, DefaultWidth}, {0, 64, 3.3}, {0, 64, 7}, {3, 9, DefaultWidth}, {0, 20, DefaultWidth}, {20, 40, 3.3}} {
		counts := make([]uint64, 65)
		for k := tc.first; k <= tc.last; k++ {
			counts[k] = uint64(k + 1)
		}
		f, err := Log2Histogram(Labels{Title: "h"}, counts)
		if err != nil {
			t.Fatal(err)
		}
		sty := f.plot.X.Tick.Label
		width := plotWidth(vg.Length(tc.inches) * vg.Inch)
		step, rotate := labelStep(sty, tc.first, tc.last, width)
		spacing := width / vg.Length(tc.last-tc.first+1) * vg.Length(step)
		var widest vg.Length
		for _, s := range bucketLabels(tc.first, tc.last, step) {
			widest = max(widest, sty.Width(s))
		}
		if fits := !rotate && spacing >= widest || rotate && spacing*math.Sqrt2/2 >= sty.Height("0"); !fits {
			t.Errorf("buckets %d-%d at %v in: step %d, rotated %v: labels %v apart overlap", tc.first, tc.last, tc.inches, step, rotate, spacing)
		}
		if rotate && step > 1 && vg.Length(step/2)*spacing/vg.Length(step)*math.Sqrt2/2 >= sty.Height("0")*1.2 {
			t.Errorf("buckets %d-%d at %v in: step %d where %d would do", tc.first, tc.last, tc.inches, step, step/2)
		}
		f.Width = tc.inches
		var b bytes.Buffer
		if err := f.Write(&b, SVG); err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, s := range bucketLabels(tc.first, tc.last, step) {
			if s != "" {
				want++
				if !strings.Contains(b.String(), "\n"+s+"\n") {
					t.Errorf("buckets %d-%d: label %q not drawn", tc.first, tc.last, s)
				}
			}
		}
		if want == 0 || want > 1+(tc.last-tc.first)/step {
			t.Errorf("buckets %d-%d: %d labels at step %d", tc.first, tc.last, want, step)
		}
	}
}

func TestFormatSI(t *testing.T) {
	want := map[float64]string{0: "0", 0.5: "0.5", 999: "999", 1000: "1k", 2500: "2.5k", 1.2e6: "1.2M", 1.2000000000000002e6: "1.2M", 3e9: "3G", -4000: "-4k"}
	for v, w := range want {
		if got := formatSI(v); got != w {
			t.Errorf("formatSI(%v) = %q, want %q", v, got, w)
		}
	}
}

func TestECDF(t *testing.T) {
	got := ecdf([]float64{3, 1, 2, 2})
	want := []struct{ x, y float64 }{{1, 0}, {1, 0.25}, {2, 0.5}, {2, 0.75}, {3, 1}}
	if len(got) != len(want) {
		t.Fatalf("ecdf = %v", got)
	}
	for i, w := range want {
		if got[i].X != w.x || got[i].Y != w.y {
			t.Errorf("ecdf point %d = %v, want %v", i, got[i], w)
		}
	}
	big := make([]float64, 10*maxCDFSteps)
	for i := range big {
		big[i] = float64(i)
	}
	thin := ecdf(big)
	if len(thin) != maxCDFSteps+1 || thin[len(thin)-1].Y != 1 || thin[1].Y != 1.0/float64(len(big)) {
		t.Errorf("thinned ecdf: %d points, first step %v, last %v", len(thin), thin[1], thin[len(thin)-1])
	}
}

func TestSummarizeTrials(t *testing.T) {
	trials := []Curve{
		{X: []float64{1, 2, 3}, Y: []float64{10, 20, 30}},
		{X: []float64{1, 3}, Y: []float64{0, 60}},
		{X: []float64{2}, Y: []float64{5}},
	}
	med, lo, hi := summarizeTrials(trials, MinMax)
	// At x=1: 10, 0, and 0 (trial 3 has not run yet).
	// At x=2: 20, 0 (step), 5. At x=3: 30, 60; trial 3 ended at 2.
	wantMed := []float64{0, 5, 45}
	wantLo := []float64{0, 0, 30}
	wantHi := []float64{10, 20, 60}
	for i := range wantMed {
		if med[i].X != float64(i+1) || med[i].Y != wantMed[i] || lo[i].Y != wantLo[i] || hi[i].Y != wantHi[i] {
			t.Errorf("x=%d: median %v lo %v hi %v, want %v %v %v", i+1, med[i].Y, lo[i].Y, hi[i].Y, wantMed[i], wantLo[i], wantHi[i])
		}
	}
}

func TestSpread(t *testing.T) {
	got := spread(2, []float64{1, 3, 3, 3, 4})
	want := plotter.XYs{{X: 2, Y: 1}, {X: 1.88, Y: 3}, {X: 2, Y: 3}, {X: 2.12, Y: 3}, {X: 2, Y: 4}}
	for i := range want {
		if math.Abs(got[i].X-want[i].X) > 1e-12 || got[i].Y != want[i].Y {
			t.Errorf("spread: %v, want %v", got, want)
			break
		}
	}
}
