package synth

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// ManifestEntry is one line of a boot's manifest.jsonl.
type ManifestEntry struct {
	File          string `json:"file"` // relative to the boot's directory
	Program       string `json:"program"`
	ExecNS        int64  `json:"exec_ns"`
	BaselineNS    int64  `json:"baseline_ns"`
	VM            string `json:"vm"`
	Timestamp     string `json:"timestamp"` // RFC 3339, increasing
	CapacityWords int    `json:"capacity_words"`
	Layout        string `json:"layout"`
	// Written when Config asks for them.
	Round  int `json:"round,omitempty"`
	Repeat int `json:"repeat,omitempty"`
	Iters  int `json:"iters,omitempty"`
}

// Buffer is one program's buffer in a campaign.
type Buffer struct {
	Boot     *BootRun
	Index    int    // 1-based within the boot
	File     string // "prog-000001.kcdf"
	Program  *Program
	Manifest ManifestEntry
}

// RunBoot runs a boot's programs in order on one writer (later programs
// find earlier ones' words as stale data) and hands each buffer to fn.
// With truth, every Program carries its full Truth.
func (c *Campaign) RunBoot(br *BootRun, truth bool, fn func(*Buffer) error) error {
	w, err := NewWriter(br.Layout, br.Capacity)
	if err != nil {
		return err
	}
	prof := profileOf(br.ArmIndex, br.Arm)
	rng := rand.New(rand.NewPCG(mix(c.cfg.Seed, 0x9a, uint64(br.global)), 3))
	ts := br.Start
	repeats, n := max(1, c.cfg.Repeats), 0
	for i := 1; i <= c.cfg.Programs; i++ {
		pc := c.programConfig(rng, prof, br, i, truth)
		for rep := 1; rep <= repeats; rep++ {
			p, err := RunProgram(br.Booted, w, pc)
			if err != nil {
				return err
			}
			n++
			b := &Buffer{Boot: br, Index: n, File: fmt.Sprintf("prog-%06d.kcdf", n), Program: p}
			exec, base := execNS(rng, prof, p), p.BaselineNS
			for range c.cfg.Iters - 1 {
				exec, base = exec+execNS(rng, prof, p), base+p.BaselineNS
			}
			b.Manifest = ManifestEntry{
				File: b.File, Program: p.Text, ExecNS: exec, BaselineNS: base,
				VM: fmt.Sprintf("vm-%d", br.Boot-1), Timestamp: ts.Format(time.RFC3339Nano),
				CapacityWords: br.Capacity, Layout: br.Layout.String(),
			}
			c.evaluation(&b.Manifest, br, i, rep)
			gap := time.Duration(50_000 + rng.IntN(2_000_000))
			if c.cfg.Interval > 0 { // the same draw, spread around the interval
				gap = c.cfg.Interval/2 + c.cfg.Interval*(gap-50_000)/2_000_000
			}
			ts = ts.Add(time.Duration(exec) + gap)
			if err := fn(b); err != nil {
				return err
			}
		}
	}
	return nil
}

// evaluation fills the manifest fields Config asks for: the program's
// round in its trial, its repeat, the executions timed.
func (c *Campaign) evaluation(m *ManifestEntry, br *BootRun, program, repeat int) {
	if c.cfg.RoundPrograms > 0 {
		m.Round = ((br.Boot-1)*c.cfg.Programs+program-1)/c.cfg.RoundPrograms + 1
	}
	if c.cfg.Repeats > 1 {
		m.Repeat = repeat
	}
	if c.cfg.Iters > 1 {
		m.Iters = c.cfg.Iters
	}
}

func (c *Campaign) programConfig(rng *rand.Rand, prof armProfile, br *BootRun, i int, truth bool) ProgramConfig {
	cfg := &c.cfg
	pc := ProgramConfig{
		Seed:             mix(cfg.Seed, uint64(br.global), uint64(i)),
		Syscalls:         1 + rng.IntN(max(1, int(float64(cfg.Syscalls)*prof.callScale))),
		Compare:          cfg.Compare,
		ForkProb:         cfg.ForkProb,
		Tear:             rng.Float64() < cfg.TornProb,
		ResetAfterEnable: rng.Float64() < cfg.ResetAfterEnableProb,
		Full:             rng.Float64() < cfg.FullDumpProb,
		ErrorRate:        min(1, cfg.ErrorRate*prof.errScale),
		FaultRate:        min(1, cfg.FaultRate*prof.errScale),
		CallScale:        prof.callScale,
		Truth:            truth,
	}
	// Drawn last, and only when set, so campaigns without sizes keep
	// their bytes.
	if cfg.Sizes.Set() {
		pc.Syscalls, pc.Callbacks = 1, cfg.Sizes.hooks(rng, br.Capacity)
	}
	return pc
}

