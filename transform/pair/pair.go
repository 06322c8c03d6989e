package pair

import "github.com/kdf-tools/kdf/ingest"

// Status says how a call's records were found.
type Status uint8

const (
	Complete  Status = iota // entry and return recorded
	NoReturn                // entry recorded, an outer return closed it
	NoEntry                 // return recorded, no entry (no arguments)
	Truncated               // still open when its segment ended
)

var statusNames = [...]string{"complete", "no_return", "no_entry", "truncated"}

func (s Status) String() string { return statusNames[s] }

// Statuses lists every status, in order.
var Statuses = []Status{Complete, NoReturn, NoEntry, Truncated}

// Value is one recorded argument or return value.
type Value struct {
	Record int64 // index of its record in the buffer
	Idx    uint8 // argument index; 0 for returns
	Size   uint8
	Addr   uint64
	Values []uint64 // the scalar, or one word per struct field
}

// Call is one rebuilt call.
type Call struct {
	ID      int64 // 0-based, in the order of the calls' first records
	Parent  int64 // -1 at the top of a segment
	Depth   int32
	Segment int32
	PC      uint64
	Status  Status
	Args    []Value
	Ret     *Value
	// First and Last are the indices of the first and last record
	// inside the call, nested calls' records included.
	First, Last int64

	// A lent call's own memory, reused when it comes back.
	args  []Value
	words []uint64
	ret   Value
}

// Records is the number of records inside the call.
func (c *Call) Records() int64 { return c.Last - c.First + 1 }

// Link ties a record to the call it belongs to: its own call for an
// ENTRY or RET, the call it precedes for a pre-entry RET, the innermost
// open call for a compare (-1 if none).
type Link struct {
	Record int64
	Call   int64
	PreRet bool
}

// Stats counts what pairing found.
type Stats struct {
	Calls    [len(statusNames)]int64
	PreRets  int64
	MaxDepth int32
}

// Pairer pairs the records of one buffer, in order.
type Pairer struct {
	onCall func(*Call)
	onLink func(Link)

	stack    []*Call
	gather   *Call // the call the previous record added an argument to
	pending  ingest.Record
	pendIdx  int64
	havePend bool
	segment  int32
	lastIdx  int64
	nextID   int64
	stats    Stats
	slab     slab
	// lend makes onCall's call valid only until onCall returns; free
	// holds the calls handed back, reused with their memory.
	lend    bool
	free    []*Call
	pendBuf []uint64 // the pending record's words
}

// slab hands out calls, values and value words from blocks, one
// allocation for hundreds of them: a call costs about nine allocations
// made one by one (the call, its arguments, each argument's words, its
// return), and the garbage collector's time with them. A block stays
// alive while any call cut from it does, which is the caller's to keep.
type slab struct {
	calls []Call
	vals  []Value
	words []uint64
}

const slabLen = 512

func (s *slab) call() *Call {
	if len(s.calls) == cap(s.calls) {
		s.calls = make([]Call, 0, slabLen)
	}
	s.calls = s.calls[:len(s.calls)+1]
	return &s.calls[len(s.calls)-1]
}

// values returns an empty slice of Values with room for n.
func (s *slab) values(n int) []Value {
	if cap(s.vals)-len(s.vals) < n {
		s.vals = make([]Value, 0, max(slabLen, n))
	}
	i := len(s.vals)
	s.vals = s.vals[:i+n]
	return s.vals[i : i : i+n]
}

func (s *slab) copyWords(w []uint64) []uint64 {
	if cap(s.words)-len(s.words) < len(w) {
		s.words = make([]uint64, 0, max(4*slabLen, len(w)))
	}
	i := len(s.words)
	s.words = append(s.words, w...)
	return s.words[i:len(s.words):len(s.words)]
}

// NewPairer returns a Pairer that hands each call to onCall when it
// closes and each record's link to onLink in record order; either may be
// nil. A call passed to onCall is the caller's to keep.
func NewPairer(onCall func(*Call), onLink func(Link)) *Pairer {
	return &Pairer{onCall: onCall, onLink: onLink, lastIdx: -1}
}

// Reset makes the Pairer pair a new buffer, handing its calls and links
// to the functions given. It keeps its blocks (or, lending, its calls'
// memory): a buffer of a few calls does not cost a block of hundreds.
// Calls handed out before are still the caller's, unless lent.
func (p *Pairer) Reset(onCall func(*Call), onLink func(Link)) {
	*p = Pairer{onCall: onCall, onLink: onLink, lastIdx: -1, stack: p.stack[:0], slab: p.slab,
		lend: p.lend, free: p.free, pendBuf: p.pendBuf}
}

// LendCalls makes a call handed to onCall valid only until onCall
// returns: its memory (the call, its values and their words) is reused
// for the calls that follow, instead of a garbage collector's worth of
// blocks. For callers that copy what they need of each call.
func (p *Pairer) LendCalls() { p.lend = true }

// Stats returns the counts so far; they are final after Close.
func (p *Pairer) Stats() *Stats { return &p.stats }

// Push adds the record with index idx in its buffer.
func (p *Pairer) Push(r *ingest.Record, idx int64) {
	if p.havePend {
		p.resolve(r)
	}
	if r.Segment != p.segment {
		p.closeAll()
		p.segment = r.Segment
	}
	p.lastIdx = idx
	switch r.Kind {
	case ingest.KindEntry:
		p.entry(r, idx)
		return
	case ingest.KindRet:
		if top := p.top(); top != nil && top.PC == r.PC {
			p.pop(len(p.stack)-1, r, idx)
		} else {
			// A return of another function than the innermost open
			// one: the next record tells whether it is a pre-entry
			// return.
			// Its words are copied again into whatever call takes it,
			// so one buffer serves every pending return.
			p.pending = *r
			p.pendBuf = append(p.pendBuf[:0], r.Values...)
			p.pending.Values = p.pendBuf
			p.pendIdx = idx
			p.havePend = true
		}
	case ingest.KindCmp:
		p.link(idx, p.topID(), false)
	}
	p.gather = nil
}

