package synth

import (
	"github.com/kdf-tools/kdf/ingest"
)

// Record is one record the kernel wrote, or tried to write, as the
// generator knows it: the words in the buffer and what they mean.
type Record struct {
	// Offset is the word index of the header in the area (area[Offset]);
	// -1 for a record that was dropped.
	Offset int
	// Words is 3 plus the number of value words.
	Words int
	// Kind is what the hook meant, even where a layout-A header with 16
	// or more values says otherwise.
	Kind ingest.Kind
	// Seq is the 24-bit sequence number in the header; 0 if not written.
	Seq uint32
	// Header, PC and Word2 are words 0, 1 and 2 as written (Header is 0
	// for a dropped record). PC is a runtime address in layout A and has
	// the KASLR offset removed in layout B; Word2 is the meta word (A),
	// the value's address or the compare type (B).
	Header, PC, Word2 uint64
	// ArgIdx and Size are the argument index and size fields as written
	// (layout B clamps both to 255 and writes size 0 when optimised out).
	ArgIdx uint8
	Size   uint8
	// Ptr is the full pointer the hook read through (layout A keeps only
	// its low 48 bits); 0 for compares and layout-B scalars.
	Ptr uint64
	// Values are the value words as written (or as they would have been).
	Values []uint64
	// Func is the instrumented function (Kernel.Funcs index).
	Func int
	// Call is the Truth.Calls index of the call the record belongs to;
	// for a pre-entry RET, the call it precedes.
	Call int
	// Segment is the ENABLE epoch of the program it was written in.
	Segment int
	// PreEntry marks a RET record written just before its function's
	// ENTRY records, not at its end.
	PreEntry bool
	// Fault: every value is 0xBADADD85 (read through an ERR_PTR).
	Fault bool
	// Unreadable: the values are 0 because the read faulted (NULL,
	// __user or optimised-out pointer).
	Unreadable bool
	// OptimizedOut: the compiler dropped the argument.
	OptimizedOut bool
	// CorruptHeader: a layout-A header whose value count (16 or more)
	// carried into the type bits or beyond bit 31.
	CorruptHeader bool

	vo int // offset of Values in the truth's arena
}

// Call is one function call the program made while the task was traced.
type Call struct {
	Func    int // Kernel.Funcs index
	Parent  int // Calls index of the caller, -1 for a top-level call
	Depth   int // 0 for a top-level call
	Segment int
	// Args holds one word per formal argument: a scalar zero-extended by
	// its size, a struct pointer as passed, the stack copy's address for
	// a struct passed by value.
	Args []uint64
	// Ret is the return value zero-extended by its size (a pointer for a
	// struct return); 0 for void functions and calls that never returned.
	Ret uint64
	// Errno is Ret read as a negative errno (ERR_PTR included), else 0.
	Errno int
	// Entries are the Records indices of the ENTRY records the hooks
	// attempted, in order (normally one per argument; a struct by value
	// in layout B has one per register); -1 marks one dropped or lost.
	Entries []int
	// RetRecord and PreRet are the Records indices of its RET record and
	// of its pre-entry RET, -1 when none was written.
	RetRecord, PreRet int
	// Records[First:End] are every record written while the call was
	// active, its own and its callees', pre-entry RET included.
	First, End int
	// Entered: its entry hooks ran with recording on (false for a call
	// that was already running when ENABLE took effect).
	Entered bool
	// Exited: it returned with recording on (false when it was still
	// running at the dump, returned after DISABLE or never returns).
	Exited bool

	ao, eo, en int // arena offsets of Args and Entries
}

// Segment is one ENABLE epoch: the task's sequence restarts at 0.
type Segment struct {
	// Task is 0 for the program's own task, n for the n-th forked child.
	Task int
	// Records[First:End] were written in the segment.
	First, End int
	// Lost counts records written in it and then discarded by a counter
	// reset.
	Lost int
}

// Stats is the expected accounting of one buffer.
type Stats struct {
	Layout    ingest.Layout
	Capacity  int  // words in the mapping, counter included
	Words     int  // area[0] at the dump
	FileWords int  // words in the dump: Capacity if Full, else 1+Words
	Full      bool // the dump is the whole mapping
	// Callbacks counts every hook that ran with recording on: written,
	// dropped, lost and torn.
	Callbacks int
	Records   int // written and visible
	Entries   int
	Rets      int // pre-entry RETs excluded
	PreRets   int
	Cmps      int
	Segments  int // segments with at least one visible record
	// FirstSeq and LastSeq are the first and last visible records'
	// sequence numbers.
	FirstSeq, LastSeq uint32
	Torn              bool // the counter covers one more record, not written
	// Saturated: the free space left is smaller than the largest record
	// written.
	Saturated      bool
	Drops          int // records that did not fit
	DroppedWords   int
	Lost           int // records discarded by a counter reset after ENABLE
	MaxRecordWords int
	Calls          int
	CorruptHeaders int // layout-A records with 16 or more values
	Faults         int // records carrying 0xBADADD85
	// StaleWords counts non-zero words after the counted ones in a full
	// dump: earlier programs' records, or the counted tail of a reset.
	StaleWords int
}

// Truth is everything the generator knows about one program's buffer.
type Truth struct {
	Layout   ingest.Layout
	Capacity int
	Records  []Record // written and visible, in buffer order
	Dropped  []Record // did not fit, in the order attempted
	Lost     []Record // written, then discarded by ResetCounter
	Torn     *Record  // counted by area[0] but never written; nil if none
	Calls    []Call
	Segments []Segment
	Stats    Stats

	vals []uint64 // arena of Record.Values
	args []uint64 // arena of Call.Args
	ents []int    // arena of Call.Entries
	torn []Record // holds Torn until finish
}

// addRecord stores a record; words are its words as written or encoded.
func (t *Truth) addRecord(list *[]Record, r Record, words []uint64) int {
	r.vo = len(t.vals)
	t.vals = append(t.vals, words[ingest.RecordFixed:]...)
	*list = append(*list, r)
	return len(*list) - 1
}

func (t *Truth) openCall(c Call, args []uint64) int {
	c.ao = len(t.args)
	t.args = append(t.args, args...)
	c.eo = len(t.ents)
	c.RetRecord, c.PreRet = -1, -1
	t.Calls = append(t.Calls, c)
	return len(t.Calls) - 1
}

// addEntry appends an entry record index to the innermost open call; the
// hooks of one call run before any callee opens, so its entries are
// contiguous in the arena.
func (t *Truth) addEntry(ci, rec int) {
	t.ents = append(t.ents, rec)
	t.Calls[ci].en++
}

// finish turns arena offsets into slices; the arenas no longer grow.
func (t *Truth) finish() {
	for _, list := range []*[]Record{&t.Records, &t.Dropped, &t.Lost, &t.torn} {
		for i := range *list {
			r := &(*list)[i]
			r.Values = t.vals[r.vo : r.vo+r.Words-ingest.RecordFixed : r.vo+r.Words-ingest.RecordFixed]
		}
	}
	for i := range t.Calls {
		c := &t.Calls[i]
		na := 0
		if i+1 < len(t.Calls) {
			na = t.Calls[i+1].ao - c.ao
		} else {
			na = len(t.args) - c.ao
		}
		c.Args = t.args[c.ao : c.ao+na : c.ao+na]
		c.Entries = t.ents[c.eo : c.eo+c.en : c.eo+c.en]
	}
	if len(t.torn) > 0 {
		t.Torn = &t.torn[0]
	}
}
