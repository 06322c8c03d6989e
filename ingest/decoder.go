package ingest

import (
	"encoding/binary"
	"fmt"
	"io"
	"unsafe"
)

// Record is one decoded record. Values aliases the decoder's memory and
// changes on the next call to Next: a caller that keeps a record keeps
// a Clone.
type Record struct {
	Offset  int64 // word index of the header; word 0 is the counter
	Kind    Kind
	Seq     uint32
	Segment int32  // 0 for the first run of sequence numbers
	PC      uint64 // runtime address (layout A) or link-time (layout B)
	ArgIdx  uint8  // argument index; 0 for returns and compares
	Size    uint8  // value size in bytes; 0 in layout B: optimised out
	// Addr is, in layout A, the low 48 bits of the pointer the value was
	// read through; in layout B the full address (0 if passed by value)
	// or, for a compare, its type bits.
	Addr   uint64
	Values []uint64
}

// Words is the record's length in the buffer.
func (r *Record) Words() int64 { return RecordFixed + int64(len(r.Values)) }

// Clone returns a copy that owns its values.
func (r *Record) Clone() Record {
	c := *r
	c.Values = append([]uint64(nil), r.Values...)
	return c
}

// Options tune a Decoder.
type Options struct {
	// Layout forces a layout; LayoutUnknown detects it.
	Layout Layout
	// Size is the input's length in bytes, or 0 when unknown; when
	// unknown the decoder reads the input to its end to learn it.
	Size int64
	// Capacity is the buffer's capacity in words (counter included)
	// when known from elsewhere, such as a manifest; 0 if unknown.
	Capacity int64
}

// windowBytes bounds the decoder's memory. It must hold the longest
// record, 3 + 65535 words in layout B, plus one word of lookahead. The
// window starts small for small inputs and grows as reading goes on.
const (
	windowBytes    = 1 << 20
	minWindowBytes = 4 << 10
)

// Decoder streams the records of one buffer.
type Decoder struct {
	name string
	r    io.Reader
	opt  Options

	win  []byte
	base int64 // word index of win[0]
	n    int   // valid bytes in win
	end  int64 // one past the last whole word in win: base + n/8
	eof  bool

	pos   int64 // next word to decode
	limit int64 // one past the last counted word

	layout  Layout
	rec     Record
	vals    []uint64
	lastSeq uint32
	skipped int64 // damaged words just before d.pos
	stats   Stats
	err     error
	started bool
	done    bool
}

// NewDecoder returns a decoder reading the buffer r; name is used in
// reports and errors.
func NewDecoder(r io.Reader, name string, opt Options) *Decoder {
	size := minWindowBytes
	if opt.Size > 0 {
		size = int(min(windowBytes, max(opt.Size, minWindowBytes)))
	}
	d := newDecoder(name, opt)
	d.r, d.win = r, make([]byte, size)
	return d
}

// NewDecoderBytes returns a decoder of a buffer held in memory, such as
// a mapped file: it reads the words in place, without copying them.
// data must not change while the decoder is in use.
func NewDecoderBytes(data []byte, name string, opt Options) *Decoder {
	opt.Size = int64(len(data))
	d := newDecoder(name, opt)
	d.win, d.n, d.eof = data, len(data), true
	d.end = int64(len(data) / WordBytes)
	return d
}

func newDecoder(name string, opt Options) *Decoder {
	d := &Decoder{name: name, opt: opt, layout: opt.Layout}
	d.stats.Path = name
	d.stats.Layout = opt.Layout
	d.stats.LayoutForced = opt.Layout != LayoutUnknown
	return d
}

// Record returns the record Next stopped at.
func (d *Decoder) Record() *Record { return &d.rec }

// Err returns the error that stopped decoding: an I/O error, or a
// FormatError when the input lacks even its counter word.
func (d *Decoder) Err() error { return d.err }

// Stats returns the accounting; it is complete once Next returned false.
func (d *Decoder) Stats() *Stats { return &d.stats }

// Next advances to the next record, skipping and counting damage.
func (d *Decoder) Next() bool {
	if !d.started && !d.start() {
		return false
	}
	for d.err == nil && d.pos < d.limit {
		words, ok := d.recordAt(d.pos, false)
		switch {
		case ok && d.staleTail(d.skipped):
			d.tail(d.pos)
		case ok:
			d.emit(words)
			return true
		default:
			d.resync()
		}
	}
	d.finish()
	return false
}