// Close ends the buffer: calls still open are truncated.
func (p *Pairer) Close() {
	if p.havePend {
		p.resolve(nil)
	}
	p.closeAll()
}

func (p *Pairer) entry(r *ingest.Record, idx int64) {
	if c := p.gather; c != nil && c.PC == r.PC && r.ArgIdx > c.Args[len(c.Args)-1].Idx {
		c.Args = append(c.Args, p.value(c, r, idx))
		p.link(idx, c.ID, false)
		return
	}
	c := p.open(r, idx)
	if p.lend {
		c.Args = c.args[:0]
	} else {
		c.Args = p.slab.values(argsRoom)
	}
	c.Args = append(c.Args, p.value(c, r, idx))
	p.stack = append(p.stack, c)
	p.gather = c
	p.link(idx, c.ID, false)
}

// resolve decides what the pending return was, now that next (nil at
// the end) is known.
func (p *Pairer) resolve(next *ingest.Record) {
	p.havePend = false
	r, idx := &p.pending, p.pendIdx
	open := p.innermost(r.PC)
	if open < 0 && next != nil && next.Kind == ingest.KindEntry && next.PC == r.PC && next.Segment == r.Segment {
		p.stats.PreRets++
		p.link(idx, p.nextID, true)
		return
	}
	if open >= 0 {
		p.pop(open, r, idx)
		return
	}
	c := p.open(r, idx)
	c.Status = NoEntry
	c.Ret = p.ret(c, r, idx)
	c.Last = idx
	p.link(idx, c.ID, false)
	p.emit(c)
}

// innermost returns the stack position of the innermost open call of
// pc, or -1.
func (p *Pairer) innermost(pc uint64) int {
	for i := len(p.stack) - 1; i >= 0; i-- {
		if p.stack[i].PC == pc {
			return i
		}
	}
	return -1
}

// pop completes the call at stack position i with the return r; the
// calls above it never returned.
func (p *Pairer) pop(i int, r *ingest.Record, idx int64) {
	for j := len(p.stack) - 1; j > i; j-- {
		c := p.stack[j]
		c.Status = NoReturn
		c.Last = idx - 1
		p.emit(c)
	}
	c := p.stack[i]
	c.Status = Complete
	c.Ret = p.ret(c, r, idx)
	c.Last = idx
	p.link(idx, c.ID, false)
	p.stack = p.stack[:i]
	p.emit(c)
}

func (p *Pairer) closeAll() {
	for j := len(p.stack) - 1; j >= 0; j-- {
		c := p.stack[j]
		c.Status = Truncated
		c.Last = p.lastIdx
		p.emit(c)
	}
	p.stack = p.stack[:0]
	p.gather = nil
}

// open starts a call whose first record is r.
func (p *Pairer) open(r *ingest.Record, idx int64) *Call {
	var c *Call
	switch {
	case !p.lend:
		c = p.slab.call()
	case len(p.free) > 0:
		c = p.free[len(p.free)-1]
		p.free = p.free[:len(p.free)-1]
	default:
		c = new(Call)
	}
	*c = Call{ID: p.nextID, Parent: p.topID(), Depth: int32(len(p.stack)),
		Segment: r.Segment, PC: r.PC, First: idx, Last: idx, args: c.args, words: c.words[:0]}
	p.nextID++
	p.stats.MaxDepth = max(p.stats.MaxDepth, c.Depth)
	return c
}

func (p *Pairer) emit(c *Call) {
	p.stats.Calls[c.Status]++
	if p.onCall != nil {
		p.onCall(c)
	}
	if p.lend {
		c.args = c.Args[:0] // grown, kept
		p.free = append(p.free, c)
	}
}

func (p *Pairer) link(idx, call int64, pre bool) {
	if p.onLink != nil {
		p.onLink(Link{Record: idx, Call: call, PreRet: pre})
	}
}

func (p *Pairer) top() *Call {
	if len(p.stack) == 0 {
		return nil
	}
	return p.stack[len(p.stack)-1]
}

func (p *Pairer) topID() int64 {
	if c := p.top(); c != nil {
		return c.ID
	}
	return -1
}

// argsRoom is the arguments a call has room for before its Args grow on
// the heap: most functions take at most four.
const argsRoom = 4

// value is record r as one of call c's values, its words copied.
func (p *Pairer) value(c *Call, r *ingest.Record, idx int64) Value {
	var words []uint64
	if p.lend {
		// A word slice of an earlier value keeps the old array if this
		// one grows it; the call's memory is reused only once it is
		// handed back.
		i := len(c.words)
		c.words = append(c.words, r.Values...)
		words = c.words[i:len(c.words):len(c.words)]
	} else {
		words = p.slab.copyWords(r.Values)
	}
	return Value{Record: idx, Idx: r.ArgIdx, Size: r.Size, Addr: r.Addr, Values: words}
}

func (p *Pairer) ret(c *Call, r *ingest.Record, idx int64) *Value {
	v := &c.ret
	if !p.lend {
		v = &p.slab.values(1)[:1][0]
	}
	*v = p.value(c, r, idx)
	return v
}
