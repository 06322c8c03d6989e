package synth

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/kdf-tools/kdf/ingest"
)

// Config describes a synthetic campaign: arms x trials x boots x programs.
type Config struct {
	Seed uint64
	// Arms are the fuzzer configurations compared; the first runs
	// deeper, more error-prone programs (the treatment), the others less.
	Arms     []string
	Trials   int // per arm
	Boots    int // per trial
	Programs int // per boot
	// Layout is A, B, or LayoutUnknown for a mixed campaign whose boots
	// alternate between the two.
	Layout ingest.Layout
	// Capacities are buffer sizes in words; boots take them in turn.
	Capacities []int
	// Syscalls bounds the syscalls per program (1 to Syscalls), unless
	// Sizes is set: then each program's length in records is drawn from
	// it.
	Syscalls int
	Sizes    SizeDist
	// Per-program chances: a torn tail, a whole-mapping dump, user space
	// zeroing the counter after ENABLE; ForkProb is per syscall.
	TornProb, FullDumpProb, ResetAfterEnableProb, ForkProb float64
	// HiddenKallsymsProb is the chance a boot's kallsyms is all zeros.
	HiddenKallsymsProb float64
	// ErrorRate and FaultRate, before the arm's scaling.
	ErrorRate, FaultRate float64
	// Compare turns on compare records in layout-B boots.
	Compare bool
	// Kernel selects the hostile 16+-field structs and in-function pcs.
	Kernel Options
	// What an evaluation's manifests carry beyond the defaults; zero
	// leaves a campaign's bytes as they were. RoundPrograms is the
	// programs of a fuzzing round (manifest round, from 1 over the
	// trial); Interval the mean time between programs' timestamps
	// (else they follow back to back); Repeats runs each program that
	// many times in a row, the same program (manifest repeat, from 1:
	// a benchmark's best-of-N); Iters times that many executions per
	// run, as a benchmark times a loop (manifest iters; exec_ns and
	// baseline_ns are their totals).
	RoundPrograms, Repeats, Iters int
	Interval                      time.Duration
}

// DefaultConfig is a small demo campaign, written in well under a second:
// 3 arms x 2 trials x 2 boots x 25 programs, both layouts, one buffer
// size small enough to overflow.
func DefaultConfig() Config {
	return Config{
		Seed: 1, Arms: []string{"dataflow", "coverage", "random"},
		Trials: 2, Boots: 2, Programs: 25,
		Capacities: []int{1024, 8192, 65536}, Syscalls: 8,
		TornProb: 0.05, FullDumpProb: 0.2, ResetAfterEnableProb: 0.5, ForkProb: 0.04,
		ErrorRate: 0.08, FaultRate: 0.02, Compare: true,
	}
}

// BenchSizes are BenchConfig's buffers: about 100,000 records each.
var BenchSizes = Fixed(100_000)

// BenchConfig is a campaign of about records visible records, for
// benchmarks: SizedConfig(BenchSizes), in buffers of 2^20 words.
func BenchConfig(records int) Config {
	c := SizedConfig(BenchSizes)
	c.Fit(records, 0)
	return c
}

// SizedConfig is the shape of a benchmark campaign of buffers whose
// records follow sizes: one arm, one trial, a layout-A and a layout-B
// boot, trimmed dumps, no tears. Fit sets its number of programs.
func SizedConfig(sizes SizeDist) Config {
	c := DefaultConfig()
	c.Arms, c.Trials, c.Boots, c.Programs = []string{"bench"}, 1, 2, 1
	c.SetSizes(sizes)
	c.TornProb, c.FullDumpProb = 0, 0
	return c
}

// SetSizes draws the length of programs from sizes, in buffers of
// sizes.Capacity() words.
func (c *Config) SetSizes(sizes SizeDist) {
	c.Sizes, c.Capacities = sizes, []int{sizes.Capacity()}
}

// Fit sets the programs per boot for about buffers buffers in all or,
// if that is 0, about records records, estimated from Sizes on the
// first capacity. Without Sizes, only buffers counts.
func (c *Config) Fit(records, buffers int) {
	if buffers <= 0 && c.Sizes.Set() && len(c.Capacities) > 0 {
		buffers = int(math.Ceil(float64(records) / c.Sizes.meanRecords(c.Capacities[0])))
	}
	boots := max(1, len(c.Arms)*c.Trials*c.Boots)
	c.Programs = max(1, (buffers+boots-1)/boots)
}