// start reads the counter and sets the decoding limit.
func (d *Decoder) start() bool {
	d.started = true
	if !d.ensure(1) {
		if d.err == nil {
			d.err = &FormatError{d.name, 0, fmt.Sprintf("empty buffer: expected the word counter at word 0, found %d bytes; the dump failed or the file was cut", d.n)}
		}
		d.done = true
		return false
	}
	d.stats.Words = d.word(0)
	d.pos = 1
	d.stats.CounterValid = d.stats.Words < MaxBufferWords
	if d.stats.CounterValid {
		d.limit = 1 + int64(d.stats.Words)
	} else {
		d.limit = 1 << 62 // the end of the file bounds it
		d.problem(0, fmt.Sprintf("counter %d exceeds the %d-word maximum of a buffer; decoding to the end of the file", d.stats.Words, MaxBufferWords-1))
	}
	return true
}

// emit fills in the record of the given length at d.pos and accounts it.
func (d *Decoder) emit(words int64) {
	r := &d.rec
	r.Values = d.values(int(d.pos+RecordFixed-d.base)*WordBytes, int(words-RecordFixed))
	d.account(r, words)
	d.pos += words
	d.skipped = 0
}

func (d *Decoder) account(r *Record, words int64) {
	s := &d.stats
	if s.Records == 0 {
		s.Segments = 1
		s.FirstSeq = r.Seq
	} else if r.Seq < d.lastSeq {
		s.Segments++
	}
	r.Segment = int32(s.Segments - 1)
	d.lastSeq = r.Seq
	s.LastSeq = r.Seq
	s.Records++
	s.RecordWords += words
	switch r.Kind {
	case KindEntry:
		s.Entries++
	case KindRet:
		s.Rets++
	case KindCmp:
		s.Cmps++
	}
	s.MaxRecordWords = max(s.MaxRecordWords, words)
}

// recordAt reports whether a valid record of the buffer's layout starts
// at word p and how long it is, filling d.rec's header fields. With
// confirm, used while resynchronising, the record must continue the
// sequence or be followed by another header or the end, so that value
// words that happen to look like a header do not capture the decoder.
func (d *Decoder) recordAt(p int64, confirm bool) (int64, bool) {
	if !d.ensure(p + RecordFixed + 1) {
		return 0, false
	}
	h := d.word(p)
	layout := d.layout
	if layout == LayoutUnknown {
		layout = headerLayout(h)
		confirm = true
	}
	words, ok := d.parse(layout, h, p)
	if !ok || p+words > d.limit || !d.ensure(p+words) {
		return 0, false
	}
	// One word of lookahead, to see what follows, if the input has it: a
	// file that ends right after a record (shorter than its counter
	// says, or a counter beyond the maximum) ends in a whole record.
	d.ensure(min(p+words+1, d.limit))
	if d.rec.PC == 0 {
		return 0, false
	}
	next := p + words
	if next < d.limit && d.inWindow(next) {
		nh := d.word(next)
		if confirm && !validHeader(layout, nh) && !d.continues(p) {
			return 0, false
		}
		if layout == LayoutA && nh != 0 && !validHeader(LayoutA, nh) && d.overflowedA(p, words) {
			return 0, false
		}
	}
	if d.layout == LayoutUnknown {
		d.layout = layout
		d.stats.Layout = layout
	}
	return words, true
}

// parse decodes the header at p for the given layout into d.rec.
func (d *Decoder) parse(layout Layout, h uint64, p int64) (int64, bool) {
	r := &d.rec
	r.Offset = p
	r.Seq = uint32(h & seqMask)
	r.PC = d.word(p + 1)
	third := d.word(p + 2)
	var nvals int64
	switch layout {
	case LayoutA:
		if !validHeader(LayoutA, h) {
			return 0, false
		}
		nvals = int64(h >> aCountShift & aCountMask)
		r.ArgIdx = uint8(third >> aMetaArgShift)
		r.Size = uint8(third >> aMetaSizeShift)
		r.Addr = third & aMetaPtrMask
		// The compiler never passes a zero size, and returns carry no
		// argument index: either means a torn or foreign record.
		if r.Size == 0 {
			return 0, false
		}
	case LayoutB:
		if !validHeader(LayoutB, h) {
			return 0, false
		}
		nvals = int64(h >> bNvalsShift & bNvalsMask)
		r.ArgIdx = uint8(h >> bArgShift)
		r.Size = uint8(h >> bSizeShift)
		r.Addr = third
	default:
		return 0, false
	}
	r.Kind = kindOf(h)
	if r.Kind == KindRet && r.ArgIdx != 0 {
		return 0, false
	}
	if r.Kind == KindCmp && nvals != 2 {
		return 0, false
	}
	return RecordFixed + nvals, true
}

