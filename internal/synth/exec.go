package synth

import "github.com/kdf-tools/kdf/ingest"

// call runs function fid as a callee of the top frame: entry hooks, body,
// return hook. It returns the return value and how the call failed: an
// errno, -1 for a NULL pointer return, 0 for success.
func (e *executor) call(fid int) (uint64, int) { return e.callWith(fid, nil) }

// callWith is call with the fields of a syscall's pt_regs argument.
func (e *executor) callWith(fid int, regs []uint64) (uint64, int) {
	if e.stop || !e.on || e.depth >= maxDepth {
		return 0, 0
	}
	f := &e.k.Funcs[fid]
	fr := e.push(fid, regs, true)
	e.decide(fr, f)
	e.entry(fr, f)
	e.body(fr, f)
	if f.NoReturn {
		e.on = false // the task is gone: kcov_dataflow_task_exit
	}
	ret := e.retValue(fr, f)
	e.retHook(fr, f, ret)
	failed := fr.fail
	if fr.null {
		failed = -1
	}
	e.pop(fr, ret)
	return ret, failed
}

func (e *executor) top() *frame {
	if e.depth == 0 {
		return nil
	}
	return &e.frames[e.depth-1]
}

// push opens a frame and draws the arguments; regs, if given, are the
// fields of a syscall's pt_regs argument.
func (e *executor) push(fid int, regs []uint64, entered bool) *frame {
	parent := e.top()
	fr := &e.frames[e.depth]
	e.depth++
	// Set field by field: zeroing the whole frame costs more than a call.
	fr.fid, fr.call, fr.stack = fid, -1, draw(e.rng, domStack)&^0xff
	fr.last, fr.hasLast, fr.fail, fr.null = 0, false, 0, false
	f := &e.k.Funcs[fid]
	for i := range f.Args {
		e.genArg(fr, parent, f, i)
	}
	copy(fr.fields[0][:], regs)
	e.stats.Calls++
	if e.t != nil {
		pc := -1
		if parent != nil {
			pc = parent.call
		}
		fr.call = e.t.openCall(Call{Func: fid, Parent: pc, Depth: e.depth - 1, Segment: e.seg,
			First: len(e.t.Records), Entered: entered}, fr.vals[:len(f.Args)])
	}
	return fr
}

func (e *executor) pop(fr *frame, ret uint64) {
	if e.t != nil {
		f := &e.k.Funcs[fr.fid]
		c := &e.t.Calls[fr.call]
		c.End, c.Exited = len(e.t.Records), e.on && !e.stop
		if c.Exited && !f.Ret.Void {
			c.Ret = ret
			if f.Ret.Signed {
				c.Errno = errnoOf(ret, retSize(f))
			}
		}
	}
	e.depth--
}

func retSize(f *Func) int {
	if f.Ret.Kind == StructPtr {
		return 8
	}
	return f.Ret.Size
}

// genArg draws argument i: from the caller's arguments where the catalog
// says so, else from its domain; struct pointers may be ERR_PTR or NULL.
func (e *executor) genArg(fr, parent *frame, f *Func, i int) {
	a := &f.Args[i]
	if a.Kind == Scalar {
		fr.vals[i] = e.value(a.gen, parent) & sizeMask(uint32(a.Size))
		return
	}
	if e.inherit(fr, parent, a, i) {
		return
	}
	ptr := e.value(a.gen, parent)
	for j := range a.Struct.Fields {
		fld := &a.Struct.Fields[j]
		fr.fields[i][j] = e.value(fld.gen, parent) & sizeMask(uint32(fld.Size))
	}
	switch {
	case a.Kind == StructByValue:
		ptr = fr.stack + 0x40 + 0x20*uint64(i) // its stack copy
	case a.Kind == StructPtr && !e.quiet:
		ptr = e.maybeFault(ptr)
	}
	fr.vals[i] = ptr
}

// inherit passes the caller's struct argument on, fields and all.
func (e *executor) inherit(fr, parent *frame, a *Arg, i int) bool {
	g := a.gen
	if g.kind != genArg || parent == nil {
		return false
	}
	pa := e.k.Funcs[parent.fid].Args
	if int(g.n) >= len(pa) || pa[g.n].Struct != a.Struct {
		return false
	}
	fr.vals[i] = parent.vals[g.n]
	fr.fields[i] = parent.fields[g.n]
	return true
}

func (e *executor) maybeFault(ptr uint64) uint64 {
	r := e.rng.Float64()
	switch {
	case r < e.cfg.FaultRate:
		return errPtr([]int{14, 12, 22}[e.rng.IntN(3)])
	case r < 1.5*e.cfg.FaultRate:
		return 0
	}
	return ptr
}