// Validate reports the first problem with the configuration.
func (c *Config) Validate() error {
	switch {
	case len(c.Arms) == 0 || c.Trials < 1 || c.Boots < 1 || c.Programs < 1:
		return errors.New("synth: a campaign needs arms, trials, boots and programs")
	case len(c.Capacities) == 0 || c.Syscalls < 1:
		return errors.New("synth: a campaign needs buffer capacities and syscalls per program")
	case c.Layout != ingest.LayoutA && c.Layout != ingest.LayoutB && c.Layout != ingest.LayoutUnknown:
		return fmt.Errorf("synth: layout %v", c.Layout)
	case c.RoundPrograms < 0 || c.Repeats < 0 || c.Iters < 0 || c.Interval < 0:
		return errors.New("synth: rounds, repeats, iters and the interval cannot be negative")
	case c.Kernel.Symbols < 0 || c.Kernel.Symbols > MaxSymbols:
		return fmt.Errorf("synth: %d kallsyms symbols outside [0, %d]", c.Kernel.Symbols, MaxSymbols)
	}
	if err := c.Sizes.Validate(); err != nil {
		return err
	}
	for _, n := range c.Capacities {
		if n < 2 || n > ingest.MaxBufferWords {
			return fmt.Errorf("synth: capacity %d words outside [2, %d]", n, ingest.MaxBufferWords)
		}
	}
	for _, p := range []float64{c.TornProb, c.FullDumpProb, c.ResetAfterEnableProb, c.ForkProb,
		c.HiddenKallsymsProb, c.ErrorRate, c.FaultRate} {
		if p < 0 || p > 1 {
			return fmt.Errorf("synth: probability %v outside [0, 1]", p)
		}
	}
	seen := map[string]bool{}
	for _, a := range c.Arms {
		if a == "" || seen[a] {
			return fmt.Errorf("synth: arm name %q empty or repeated", a)
		}
		seen[a] = true
	}
	return nil
}

// armProfile is how an arm's programs differ from the others'.
type armProfile struct {
	callScale, errScale, nsPerHook float64
}

func profileOf(i int, name string) armProfile {
	presets := []armProfile{{1.3, 1.4, 27.3}, {1.0, 1.0, 26.8}, {0.85, 0.8, 27.0}}
	if i < len(presets) {
		return presets[i]
	}
	h := hashString(name)
	frac := func(shift uint) float64 { return float64(h>>shift&0xffff) / 0xffff }
	return armProfile{0.8 + 0.5*frac(0), 0.7 + 0.6*frac(16), 26.5 + 1.2*frac(32)}
}

// Campaign runs a Config's programs in memory, deterministically.
type Campaign struct {
	cfg Config
	k   *Kernel
}

// NewCampaign validates cfg and builds its kernel.
func NewCampaign(cfg Config) (*Campaign, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Campaign{cfg: cfg, k: NewKernel(cfg.Seed, cfg.Kernel)}, nil
}

// Kernel returns the campaign's kernel (one build for all boots).
func (c *Campaign) Kernel() *Kernel { return c.k }

// BootRun is one boot of one trial of one arm.
type BootRun struct {
	Arm      string
	ArmIndex int
	Trial    int    // 1-based
	Boot     int    // 1-based within the trial
	Dir      string // "arm=A/trial=T/boot=B"
	Layout   ingest.Layout
	Capacity int
	Hidden   bool      // kallsyms shows zero addresses
	Booted   *Boot     // the boot's KASLR offset and module addresses
	Start    time.Time // first program's timestamp

	global int
}

// Boots returns every boot of the campaign in order.
func (c *Campaign) Boots() []BootRun {
	var out []BootRun
	epoch := time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC).Add(time.Duration(c.cfg.Seed%1440) * time.Minute)
	g := 0
	for ai, arm := range c.cfg.Arms {
		for trial := 1; trial <= c.cfg.Trials; trial++ {
			for boot := 1; boot <= c.cfg.Boots; boot++ {
				rng := rand.New(rand.NewPCG(mix(c.cfg.Seed, 0xb0, uint64(g)), 2))
				br := BootRun{Arm: arm, ArmIndex: ai, Trial: trial, Boot: boot, global: g,
					Dir:      fmt.Sprintf("arm=%s/trial=%d/boot=%d", arm, trial, boot),
					Layout:   c.cfg.Layout,
					Capacity: c.cfg.Capacities[(g+int(c.cfg.Seed%uint64(len(c.cfg.Capacities))))%len(c.cfg.Capacities)],
					Hidden:   rng.Float64() < c.cfg.HiddenKallsymsProb,
					Booted:   c.k.Boot(g),
					Start:    epoch.Add(time.Duration(trial-1)*24*time.Hour + time.Duration(boot-1)*2*time.Hour + time.Duration(rng.IntN(600))*time.Second),
				}
				if br.Layout == ingest.LayoutUnknown {
					br.Layout = [2]ingest.Layout{ingest.LayoutA, ingest.LayoutB}[(g+int(c.cfg.Seed&1))%2]
				}
				out = append(out, br)
				g++
			}
		}
	}
	return out
}

// SmallConfig is a campaign of 24 buffers, both layouts, with damage,
// torn tails, forks and faults: the size of a test that reads back
// every row.
func SmallConfig() Config {
	c := DefaultConfig()
	c.Arms, c.Trials, c.Boots, c.Programs = []string{"a", "b"}, 1, 2, 6
	return c
}
