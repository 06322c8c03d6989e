package synth

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/kdf-tools/kdf/ingest"
)

// ProgramConfig says how to run one program.
type ProgramConfig struct {
	Seed uint64
	// Syscalls is the number of top-level syscalls (at least 1).
	Syscalls int
	// Callbacks, if above what Syscalls run, keeps adding syscalls until
	// about this many hooks ran (see executor.more).
	Callbacks int
	// Compare makes layout B write compare records in function bodies.
	Compare bool
	// ForkProb is the chance, per syscall, that the program forks: the
	// parent disables, a child re-enables on the inherited fd (a new
	// segment), runs up to 3 syscalls and exits, the parent re-enables.
	ForkProb float64
	// Tear dumps the buffer while recording: the program stops at a
	// random hook whose record is counted but not written.
	Tear bool
	// ResetAfterEnable: user space writes area[0] = 0 after ENABLE, so
	// the ENABLE ioctl's own records are lost and the first sequence
	// number seen is above 1. Otherwise it resets before ENABLE.
	ResetAfterEnable bool
	// Full dumps the whole mapping instead of 1+area[0] words.
	Full bool
	// ErrorRate is the chance that a function able to fail does;
	// FaultRate the chance that a struct pointer argument is an ERR_PTR
	// (and half that, NULL).
	ErrorRate, FaultRate float64
	// CallScale multiplies the chance of optional calls (1 if 0).
	CallScale float64
	// Truth keeps the full truth; the accounting is always kept.
	Truth bool
}

// Program is one executed program: its text, its dump and what is known
// about it.
type Program struct {
	Text       string // syzkaller-like
	Bytes      []byte // the dump
	Stats      Stats
	Truth      *Truth // nil unless ProgramConfig.Truth
	BaselineNS int64  // run time without tracing
}

const maxTextLines = 64

// RunProgram runs a program on a boot, writing through w (whose KASLR
// offset it sets to the boot's). The writer's area is not cleared first:
// words of earlier programs stay as stale data, as in an executor that
// keeps its mapping.
func RunProgram(b *Boot, w *Writer, cfg ProgramConfig) (*Program, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	w.SetKASLROffset(b.kaslr)
	e := &executor{k: b.k, w: w, cfg: cfg, addr: b.addr, tearSys: -1, seg: -1,
		rng: rand.New(rand.NewPCG(cfg.Seed, mix(cfg.Seed, 0x70726f67)))}
	e.cmp = cfg.Compare && w.layout == ingest.LayoutB
	e.stats.Layout, e.stats.Capacity, e.segSeen = w.layout, w.Capacity(), -1
	if cfg.Truth {
		e.t = &Truth{Layout: w.layout, Capacity: w.Capacity()}
	}
	if cfg.CallScale == 0 {
		e.cfg.CallScale = 1
	}
	e.start()
	for i := 0; e.more(i); i++ {
		before := e.stats.Callbacks
		if i > 0 && e.rng.Float64() < cfg.ForkProb {
			e.fork()
		} else {
			e.syscall()
		}
		hooks := float64(e.stats.Callbacks - before)
		e.sysHooks += hooks
		e.sysHooksSq += hooks * hooks
	}
	if !e.stop {
		e.disable()
	}
	return e.finish(), nil
}

// more says whether the program runs another syscall: Syscalls of
// them, then more while the hooks so far fall short of Callbacks. The
// last one runs to its end, so that stopping point is drawn earlier by
// the syscalls' mean overshoot, E[S²]/2E[S] for syscalls of S hooks (a
// renewal process's), taken from those run so far: programs then hold
// about Callbacks hooks, not half a syscall more.
func (e *executor) more(i int) bool {
	short := float64(e.cfg.Callbacks - e.stats.Callbacks)
	switch {
	case e.stop:
		return false
	case i < e.cfg.Syscalls:
		return true
	case e.sysHooks == 0:
		return short > 0
	}
	return short > e.sysHooksSq/(2*e.sysHooks)
}

func (c *ProgramConfig) check() error {
	switch {
	case c.Syscalls < 1:
		return errors.New("synth: a program needs at least one syscall")
	case c.ErrorRate < 0 || c.ErrorRate > 1 || c.FaultRate < 0 || c.FaultRate > 1:
		return fmt.Errorf("synth: error rate %v or fault rate %v outside [0, 1]", c.ErrorRate, c.FaultRate)
	case c.ForkProb < 0 || c.ForkProb > 1 || c.CallScale < 0:
		return fmt.Errorf("synth: fork probability %v or call scale %v out of range", c.ForkProb, c.CallScale)
	}
	return nil
}

// start opens the first segment the way capture tools do: zero the
// counter, then ENABLE, or ENABLE, then zero it.
func (e *executor) start() {
	if e.cfg.Tear {
		e.tearSys = e.rng.IntN(e.cfg.Syscalls)
	}
	e.kcovFD = 3 + uint64(e.rng.IntN(3))
	if e.cfg.ResetAfterEnable {
		e.enable(0)
		e.lost = true
		e.prelude()
		e.lost = false
		e.w.ResetCounter()
		return
	}
	e.w.ResetCounter()
	e.enable(0)
	e.prelude()
}

func (e *executor) enable(task int) {
	e.w.Enable()
	e.on, e.task = true, task
	e.seg++
	if e.t != nil {
		e.t.Segments = append(e.t.Segments, Segment{Task: task, First: len(e.t.Records)})
	}
}

// prelude is the ENABLE ioctl returning: recording starts inside it, so
// its RET has no ENTRY, then the syscall exit path runs.
func (e *executor) prelude() {
	e.quiet = true
	regs := []uint64{e.kcovFD, 0x6464, 0} // KCOV_DF_ENABLE
	fr := e.push(e.k.fid.ioctl, regs, false)
	e.retHook(fr, &e.k.Funcs[e.k.fid.ioctl], 0)
	e.pop(fr, 0)
	e.call(e.k.fid.fpregs)
	e.quiet = false
}

// disable is the DISABLE ioctl: its entries and the calls before the
// driver are recorded, then recording stops inside it.
func (e *executor) disable() {
	e.quiet = true
	f := &e.k.Funcs[e.k.fid.ioctl]
	fr := e.push(e.k.fid.ioctl, []uint64{e.kcovFD, 0x6465, 0}, true) // KCOV_DF_DISABLE
	e.entry(fr, f)
	e.call(e.k.fid.secIoctl)
	e.call(e.k.fid.doVfsIoctl)
	e.on = false
	e.pop(fr, 0)
	e.quiet = false
}

// fork runs a child in its own segments of the same buffer.
func (e *executor) fork() {
	e.quiet = true
	e.root(e.k.fid.clone, []uint64{0x1200011}) // CLONE_CHILD_*TID | SIGCHLD
	e.quiet = false
	e.baseline += 45000
	if e.stop {
		return
	}
	e.disable()
	e.kids++
	e.enable(e.kids)
	e.prelude()
	for range 1 + e.rng.IntN(3) {
		if e.stop {
			return
		}
		e.syscall()
	}
	e.quiet = true
	e.root(e.k.fid.exitGroup, []uint64{0}) // never returns: recording stops
	e.quiet = false
	if !e.stop {
		e.enable(0)
		e.prelude()
	}
}

// root runs a top-level call with the given syscall arguments.
func (e *executor) root(fid int, args []uint64) {
	var regs [6]uint64
	copy(regs[:], args)
	e.callWith(fid, regs[:])
}