// continues reports whether the record at p plausibly follows what was
// decoded: it opens the buffer, or its sequence number is the next one.
func (d *Decoder) continues(p int64) bool {
	if d.stats.Records == 0 {
		return p == 1
	}
	return d.rec.Seq == (d.lastSeq+1)&seqMask
}

// staleTail reports whether the record recordAt just found is stale
// words in a torn slot rather than a record: the counter is advanced
// before the body is written, so a dump taken while recording can end in
// a slot still holding an earlier program's words. Such a record breaks
// the sequence, lies within one record's length of the end, and is not
// explained by the skipped words just before it, which may have held
// the records whose numbers are missing.
func (d *Decoder) staleTail(skipped int64) bool {
	seq, last := d.rec.Seq, d.lastSeq
	if d.stats.Records == 0 || seq == (last+1)&seqMask || seq <= 1 {
		return false
	}
	if seq > last && int64(seq-last-1)*(RecordFixed+1) <= skipped {
		return false
	}
	slot := max(d.stats.MaxRecordWords, RecordFixed+aCountMask)
	return d.limit-d.rec.Offset <= slot
}

// overflowedA reports whether the layout-A record at p, which is not
// followed by a valid header, is really a record of 16 or more struct
// fields whose count spilled into the type bits: the real end then lies
// a multiple of 16 words further, where the next sequence number is.
func (d *Decoder) overflowedA(p, words int64) bool {
	want := (d.rec.Seq + 1) & seqMask
	for q := p + words + 16; q <= d.limit && q-p <= 3+255; q += 16 {
		if q == d.limit {
			return true
		}
		if !d.ensure(q+1) || !d.inWindow(q) {
			return false
		}
		if h := d.word(q); validHeader(LayoutA, h) && uint32(h&seqMask) == want {
			return true
		}
	}
	return false
}

// resync skips words from d.pos until a record starts; a run that
// reaches the end of the counted words is the torn tail.
func (d *Decoder) resync() {
	from := d.pos
	found := d.layout
	d.pos++
	for d.err == nil && d.pos < d.limit {
		if !d.ensure(d.pos + RecordFixed + 1) {
			break
		}
		if _, ok := d.recordAt(d.pos, true); ok {
			break
		}
		d.pos++
	}
	end := min(d.pos, d.limit)
	if d.pos >= d.limit || !d.ensure(d.pos+RecordFixed+1) || d.staleTail(end-from) {
		d.tail(from)
		return
	}
	d.stats.DamagedWords += end - from
	d.stats.DamageEvents++
	d.skipped = end - from
	d.problem(from, fmt.Sprintf("%d words skipped: expected %s", end-from, expectation(found)))
}

// tail closes decoding at word from: what is left of the counted words
// holds no complete record.
func (d *Decoder) tail(from int64) {
	end := d.limit
	if !d.stats.CounterValid {
		// Without a counter the zero words after the data are the
		// buffer's unused space, not a torn record.
		end = from
	}
	if d.eof && d.end < end {
		end = d.end
	}
	if end > from {
		d.stats.Torn = true
		d.stats.TornWords = end - from
	}
	d.pos = d.limit
}

func expectation(l Layout) string {
	switch l {
	case LayoutA:
		return "a layout-A header (type 0xE or 0xF, value count 1..15, upper 32 bits zero, non-zero pc and size)"
	case LayoutB:
		return "a layout-B header (type 0xC, 0xE or 0xF, nvals >= 1, bits 24..27 zero, non-zero pc)"
	}
	return "a record header of layout A or B"
}

func (d *Decoder) problem(off int64, msg string) {
	if len(d.stats.Problems) < maxProblems {
		d.stats.Problems = append(d.stats.Problems, Problem{off, msg})
	}
}

// finish completes the accounting once the records are exhausted.
func (d *Decoder) finish() {
	if d.done {
		return
	}
	d.done = true
	if d.err != nil {
		return
	}
	size := d.opt.Size
	if size <= 0 || d.eof {
		size = d.drain() // at the end already: the bytes actually read
	}
	s := &d.stats
	s.FileWords = size / WordBytes
	s.TrailingBytes = int(size % WordBytes)
	if s.TrailingBytes > 0 {
		d.problem(s.FileWords, fmt.Sprintf("%d bytes after the last whole word: not a multiple of 8 bytes, so ignored; the file was cut or has bytes appended", s.TrailingBytes))
	}
	if s.CounterValid && 1+int64(s.Words) > s.FileWords {
		s.MissingWords = 1 + int64(s.Words) - s.FileWords
		d.problem(s.FileWords, fmt.Sprintf("the file ends %d words before the counted %d", s.MissingWords, s.Words))
	}
	switch {
	case d.opt.Capacity > 0:
		s.Capacity = d.opt.Capacity
	case s.CounterValid && s.FileWords > 1+int64(s.Words) && s.FileWords <= MaxBufferWords:
		s.Capacity = s.FileWords
	}
	if s.Capacity > 0 && s.CounterValid {
		s.Saturated = s.Capacity-1-int64(s.Words) < s.MaxRecordWords
	}
}

