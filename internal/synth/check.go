package synth

import (
	"encoding/binary"
	"fmt"

	"github.com/kdf-tools/kdf/ingest"
)

// CheckValid verifies the truth against the dump it describes, word by
// word, and against its own invariants: records back to back from word 1,
// the torn tail last, area[0] covering exactly those words, sequence
// numbers consecutive within a segment, calls pointing at records of
// their own function and kind, and the accounting matching the lists.
func (t *Truth) CheckValid(dump []byte) error {
	if len(dump)%ingest.WordBytes != 0 || len(dump) == 0 {
		return fmt.Errorf("dump of %d bytes is not whole words", len(dump))
	}
	words := make([]uint64, len(dump)/ingest.WordBytes)
	for i := range words {
		words[i] = binary.LittleEndian.Uint64(dump[i*ingest.WordBytes:])
	}
	s := &t.Stats
	switch {
	case len(words) != s.FileWords:
		return fmt.Errorf("dump has %d words, stats say %d", len(words), s.FileWords)
	case words[0] != uint64(s.Words):
		return fmt.Errorf("area[0] = %d, stats say %d", words[0], s.Words)
	case s.Full && len(words) != t.Capacity, !s.Full && len(words) != 1+s.Words:
		return fmt.Errorf("dump of %d words does not match full=%v", len(words), s.Full)
	}
	if err := t.checkRecords(words); err != nil {
		return err
	}
	if err := t.checkSeqs(); err != nil {
		return err
	}
	if err := t.checkStats(); err != nil {
		return err
	}
	return t.checkCalls()
}

func (t *Truth) checkRecords(words []uint64) error {
	off := 1
	for i := range t.Records {
		r := &t.Records[i]
		if r.Offset != off || r.Words != ingest.RecordFixed+len(r.Values) || off+r.Words > len(words) {
			return fmt.Errorf("record %d: offset %d words %d, want offset %d", i, r.Offset, r.Words, off)
		}
		w := words[off : off+r.Words]
		if w[0] != r.Header || w[1] != r.PC || w[2] != r.Word2 {
			return fmt.Errorf("record %d at word %d: fixed words %x, truth %x %x %x", i, off, w[:3], r.Header, r.PC, r.Word2)
		}
		for j, v := range r.Values {
			if w[ingest.RecordFixed+j] != v {
				return fmt.Errorf("record %d at word %d: value %d is %#x, truth %#x", i, off, j, w[ingest.RecordFixed+j], v)
			}
		}
		if t.Layout == ingest.LayoutA && !r.CorruptHeader && r.Header != ingest.HeaderA(r.Kind, uint64(len(r.Values)), r.Seq) {
			return fmt.Errorf("record %d: header %#x is not a %v header", i, r.Header, r.Kind)
		}
		off += r.Words
	}
	if t.Torn != nil {
		if t.Torn.Offset != off {
			return fmt.Errorf("torn record at word %d, want %d", t.Torn.Offset, off)
		}
		off += t.Torn.Words
	}
	if off != 1+t.Stats.Words {
		return fmt.Errorf("records end at word %d, area[0] covers %d", off, 1+t.Stats.Words)
	}
	return nil
}

// checkSeqs: drops do not consume sequence numbers, so within a segment
// the visible records' numbers are consecutive.
func (t *Truth) checkSeqs() error {
	for si, seg := range t.Segments {
		for i := seg.First; i < seg.End; i++ {
			r := &t.Records[i]
			if r.Segment != si {
				return fmt.Errorf("record %d of segment %d says segment %d", i, si, r.Segment)
			}
			if i > seg.First && r.Seq != (t.Records[i-1].Seq+1)&seqMask {
				return fmt.Errorf("record %d: seq %d after %d in one segment", i, r.Seq, t.Records[i-1].Seq)
			}
			if i == seg.First && r.Seq == 0 {
				return fmt.Errorf("segment %d starts at seq 0", si)
			}
		}
	}
	return nil
}

func (t *Truth) checkStats() error {
	var n Stats
	for i := range t.Records {
		r := &t.Records[i]
		switch {
		case r.PreEntry:
			n.PreRets++
		case r.Kind == ingest.KindEntry:
			n.Entries++
		case r.Kind == ingest.KindRet:
			n.Rets++
		default:
			n.Cmps++
		}
	}
	s := &t.Stats
	got := []int{s.Records, s.Entries, s.Rets, s.PreRets, s.Cmps, s.Drops, s.Lost, s.Calls}
	want := []int{len(t.Records), n.Entries, n.Rets, n.PreRets, n.Cmps, len(t.Dropped), len(t.Lost), len(t.Calls)}
	for i := range got {
		if got[i] != want[i] {
			return fmt.Errorf("stats %v, truth lists %v (records, entries, rets, pre-rets, cmps, drops, lost, calls)", got, want)
		}
	}
	if s.Torn != (t.Torn != nil) {
		return fmt.Errorf("stats torn=%v, truth torn=%v", s.Torn, t.Torn != nil)
	}
	if cb := len(t.Records) + len(t.Dropped) + len(t.Lost); s.Callbacks != cb+btoi(s.Torn) {
		return fmt.Errorf("%d callbacks, %d records accounted for", s.Callbacks, cb+btoi(s.Torn))
	}
	return nil
}

func (t *Truth) checkCalls() error {
	for ci := range t.Calls {
		c := &t.Calls[ci]
		if c.Parent >= ci || (c.Parent < 0) != (c.Depth == 0) ||
			(c.Parent >= 0 && t.Calls[c.Parent].Depth+1 != c.Depth) {
			return fmt.Errorf("call %d: parent %d depth %d", ci, c.Parent, c.Depth)
		}
		if c.First > c.End || c.End > len(t.Records) {
			return fmt.Errorf("call %d: records [%d, %d)", ci, c.First, c.End)
		}
		for _, ri := range c.Entries {
			if ri >= 0 && !t.owns(ri, ci, ingest.KindEntry, false) {
				return fmt.Errorf("call %d: entry record %d is not its own", ci, ri)
			}
		}
		if c.RetRecord >= 0 && !t.owns(c.RetRecord, ci, ingest.KindRet, false) {
			return fmt.Errorf("call %d: RET record %d is not its own", ci, c.RetRecord)
		}
		if c.PreRet >= 0 && !t.owns(c.PreRet, ci, ingest.KindRet, true) {
			return fmt.Errorf("call %d: pre-entry RET %d is not its own", ci, c.PreRet)
		}
	}
	return nil
}

func (t *Truth) owns(ri, ci int, kind ingest.Kind, pre bool) bool {
	r := &t.Records[ri]
	c := &t.Calls[ci]
	return r.Call == ci && r.Func == c.Func && r.Kind == kind && r.PreEntry == pre && ri >= c.First && ri < c.End
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
