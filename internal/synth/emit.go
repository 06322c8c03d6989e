package synth

import (
	"math/rand/v2"

	"github.com/kdf-tools/kdf/ingest"
)

const (
	maxArgs   = 8
	maxFields = 24
	maxDepth  = 48

	noHook = -2 // emit: recording was off, the hook did nothing
)

// frame is one active call.
type frame struct {
	fid     int
	call    int // Truth.Calls index, -1 without truth
	vals    [maxArgs]uint64
	fields  [maxArgs][maxFields]uint64
	stack   uint64 // the frame's stack address: argument slots, locals
	last    uint64 // the last value-returning callee's return
	hasLast bool
	fail    int  // errno this call fails with, 0 if none
	null    bool // a pointer return comes back NULL
}

// executor runs one program against a Writer, keeping the accounting and,
// when asked, the truth.
type executor struct {
	k      *Kernel
	w      *Writer
	cfg    ProgramConfig
	rng    *rand.Rand
	addr   []uint64 // runtime start of every function in this boot
	frames [maxDepth]frame
	depth  int

	cb        Callback
	enc       [ingest.RecordFixed + maxFields]uint64
	retFields [maxFields]uint64
	ops       [2]uint64

	stats Stats
	t     *Truth
	seg   int  // current segment
	task  int  // 0 the program's task, n the n-th child
	kids  int  // children forked so far
	on    bool // recording is enabled for the running task
	lost  bool // records go before a counter reset: they will be lost
	stop  bool // the dump was taken
	quiet bool // executor-internal syscalls: no injected errors or faults
	cmp   bool // compare hooks write records (layout B, Compare on)

	tearSys, tearIn int // the syscall and hook countdown of the tear
	segSeen         int // last segment with a visible record
	kcovFD          uint64
	nsys, res       int // syscalls run, resources (fds) opened
	text            []string
	baseline        float64
	// Sums of the hooks, and of their squares, of the syscalls run.
	sysHooks, sysHooksSq float64
}

// emit runs the hook described by e.cb for frame fr. It returns the
// record's index in the truth's Records, -1 if the record is not visible
// (dropped, lost, torn, or no truth kept), or noHook if recording was off.
func (e *executor) emit(fr *frame, pre bool) int {
	if !e.on || e.stop {
		return noHook
	}
	cb := &e.cb
	e.stats.Callbacks++
	words := e.w.RecordWords(cb)
	if e.tearIn > 0 {
		if e.tearIn--; e.tearIn == 0 && e.tear(fr, words, pre) {
			return -1
		}
	}
	start := 1 + e.w.Words()
	if !e.w.Write(cb) {
		e.dropped(fr, words, pre)
		return -1
	}
	written := e.w.area[start : start+words]
	if e.lost {
		e.stats.Lost++
		if e.t != nil {
			e.t.Segments[e.seg].Lost++
			e.t.addRecord(&e.t.Lost, e.record(fr, start, words, pre, written), written)
		}
		return -1
	}
	e.count(words, pre)
	if e.t == nil {
		return -1
	}
	return e.t.addRecord(&e.t.Records, e.record(fr, start, words, pre, written), written)
}

// count updates the accounting for a visible record.
func (e *executor) count(words int, pre bool) {
	s := &e.stats
	s.Records++
	switch {
	case pre:
		s.PreRets++
	case e.cb.Kind == ingest.KindEntry:
		s.Entries++
	case e.cb.Kind == ingest.KindRet:
		s.Rets++
	default:
		s.Cmps++
	}
	if e.segSeen != e.seg {
		s.Segments++
		e.segSeen = e.seg
	}
	seq := e.w.Seq() & seqMask
	if s.Records == 1 {
		s.FirstSeq = seq
	}
	s.LastSeq = seq
	s.MaxRecordWords = max(s.MaxRecordWords, words)
	if e.isFault() {
		s.Faults++
	}
	if e.w.layout == ingest.LayoutA && words-ingest.RecordFixed >= 16 {
		s.CorruptHeaders++
	}
}

func (e *executor) dropped(fr *frame, words int, pre bool) {
	if e.lost {
		e.stats.Lost++
	} else {
		e.stats.Drops++
		e.stats.DroppedWords += words
	}
	if e.t == nil {
		return
	}
	enc := e.enc[:words]
	e.w.encode(enc, &e.cb, words-ingest.RecordFixed, 0)
	r := e.record(fr, -1, words, pre, enc)
	r.Header, r.Seq = 0, 0
	if e.lost {
		e.t.Segments[e.seg].Lost++
		e.t.addRecord(&e.t.Lost, r, enc)
		return
	}
	e.t.addRecord(&e.t.Dropped, r, enc)
}

// tear takes the dump while this hook is between its counter update and
// its stores. It returns false, and retries on the next hook, if the
// record would not have fit.
func (e *executor) tear(fr *frame, words int, pre bool) bool {
	start := 1 + e.w.Words()
	if !e.w.Tear(words - ingest.RecordFixed) {
		e.tearIn = 1
		return false
	}
	e.stop, e.stats.Torn = true, true
	if e.t != nil {
		enc := e.enc[:words]
		e.w.encode(enc, &e.cb, words-ingest.RecordFixed, e.w.Seq())
		e.t.addRecord(&e.t.torn, e.record(fr, start, words, pre, enc), enc)
	}
	return true
}

// record describes the hook in e.cb; w holds its words as written or
// encoded.
func (e *executor) record(fr *frame, off, words int, pre bool, w []uint64) Record {
	cb := &e.cb
	r := Record{
		Offset: off, Words: words, Kind: cb.Kind, Header: w[0], PC: w[1], Word2: w[2],
		Seq: uint32(w[0] & seqMask), Func: fr.fid, Call: fr.call, Segment: e.seg,
		PreEntry: pre, Fault: e.isFault(), OptimizedOut: cb.OptimizedOut,
	}
	if e.w.layout == ingest.LayoutA {
		r.ArgIdx, r.Size, r.Ptr = uint8(w[2]>>56), uint8(w[2]>>48), cb.Ptr
		r.CorruptHeader = words-ingest.RecordFixed >= 16
		if cb.OptimizedOut {
			r.Ptr = 0
		}
	} else {
		r.ArgIdx, r.Size = uint8(w[0]>>56), uint8(w[0]>>48)
		if len(cb.Fields) > 0 && !cb.OptimizedOut {
			r.Ptr = cb.Ptr
		}
	}
	r.Unreadable = e.isUnreadable(r.Ptr)
	return r
}

func (e *executor) isFault() bool {
	cb := &e.cb
	return len(cb.Fields) > 0 && !cb.OptimizedOut && cb.Ptr >= errPtrMin
}

// isUnreadable says whether the values read as 0 because the read
// faulted silently.
func (e *executor) isUnreadable(ptr uint64) bool {
	cb := &e.cb
	switch {
	case cb.Kind == ingest.KindCmp:
		return false
	case len(cb.Fields) > 0:
		return ptr < errPtrMin && (ptr == 0 || cb.Unreadable)
	case e.w.layout == ingest.LayoutA:
		return ptr == 0 || ptr >= errPtrMin || cb.Unreadable
	}
	return false
}
