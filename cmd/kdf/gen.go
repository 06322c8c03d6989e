package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/internal/synth"
)

var genCommand = &command{
	name:    "gen",
	args:    "[options] -o DIR",
	summary: "write a synthetic campaign: buffers as the kernel writes them, kallsyms per boot, manifests",
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		g := &genOptions{cfg: synth.DefaultConfig()}
		c := &g.cfg
		fs.StringVar(&g.out, "o", "", "write the campaign into `DIR` (required)")
		fs.Uint64Var(&c.Seed, "seed", c.Seed, "the seed: the same seed writes the same bytes")
		fs.StringVar(&g.arms, "arms", strings.Join(c.Arms, ","), "comma-separated arm names; the first runs deeper programs")
		fs.IntVar(&c.Trials, "trials", c.Trials, "trials per arm")
		fs.IntVar(&c.Boots, "boots", c.Boots, "boots per trial, each with its own KASLR base (unless --nokaslr) and kallsyms")
		fs.IntVar(&c.Programs, "programs", c.Programs, "programs (buffers) per boot")
		fs.StringVar(&g.layout, "layout", "mixed", "buffer layout: A, B, or mixed (boots alternate)")
		fs.IntVar(&g.records, "records", 0, "instead of --arms, --trials, --boots and --programs, write one arm, one trial and two boots "+
			"(layouts A and B; --boots given sets how many) totalling about `N` records, for benchmarks: no tears, dumps trimmed to the counter")
		fs.IntVar(&g.buffers, "buffers", 0, "like --records, but about `N` buffers in all")
		fs.IntVar(&g.perBuffer, "records-per-buffer", 0,
			"programs run until about `N` records each (a buffer too small for them fills up and drops the rest); with --records or --buffers the default is 100000")
		fs.StringVar(&g.dist, "size-dist", "", "draw each buffer's records from `DIST`: realistic (most buffers 200 to 5,000 records, median 800, "+
			"and 1 in 100 fills its buffer and drops records) or lognormal:median=M,sigma=S[,max=X][,saturated=P] "+
			"(sigma of ln records; draws above max are redrawn; P is the share of programs that run until their buffer is full)")
		fs.IntVar(&g.capacity, "capacity", 0, "buffer capacity in `WORDS`, counter included (default: room for the sizes asked, "+
			"65536 for a distribution without max; without sizes, boots take 1024, 8192 and 65536 in turn)")
		fs.Float64Var(&c.TornProb, "torn", c.TornProb, "chance that a buffer ends in a torn record")
		fs.Float64Var(&c.HiddenKallsymsProb, "hidden-kallsyms", c.HiddenKallsymsProb, "chance that a boot's kallsyms has all-zero addresses")
		fs.BoolVar(&c.Compare, "compare", c.Compare, "write compare records in layout-B boots")
		fs.BoolVar(&c.Kernel.Hostile, "hostile", false, "include structs of 16+ fields, whose layout-A headers are corrupt")
		fs.IntVar(&c.Kernel.Symbols, "kallsyms-symbols", 0, "pad the kernel with uncalled functions until each kallsyms has about `N` lines, "+
			"as a real kernel's has (120,000 to 200,000; at most 200,000); default: the few hundred the catalog needs")
		fs.BoolVar(&c.Kernel.NoKASLR, "nokaslr", false, "boot every time at the link address, modules at the same addresses, "+
			"as a kernel without CONFIG_RANDOMIZE_BASE (syzkaller's recommended config): every boot's kallsyms is the same bytes")
		fs.IntVar(&c.RoundPrograms, "round", 0, "write each program's fuzzing round in its manifest (round), `N` programs a round over the trial")
		fs.DurationVar(&c.Interval, "interval", 0, "space programs' timestamps about `DURATION` apart (default: back to back)")
		fs.IntVar(&c.Repeats, "repeat", 0, "run each program `N` times in a row, the same program (manifest repeat): what best-of-N overhead takes the fastest of")
		fs.IntVar(&c.Iters, "iters", 0, "time `N` executions per run, as a benchmark times a loop: exec_ns and baseline_ns are their totals (manifest iters)")
		g.fs = fs
		return g.run
	},
}

