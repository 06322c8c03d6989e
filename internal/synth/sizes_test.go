package synth

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"
)

// runBuffers runs a campaign in memory and returns every buffer's stats,
// checking each buffer's truth against its bytes when truth is set.
func runBuffers(t *testing.T, cfg Config, truth bool) []Stats {
	t.Helper()
	c, err := NewCampaign(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out []Stats
	boots := c.Boots()
	for i := range boots {
		err := c.RunBoot(&boots[i], truth, func(b *Buffer) error {
			if truth {
				if err := b.Program.Truth.CheckValid(b.Program.Bytes); err != nil {
					return err
				}
			}
			if words := binary.LittleEndian.Uint64(b.Program.Bytes); int(words) != b.Program.Stats.Words {
				t.Fatalf("%s/%s: area[0] = %d, stats say %d", b.Boot.Dir, b.File, words, b.Program.Stats.Words)
			}
			out = append(out, b.Program.Stats)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// quantile returns the q-quantile of sorted values.
func quantile(sorted []int, q float64) float64 {
	return float64(sorted[int(q*float64(len(sorted)-1))])
}

// want returns the distribution's p-quantile: a log-normal's, truncated
// at Max.
func (d SizeDist) want(p float64) float64 {
	if d.Max > 0 && d.Sigma > 0 {
		p *= normalCDF(math.Log(float64(d.Max)/float64(d.Median)) / d.Sigma)
	}
	return float64(d.Median) * math.Exp(d.Sigma*math.Sqrt2*math.Erfinv(2*p-1))
}

func normalCDF(z float64) float64 { return (1 + math.Erf(z/math.Sqrt2)) / 2 }

// TestSizeDistQuantiles: the records of unsaturated buffers fall where
// the distribution puts them. Programs end with whole syscalls, of up to
// a few hundred records, which spread even a fixed size.
func TestSizeDistQuantiles(t *testing.T) {
	for _, d := range []SizeDist{Fixed(370), Fixed(5000), Realistic, {Median: 3000, Sigma: 0.5, Max: 6000}} {
		t.Run(d.String(), func(t *testing.T) {
			cfg := SizedConfig(d)
			cfg.Fit(0, 1000)
			var records []int
			for _, s := range runBuffers(t, cfg, false) {
				if !s.Saturated {
					records = append(records, s.Records)
				}
			}
			slices.Sort(records)
			for _, q := range []struct{ p, slack float64 }{{0.1, 120}, {0.5, 30}, {0.9, 120}} {
				want := d.want(q.p)
				if got := quantile(records, q.p); math.Abs(got-want) > 0.1*want+q.slack {
					t.Errorf("%.0f%% of buffers hold up to %.0f records, want about %.0f", 100*q.p, got, want)
				}
			}
			if d.Max > 0 && records[len(records)-1] > d.Max+600 {
				t.Errorf("a buffer holds %d records, max %d", records[len(records)-1], d.Max)
			}
		})
	}
}

// TestRealisticSizes: most buffers hold 200 to 5,000 records, and about
// one in a hundred is saturated.
func TestRealisticSizes(t *testing.T) {
	cfg := SizedConfig(Realistic)
	cfg.Fit(0, 4000)
	stats := runBuffers(t, cfg, false)
	inRange, saturated := 0, 0
	for _, s := range stats {
		inRange += btoi(s.Records >= 200 && s.Records <= 5000)
		saturated += btoi(s.Saturated)
	}
	n := float64(len(stats))
	if share := float64(inRange) / n; share < 0.85 {
		t.Errorf("%.0f%% of buffers hold 200 to 5,000 records, want most", 100*share)
	}
	if share := float64(saturated) / n; share < 0.005 || share > 0.02 {
		t.Errorf("%.2f%% of buffers saturated, want about 1%%", 100*share)
	}
}

// TestSaturatedBuffers: a program that runs past its buffer's capacity
// fills it as the kernel does, so little more than the largest record
// is left free, and drops the rest; the others drop nothing. The truth
// of every buffer holds.
func TestSaturatedBuffers(t *testing.T) {
	cfg := SizedConfig(SizeDist{Median: 300, Sigma: 0.5, Max: 600, Saturated: 0.25})
	cfg.Fit(0, 160)
	saturated := 0
	for _, s := range runBuffers(t, cfg, true) {
		if !s.Saturated {
			if s.Drops > 0 {
				t.Errorf("an unsaturated buffer of %d records dropped %d", s.Records, s.Drops)
			}
			continue
		}
		saturated++
		if s.Drops == 0 || s.Words < s.Capacity-1-s.MaxRecordWords {
			t.Errorf("saturated buffer: counter %d of %d words, largest record %d, %d drops",
				s.Words, s.Capacity, s.MaxRecordWords, s.Drops)
		}
	}
	if saturated < 20 || saturated > 60 {
		t.Errorf("%d of 160 buffers saturated, want about 40", saturated)
	}
}

// TestFit: a campaign sized by records holds about that many.
func TestFit(t *testing.T) {
	if c := BenchConfig(10_000_000); c.Programs != 50 {
		t.Errorf("BenchConfig(10M): %d programs a boot, want 50", c.Programs)
	}
	for _, d := range []SizeDist{Fixed(370), Realistic} {
		cfg := SizedConfig(d)
		cfg.Fit(1_000_000, 0)
		total := 0
		for _, s := range runBuffers(t, cfg, false) {
			total += s.Records
		}
		if total < 900_000 || total > 1_150_000 {
			t.Errorf("%v: %d records, want about 1,000,000", d, total)
		}
	}
}

func TestParseSizeDist(t *testing.T) {
	for in, want := range map[string]SizeDist{
		"realistic":                    Realistic,
		"370":                          Fixed(370),
		"lognormal:median=800,sigma=1": {Median: 800, Sigma: 1},
		"lognormal:median=800,sigma=1.5,max=20000,saturated=0.02": {Median: 800, Sigma: 1.5, Max: 20000, Saturated: 0.02},
	} {
		got, err := ParseSizeDist(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v, %v; want %+v", in, got, err, want)
		}
		if again, err := ParseSizeDist(got.String()); err != nil || again != got {
			t.Errorf("%q: %q reads back as %+v, %v", in, got.String(), again, err)
		}
	}
	for _, in := range []string{"", "0", "-5", "uniform:1", "lognormal:", "lognormal:median=0", "lognormal:median=x",
		"lognormal:median=800,sigma=-1", "lognormal:median=800,max=10", "lognormal:median=800,saturated=2",
		"lognormal:median=800,mean=3", "lognormal:sigma=1"} {
		if d, err := ParseSizeDist(in); err == nil {
			t.Errorf("%q was accepted as %+v", in, d)
		}
	}
}