func (e *executor) value(g valueGen, parent *frame) uint64 {
	switch g.kind {
	case genConst:
		return g.c
	case genLocal:
		if parent != nil {
			return parent.stack + 0x80
		}
		return draw(e.rng, domStack)
	case genArg:
		if parent != nil && int(g.n) < len(e.k.Funcs[parent.fid].Args) {
			return parent.vals[g.n]
		}
	case genField:
		if parent != nil && int(g.n) < len(e.k.Funcs[parent.fid].Args) {
			if st := e.k.Funcs[parent.fid].Args[g.n].Struct; st != nil && int(g.m) < len(st.Fields) {
				return parent.fields[g.n][g.m]
			}
		}
	}
	return draw(e.rng, g.dom)
}

// decide whether the call fails; the catalog says how it can.
func (e *executor) decide(fr *frame, f *Func) {
	if e.quiet {
		return
	}
	if len(f.Errnos) > 0 && e.rng.Float64() < e.cfg.ErrorRate {
		fr.fail = f.Errnos[e.rng.IntN(len(f.Errnos))]
	} else if f.MayReturnNull && e.rng.Float64() < e.cfg.ErrorRate/2 {
		fr.null = true
	}
}

// body runs the callees and comparisons; a failing call stops early.
func (e *executor) body(fr *frame, f *Func) {
	cut := len(f.edges)
	if fr.fail != 0 || fr.null {
		cut = e.rng.IntN(len(f.edges) + 1)
	}
	ci := 0
	for j := 0; j <= len(f.edges); j++ {
		for ; ci < len(f.cmps) && f.cmps[ci].pos == j; ci++ {
			e.compare(fr, &f.cmps[ci])
		}
		if j >= cut || e.stop || !e.on || e.edge(fr, f, &f.edges[j]) {
			return
		}
	}
}

// edge makes the calls of one callee slot. It returns true when the body
// must stop: a callee failed and the caller passes the failure on.
func (e *executor) edge(fr *frame, f *Func, ed *edge) bool {
	n := ed.min
	switch {
	case ed.maybe:
		n = 0
		if e.rng.Float64() < 0.5*e.cfg.CallScale {
			n = 1
		}
	case ed.max > ed.min:
		n += e.rng.IntN(ed.max - ed.min + 1)
	}
	to := ed.to[0]
	if len(ed.to) > 1 {
		to = ed.to[e.rng.IntN(len(ed.to))]
	}
	for range n {
		if to == fr.fid && e.recursion(to) >= f.MaxRecursion {
			return false
		}
		ret, failed := e.call(to)
		if !e.k.Funcs[to].Ret.Void {
			fr.last, fr.hasLast = ret, true
		}
		if failed != 0 && (len(f.Errnos) > 0 || f.Ret.gen.kind == genChild) {
			fr.fail = failed
			if failed < 0 {
				fr.fail = 12 // ENOMEM, unless the caller names its own
				if len(f.Errnos) > 0 {
					fr.fail = f.Errnos[0]
				}
			}
			return true
		}
		if e.stop || !e.on {
			return true
		}
	}
	return false
}

func (e *executor) recursion(fid int) int {
	n := 0
	for i := range e.depth {
		if e.frames[i].fid == fid {
			n++
		}
	}
	return n
}

func (e *executor) retValue(fr *frame, f *Func) uint64 {
	if f.Ret.Void {
		return 0
	}
	size := retSize(f)
	m := sizeMask(uint32(size))
	switch g := f.Ret.gen; {
	case fr.fail > 0:
		return errnoValue(fr.fail, size)
	case fr.null:
		return 0
	case g.kind == genSum:
		return e.sum(fr, f) & m
	case g.kind == genChild && fr.hasLast:
		return fr.last & m
	case g.kind == genArg && int(g.n) < len(f.Args):
		return fr.vals[g.n] & m
	case g.kind == genChild || g.kind == genArg:
		return draw(e.rng, g.dom) & m
	default:
		return e.value(g, nil) & m
	}
}

func (e *executor) sum(fr *frame, f *Func) uint64 {
	var s uint64
	for i, a := range f.Args {
		if a.Kind == Scalar {
			s += fr.vals[i]
			continue
		}
		for j := range a.Struct.Fields {
			s += fr.fields[i][j]
		}
	}
	return s
}

func (e *executor) pcEntry(fid int) uint64 {
	if e.k.Opts.PCInside && e.w.layout == ingest.LayoutB {
		return e.addr[fid] + e.k.Funcs[fid].entryOff
	}
	return e.addr[fid]
}

func (e *executor) pcRet(fid int) uint64 {
	if e.k.Opts.PCInside && e.w.layout == ingest.LayoutB {
		return e.addr[fid] + e.k.Funcs[fid].retOff
	}
	return e.addr[fid]
}