// execNS is the traced run time: the baseline, about 27 ns per hook
// (the seed's figure, per arm), and noise.
func execNS(rng *rand.Rand, prof armProfile, p *Program) int64 {
	hooks := float64(p.Stats.Callbacks) * prof.nsPerHook * (1 + 0.03*rng.NormFloat64())
	noise := 0.02 * float64(p.BaselineNS) * rng.NormFloat64()
	return int64(math.Max(float64(p.BaselineNS)/2, float64(p.BaselineNS)+hooks+noise))
}

// Summary counts what WriteCampaign wrote.
type Summary struct {
	Dir              string
	Boots, Buffers   int
	HiddenBoots      int
	LayoutA, LayoutB int // buffers
	Records          int64
	Callbacks        int64
	Drops, Lost      int64
	Torn, Saturated  int // buffers
	Full             int // whole-mapping dumps
	Bytes            int64
}

func (s *Summary) add(b *Buffer) {
	st := &b.Program.Stats
	s.Buffers++
	if b.Boot.Layout.String() == "A" {
		s.LayoutA++
	} else {
		s.LayoutB++
	}
	s.Records += int64(st.Records)
	s.Callbacks += int64(st.Callbacks)
	s.Drops += int64(st.Drops)
	s.Lost += int64(st.Lost)
	s.Torn += btoi(st.Torn)
	s.Saturated += btoi(st.Saturated)
	s.Full += btoi(st.Full)
	s.Bytes += int64(len(b.Program.Bytes))
}

// merge adds another boot's counts.
func (s *Summary) merge(o *Summary) {
	s.Boots += o.Boots
	s.Buffers += o.Buffers
	s.HiddenBoots += o.HiddenBoots
	s.LayoutA += o.LayoutA
	s.LayoutB += o.LayoutB
	s.Records += o.Records
	s.Callbacks += o.Callbacks
	s.Drops += o.Drops
	s.Lost += o.Lost
	s.Torn += o.Torn
	s.Saturated += o.Saturated
	s.Full += o.Full
	s.Bytes += o.Bytes
}

// WriteCampaign writes the campaign under dir, byte for byte the same for
// the same Config:
//
//	dir/System.map
//	dir/btf/vmlinux, dir/btf/MODULE        the kernel's BTF, as /sys/kernel/btf holds it
//	dir/arm=A/trial=T/boot=B/kallsyms
//	dir/arm=A/trial=T/boot=B/manifest.jsonl
//	dir/arm=A/trial=T/boot=B/prog-000001.kcdf
//
// Boots are independent, so they are written in parallel, one per
// core. Existing files of the same names are replaced.
func WriteCampaign(dir string, cfg Config) (Summary, error) {
	sum := Summary{Dir: dir}
	c, err := NewCampaign(cfg)
	if err != nil {
		return sum, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return sum, err
	}
	if err := os.WriteFile(filepath.Join(dir, "System.map"), c.k.SystemMap(), 0o644); err != nil {
		return sum, err
	}
	if err := writeBTF(filepath.Join(dir, "btf"), c.k); err != nil {
		return sum, err
	}
	boots := c.Boots()
	sums := make([]Summary, len(boots))
	errs := make([]error, len(boots))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(boots)) {
		wg.Go(func() {
			for i := range next {
				errs[i] = c.writeBoot(dir, &boots[i], &sums[i])
			}
		})
	}
	for i := range boots {
		next <- i
	}
	close(next)
	wg.Wait()
	for i := range boots {
		if errs[i] != nil {
			return sum, fmt.Errorf("synth: %s: %w", boots[i].Dir, errs[i])
		}
		sum.merge(&sums[i])
	}
	return sum, nil
}

// writeBTF writes the kernel's BTF into dir as /sys/kernel/btf lays it
// out: vmlinux, and one split BTF file per module.
func writeBTF(dir string, k *Kernel) error {
	vmlinux, modules, err := k.BTF()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "vmlinux"), vmlinux, 0o644); err != nil {
		return err
	}
	for name, data := range modules {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (c *Campaign) writeBoot(dir string, br *BootRun, sum *Summary) error {
	bdir := filepath.Join(dir, filepath.FromSlash(br.Dir))
	if err := os.MkdirAll(bdir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(bdir, "kallsyms"), br.Booted.Kallsyms(br.Hidden), 0o644); err != nil {
		return err
	}
	mf, err := os.Create(filepath.Join(bdir, "manifest.jsonl"))
	if err != nil {
		return err
	}
	defer mf.Close()
	bw := bufio.NewWriter(mf)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	err = c.RunBoot(br, false, func(b *Buffer) error {
		sum.add(b)
		if err := os.WriteFile(filepath.Join(bdir, b.File), b.Program.Bytes, 0o644); err != nil {
			return err
		}
		return enc.Encode(&b.Manifest)
	})
	if err != nil {
		return err
	}
	sum.Boots++
	sum.HiddenBoots += btoi(br.Hidden)
	if err := bw.Flush(); err != nil {
		return err
	}
	return mf.Close()
}