type genOptions struct {
	fs        *flag.FlagSet
	cfg       synth.Config
	out       string
	arms      string
	layout    string
	records   int
	buffers   int
	perBuffer int
	dist      string
	capacity  int
}

func (g *genOptions) run(ctx context.Context, e *env, args []string) error {
	if g.out == "" || len(args) > 0 {
		return fmt.Errorf("%w: gen takes -o DIR and no arguments", errUsage)
	}
	cfg, err := g.config()
	if err != nil {
		return err
	}
	if g.layout != "mixed" {
		l, err := ingest.ParseLayout(g.layout)
		if err != nil || l == ingest.LayoutUnknown {
			return fmt.Errorf("%w: --layout %q: want A, B or mixed", errUsage, g.layout)
		}
		cfg.Layout = l
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	sum, err := synth.WriteCampaign(g.out, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d buffers (%d layout A, %d layout B) from %d boots, %d records (%.0f a buffer), %.1f MB\n",
		sum.Dir, sum.Buffers, sum.LayoutA, sum.LayoutB, sum.Boots, sum.Records, float64(sum.Records)/float64(sum.Buffers), float64(sum.Bytes)/1e6)
	fmt.Fprintf(e.stdout, "  %d records dropped when full, %d saturated and %d torn buffers, %d whole-mapping dumps, %d hidden kallsyms\n",
		sum.Drops, sum.Saturated, sum.Torn, sum.Full, sum.HiddenBoots)
	return nil
}

// config is the campaign the flags ask for, before its layout.
func (g *genOptions) config() (synth.Config, error) {
	sizes, err := g.sizes()
	if err != nil {
		return g.cfg, err
	}
	sized := g.records > 0 || g.buffers > 0
	cfg := g.cfg
	switch {
	case g.records < 0 || g.buffers < 0:
		return cfg, fmt.Errorf("%w: --records %d, --buffers %d: want a number above 0", errUsage, g.records, g.buffers)
	case g.records > 0 && g.buffers > 0:
		return cfg, fmt.Errorf("%w: --records and --buffers both size the campaign: give one", errUsage)
	case sized && !sizes.Set():
		sizes = synth.BenchSizes
		fallthrough
	case sized:
		cfg = synth.SizedConfig(sizes)
		cfg.Seed = g.cfg.Seed
		cfg.Kernel.Symbols, cfg.Kernel.NoKASLR = g.cfg.Kernel.Symbols, g.cfg.Kernel.NoKASLR
		if g.given("boots") {
			cfg.Boots = g.cfg.Boots
		}
	default:
		cfg.Arms = strings.Split(g.arms, ",")
		if sizes.Set() {
			cfg.SetSizes(sizes)
		}
	}
	if g.capacity != 0 {
		cfg.Capacities = []int{g.capacity}
	}
	if sized {
		cfg.Fit(g.records, g.buffers)
	}
	return cfg, nil
}

// sizes reads --records-per-buffer and --size-dist, of which one at
// most may be given.
func (g *genOptions) sizes() (synth.SizeDist, error) {
	switch {
	case g.perBuffer != 0 && g.dist != "":
		return synth.SizeDist{}, fmt.Errorf("%w: --records-per-buffer and --size-dist both size buffers: give one", errUsage)
	case g.perBuffer < 0:
		return synth.SizeDist{}, fmt.Errorf("%w: --records-per-buffer %d: want a number of records above 0", errUsage, g.perBuffer)
	case g.perBuffer > 0:
		return synth.Fixed(g.perBuffer), nil
	case g.dist == "":
		return synth.SizeDist{}, nil
	}
	d, err := synth.ParseSizeDist(g.dist)
	if err != nil {
		return d, fmt.Errorf("%w: --size-dist: %v", errUsage, err)
	}
	return d, nil
}

// given reports whether the flag called name was on the command line.
func (g *genOptions) given(name string) bool {
	found := false
	g.fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}
