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
		fs.IntVar(&c.Boots, "boots", c.Boots, "boots per trial, each with its own KASLR base and kallsyms")
		fs.IntVar(&c.Programs, "programs", c.Programs, "programs (buffers) per boot")
		fs.StringVar(&g.layout, "layout", "mixed", "buffer layout: A, B, or mixed (boots alternate)")
		fs.IntVar(&g.records, "records", 0, "instead of the shape above, write one arm, one trial and two boots totalling about `N` records (benchmarks)")
		fs.Float64Var(&c.TornProb, "torn", c.TornProb, "chance that a buffer ends in a torn record")
		fs.Float64Var(&c.HiddenKallsymsProb, "hidden-kallsyms", c.HiddenKallsymsProb, "chance that a boot's kallsyms has all-zero addresses")
		fs.BoolVar(&c.Compare, "compare", c.Compare, "write compare records in layout-B boots")
		fs.BoolVar(&c.Kernel.Hostile, "hostile", false, "include structs of 16+ fields, whose layout-A headers are corrupt")
		return g.run
	},
}

type genOptions struct {
	cfg     synth.Config
	out     string
	arms    string
	layout  string
	records int
}

func (g *genOptions) run(ctx context.Context, e *env, args []string) error {
	if g.out == "" || len(args) > 0 {
		return fmt.Errorf("%w: gen takes -o DIR and no arguments", errUsage)
	}
	cfg := g.cfg
	if g.records > 0 {
		bench := synth.BenchConfig(g.records)
		bench.Seed = cfg.Seed
		cfg = bench
	} else {
		cfg.Arms = strings.Split(g.arms, ",")
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
	fmt.Fprintf(e.stdout, "wrote %s: %d buffers (%d layout A, %d layout B) from %d boots, %d records, %.1f MB\n",
		sum.Dir, sum.Buffers, sum.LayoutA, sum.LayoutB, sum.Boots, sum.Records, float64(sum.Bytes)/1e6)
	fmt.Fprintf(e.stdout, "  %d records dropped when full, %d saturated and %d torn buffers, %d whole-mapping dumps, %d hidden kallsyms\n",
		sum.Drops, sum.Saturated, sum.Torn, sum.Full, sum.HiddenBoots)
	return nil
}
