package synth

import (
	"fmt"
	"strings"
)

// A syscall's own cost without tracing, in ns, before noise.
var syscallNS = map[string]float64{
	"write": 1800, "read": 1500, "close": 700, "ioctl": 1200, "openat": 4200,
	"sendmsg": 6500, "getpid": 250, "rt_sigqueueinfo": 1600, "perf_event_open": 9000,
}

// syscall runs one top-level syscall drawn by weight, then, half the
// time, the exit path's fpregs check.
func (e *executor) syscall() {
	fid := e.pickRoot()
	f := &e.k.Funcs[fid]
	var regs [6]uint64
	for i, g := range f.sysArgs {
		regs[i] = draw(e.rng, g.dom)
		if g.kind == genConst {
			regs[i] = g.c
		}
	}
	e.textLine(f, regs[:len(f.sysArgs)])
	e.baseline += syscallNS[f.Syscall] * (0.75 + 0.5*e.rng.Float64())
	if e.nsys == e.tearSys {
		e.tearIn = 1 + e.rng.IntN(48)
	}
	e.nsys++
	e.callWith(fid, regs[:])
	if e.rng.IntN(2) == 0 {
		e.call(e.k.fid.fpregs)
	}
}

func (e *executor) pickRoot() int {
	r := e.rng.IntN(e.k.rootWeight)
	for _, fid := range e.k.roots {
		if r -= e.k.Funcs[fid].weight; r < 0 {
			return fid
		}
	}
	return e.k.roots[len(e.k.roots)-1]
}

// textLine adds the syscall to the program's syzkaller-like text.
func (e *executor) textLine(f *Func, args []uint64) {
	if len(e.text) >= maxTextLines {
		return
	}
	var b strings.Builder
	name := f.Syscall
	switch name {
	case "ioctl":
		name += "$" + ioctlName(args[1])
	case "openat":
		fmt.Fprintf(&b, "r%d = ", e.res)
		e.res++
	}
	b.WriteString(name)
	b.WriteByte('(')
	for i, g := range f.sysArgs {
		if i > 0 {
			b.WriteString(", ")
		}
		if g.dom == domUptr {
			fmt.Fprintf(&b, "&(0x7f0000%06x)", args[i]-0x20000000)
		} else {
			fmt.Fprintf(&b, "0x%x", args[i])
		}
	}
	b.WriteByte(')')
	e.text = append(e.text, b.String())
}

func ioctlName(cmd uint64) string {
	for _, c := range ioctlCmds {
		if c.cmd == cmd {
			return c.name
		}
	}
	return fmt.Sprintf("%x", cmd)
}

// finish dumps the buffer and completes the accounting and the truth.
func (e *executor) finish() *Program {
	p := &Program{Bytes: e.w.Bytes(e.cfg.Full), BaselineNS: int64(20000 + e.baseline)}
	text := strings.Join(e.text, "\n")
	if more := e.nsys - len(e.text); more > 0 {
		text += fmt.Sprintf("\n# %d more calls", more)
	}
	p.Text = text
	s := &e.stats
	s.Words, s.Full, s.FileWords = e.w.Words(), e.cfg.Full, len(p.Bytes)/8
	if s.Full {
		for _, v := range e.w.area[1+s.Words:] {
			if v != 0 {
				s.StaleWords++
			}
		}
	}
	s.Saturated = s.Records > 0 && s.Capacity-1-s.Words < s.MaxRecordWords
	p.Stats = *s
	if e.t != nil {
		for i := range e.t.Segments {
			end := len(e.t.Records)
			if i+1 < len(e.t.Segments) {
				end = e.t.Segments[i+1].First
			}
			e.t.Segments[i].End = end
		}
		e.t.Stats = *s
		e.t.finish()
		p.Truth = e.t
	}
	return p
}
