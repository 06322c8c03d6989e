package synth

import "github.com/kdf-tools/kdf/ingest"

// entry runs a call's entry hooks: the pre-entry RET if the function
// shows one, then one ENTRY hook per argument, in order.
func (e *executor) entry(fr *frame, f *Func) {
	if f.PreEntryRet && !f.Ret.Void {
		e.preRet(fr, f)
	}
	for i := range f.Args {
		e.entryHook(fr, f, i)
	}
}

// preRet writes the RET record seen before some functions' ENTRY
// records: mostly 0, sometimes a stale word, sized like the return.
func (e *executor) preRet(fr *frame, f *Func) {
	v := uint64(0)
	if e.rng.IntN(4) == 0 {
		v = e.rng.Uint64() & 0xfffff80
	}
	e.ops[0] = v
	e.cb = Callback{Kind: ingest.KindRet, PC: e.pcRet(fr.fid), Size: uint32(retSize(f)),
		Ptr: fr.stack - 8, Mem: e.ops[:1]}
	if idx := e.emit(fr, true); idx >= 0 {
		e.t.Calls[fr.call].PreRet = idx
	}
}

func (e *executor) entryHook(fr *frame, f *Func, i int) {
	a := &f.Args[i]
	cb := &e.cb
	*cb = Callback{Kind: ingest.KindEntry, PC: e.pcEntry(fr.fid), ArgIdx: uint32(i),
		Size: uint32(a.Size), OptimizedOut: a.OptimizedOut}
	switch {
	case a.Kind == Scalar:
		cb.Ptr, cb.Mem = fr.stack+8*uint64(i), fr.vals[i:i+1]
	case a.Kind == StructByValue && e.w.layout == ingest.LayoutB:
		e.byValueB(fr, a, i)
		return
	default:
		n := len(a.Struct.Fields)
		cb.Ptr, cb.Fields, cb.Mem = fr.vals[i], a.Struct.sizes, fr.fields[i][:n]
		cb.Unreadable = a.Kind == UserStructPtr
	}
	e.entryDone(fr, e.emit(fr, false))
}

func (e *executor) entryDone(fr *frame, idx int) {
	if e.t != nil && idx != noHook {
		e.t.addEntry(fr.call, idx)
	}
}

// byValueB writes a struct passed by value as layout B sees it: one
// 8-byte scalar ENTRY per register, all with the argument's index.
func (e *executor) byValueB(fr *frame, a *Arg, i int) {
	n := (a.Size + 7) / 8
	regs := e.retFields[:n]
	clear(regs)
	for j, fld := range a.Struct.Fields {
		v := fr.fields[i][j] & sizeMask(uint32(fld.Size))
		regs[fld.Offset/8] |= v << (8 * uint(fld.Offset%8))
	}
	for r := range n {
		e.ops[0] = regs[r]
		e.cb = Callback{Kind: ingest.KindEntry, PC: e.pcEntry(fr.fid), ArgIdx: uint32(i), Size: 8,
			Mem: e.ops[:1], OptimizedOut: a.OptimizedOut}
		e.entryDone(fr, e.emit(fr, false))
	}
}

// retHook writes the RET record: the scalar through its stack slot, or
// the returned struct pointer's fields.
func (e *executor) retHook(fr *frame, f *Func, v uint64) {
	if f.Ret.Void {
		return
	}
	cb := &e.cb
	*cb = Callback{Kind: ingest.KindRet, PC: e.pcRet(fr.fid), Size: uint32(f.Ret.Size)}
	if st := f.Ret.Struct; st != nil {
		for j := range st.Fields {
			fld := &st.Fields[j]
			e.retFields[j] = e.value(fld.gen, nil) & sizeMask(uint32(fld.Size))
		}
		cb.Ptr, cb.Fields, cb.Mem = v, st.sizes, e.retFields[:len(st.Fields)]
	} else {
		e.ops[0] = v
		cb.Ptr, cb.Mem = fr.stack-8, e.ops[:1]
	}
	if idx := e.emit(fr, false); idx >= 0 {
		e.t.Calls[fr.call].RetRecord = idx
	}
}

// compare writes a comparison site's records (layout B with compares
// on); a site in a loop runs several times.
func (e *executor) compare(fr *frame, s *cmpSite) {
	if !e.cmp {
		return
	}
	iters := 1
	if s.iters > 1 {
		iters = 1 + e.rng.IntN(s.iters)
	}
	for it := range iters {
		a, b := uint64(it), s.c
		if s.arg >= 0 {
			a = fr.vals[s.arg]
		}
		if !s.isConst {
			b = draw(e.rng, domSmall)
		}
		e.ops = [2]uint64{a, b}
		e.cb = Callback{Kind: ingest.KindCmp, PC: e.addr[fr.fid] + s.off, Size: s.size,
			Mem: e.ops[:2], Const: s.isConst}
		e.emit(fr, false)
	}
}