// drain reads the rest of the input to learn its size.
func (d *Decoder) drain() int64 {
	size := d.base*WordBytes + int64(d.n)
	if d.eof {
		return size
	}
	rest, err := io.Copy(io.Discard, d.r)
	if err != nil {
		d.err = fmt.Errorf("%s: %w", d.name, err)
	}
	return size + rest
}

// ensure makes words [.., upto) readable in the window, reading more of
// the input when needed; it reports false when the input ends first.
func (d *Decoder) ensure(upto int64) bool {
	return upto <= d.end || d.fill(upto) // the first test inlines: the common case
}

// fill reads more of the input so that words [.., upto) are in the
// window, sliding or growing it as needed.
func (d *Decoder) fill(upto int64) bool {
	if d.eof || d.err != nil {
		return false
	}
	if (upto-d.base)*WordBytes > int64(len(d.win)) {
		keep := (d.pos - d.base) * WordBytes
		d.n = copy(d.win, d.win[keep:d.n])
		d.base = d.pos
		if size := d.grownWindow(upto); size > len(d.win) {
			d.win = append(d.win[:d.n], make([]byte, size-d.n)...)
		}
	}
	for d.n < len(d.win) && !d.eof {
		m, err := d.r.Read(d.win[d.n:])
		d.n += m
		if err == io.EOF {
			d.eof = true
		} else if err != nil {
			d.err = fmt.Errorf("%s: reading word %d: %w", d.name, d.base+int64(d.n/WordBytes), err)
			return false
		}
	}
	d.end = d.base + int64(d.n/WordBytes)
	return upto <= d.end
}

// grownWindow is the window size for reading up to word upto: a window
// that had to slide is too small for this input, so it doubles, and as
// often as the longest record needs.
func (d *Decoder) grownWindow(upto int64) int {
	size := len(d.win)
	for size < windowBytes && (size == len(d.win) || (upto-d.base)*WordBytes > int64(size)) {
		size = min(2*size, windowBytes)
	}
	return size
}

func (d *Decoder) inWindow(p int64) bool { return p < d.end }

// values returns the n value words at byte off of the window. On a
// little-endian host, with the words aligned (in a mapped file and in
// the decoder's own window they are), the words are the values: they
// are read in place instead of copied: BenchmarkDecodeCampaign went
// from 49-53M to 58-60M records/s.
func (d *Decoder) values(off, n int) []uint64 {
	w := d.win[off : off+n*WordBytes]
	if littleEndianHost && n > 0 && uintptr(unsafe.Pointer(&w[0]))%WordBytes == 0 {
		return unsafe.Slice((*uint64)(unsafe.Pointer(&w[0])), n)
	}
	if cap(d.vals) < n {
		d.vals = make([]uint64, n)
	}
	vals := d.vals[:n]
	for i := range vals {
		vals[i] = binary.LittleEndian.Uint64(w[i*WordBytes:])
	}
	return vals
}

var littleEndianHost = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

func (d *Decoder) word(p int64) uint64 {
	return binary.LittleEndian.Uint64(d.win[(p-d.base)*WordBytes:])
}

// headerLayout tells which layout a header word could belong to.
func headerLayout(h uint64) Layout {
	if h>>32 == 0 {
		return LayoutA
	}
	return LayoutB
}

// validHeader checks a header word's own bits against a layout.
func validHeader(l Layout, h uint64) bool {
	t := h >> typeShift & typeMask
	switch l {
	case LayoutA:
		n := h >> aCountShift & aCountMask
		return h>>32 == 0 && (t == typeEntry || t == typeRet) && n != 0
	case LayoutB:
		n := h >> bNvalsShift & bNvalsMask
		return n != 0 && h&bUnusedMask == 0 && (t == typeEntry || t == typeRet || t == typeCmp)
	}
	return false
}

func kindOf(h uint64) Kind {
	switch h >> typeShift & typeMask {
	case typeEntry:
		return KindEntry
	case typeRet:
		return KindRet
	}
	return KindCmp
}
