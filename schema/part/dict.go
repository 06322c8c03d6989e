package part

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"slices"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/kdf-tools/kdf/internal/buf"
	"github.com/parquet-go/parquet-go/format"
)

// dictNumWriter writes uint64 and uint8 leaves, and int64 leaves marked
// Dict, in RLE_DICTIONARY. pcs, offsets in functions, pointers and
// argument sizes take few distinct values; their indexes are a fraction
// of their width. A run_id repeats over its run's rows, so that a run
// is one RLE run of its index. A uint8 finds its index in an array; a
// 64-bit word in an open-addressing table (Fibonacci
// hashing, linear probing), a block of values at a time (see
// wordBlock). Checking the previous value first, since consecutive
// records often share their pc, made no measurable difference: a
// repeated value's slot is in the cache.
type dictNumWriter[T uint64 | int64 | uint8] struct {
	dict  []T
	small [256]int32 // uint8 value -> index+1
	table wordTable

	idx   []int32 // the page's indexes
	plain []T     // the page's values after a fallback
	fell  bool    // pages are PLAIN until the chunk ends
	used  bool    // some page of the chunk is dictionary-encoded

	lo, hi T // the page's bounds, when has
	has    bool
	buf    []byte
}

func newDictNumWriter[T uint64 | int64 | uint8]() *dictNumWriter[T] {
	w := new(dictNumWriter[T])
	if unsafe.Sizeof(T(0)) == 8 {
		w.table.init(1 << 10)
	}
	return w
}

func (w *dictNumWriter[T]) add(a arrow.Array, lo, hi int) {
	vs := arrowValues[T](a)[lo:hi]
	if l, h, ok := minMax(vs); ok {
		if !w.has {
			w.lo, w.hi, w.has = l, h, true
		}
		w.lo, w.hi = min(w.lo, l), max(w.hi, h)
	}
	switch {
	case w.fell:
		w.plain = buf.Append(w.plain, vs...)
	case unsafe.Sizeof(T(0)) == 1:
		w.idx = buf.Reserve(w.idx, len(vs))
		for _, v := range vs {
			e := w.small[v]
			if e == 0 {
				w.dict = append(w.dict, v)
				e = int32(len(w.dict))
				w.small[v] = e
			}
			w.idx = append(w.idx, e-1)
		}
	default:
		w.addWords(unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(vs))), len(vs)))
	}
}

func (w *dictNumWriter[T]) addWords(vs []uint64) {
	t := &w.table
	w.idx = buf.Reserve(w.idx, len(vs))
	for len(vs) > 0 {
		block := vs[:min(len(vs), wordBlock)]
		vs = vs[len(block):]
		var home [wordBlock]int32
		t.touch(block, w.words(), home[:])
		for k, v := range block {
			i, found := t.findFrom(int(home[k]), v, w.words())
			e := t.slots[i]
			if !found {
				w.dict = buf.Append(w.dict, T(v))
				e = int32(len(w.dict))
				if t.insert(i, w.words()) {
					t.touch(block[k+1:], w.words(), home[k+1:])
				}
			}
			w.idx = append(w.idx, e-1)
		}
	}
}

// words is the dictionary of a uint64 leaf, the keys of its table.
func (w *dictNumWriter[T]) words() []uint64 {
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(w.dict))), len(w.dict))
}

func (w *dictNumWriter[T]) size() int {
	if w.fell {
		return len(w.plain) * int(unsafe.Sizeof(T(0)))
	}
	return 4 * len(w.idx)
}

func (w *dictNumWriter[T]) bounds() ([]byte, []byte, bool) {
	if !w.has {
		return nil, nil, false
	}
	var l, h []byte
	w.buf, l, h = boundsBytes(w.buf, w.lo, w.hi)
	return l, h, true
}

func (w *dictNumWriter[T]) encode(dst []byte) ([]byte, format.Encoding, error) {
	defer func() { w.idx, w.plain, w.has = w.idx[:0], w.plain[:0], false }()
	if !w.fell && w.barelyRepeats() {
		w.plain = slices.Grow(w.plain[:0], len(w.idx))
		for _, i := range w.idx {
			w.plain = append(w.plain, w.dict[i])
		}
		w.fell = true
	}
	if w.fell || len(w.idx) == 0 {
		// A page without values is PLAIN, so that a chunk of nulls
		// needs no dictionary.
		return appendPlainSlice(dst, w.plain), format.Plain, nil
	}
	w.used = true
	dst, err := encodeIndexes(dst, w.idx, len(w.dict))
	return dst, format.RLEDictionary, err
}

// barelyRepeats reports, at a chunk's first page of words, whether they
// repeat too little for a dictionary to pay: the dictionary and the
// indexes would take as many bytes as the words (the test parquet-mr
// makes). Such a column (most of records.value, pointers) then goes on
// in PLAIN from its first page, instead of filling a dictionary and its
// table up to dictionaryMaxBytes, then falling back.
func (w *dictNumWriter[T]) barelyRepeats() bool {
	if w.used || len(w.idx) == 0 || unsafe.Sizeof(T(0)) == 1 {
		return false
	}
	n, width := len(w.idx), bits.Len(uint(len(w.dict)-1))
	return len(w.dict)*8+(n*width+7)/8 >= n*8
}

func (w *dictNumWriter[T]) dictionary(dst []byte) ([]byte, int) {
	if !w.used {
		return dst, 0
	}
	return appendPlainSlice(dst, w.dict), len(w.dict)
}

func (w *dictNumWriter[T]) full() bool {
	return !w.fell && len(w.dict)*int(unsafe.Sizeof(T(0))) >= dictionaryMaxBytes
}

func (w *dictNumWriter[T]) fallback() { w.fell = true }

func (w *dictNumWriter[T]) reset() {
	if unsafe.Sizeof(T(0)) == 1 {
		for _, v := range w.dict {
			w.small[v] = 0
		}
	} else {
		w.table.clear()
	}
	w.dict, w.idx, w.plain = w.dict[:0], w.idx[:0], w.plain[:0]
	w.fell, w.used, w.has = false, false, false
}

// wordTable finds uint64 words among keys, a slice its owner appends
// to (a dictionary's words, in order). A slot holds a word's position
// in keys plus 1, 0 when empty: 4 bytes where the word and its index
// side by side took 16 (with padding), so a full table of the largest
// dictionary takes 1 MiB, not 4. Each worker fills several such tables
// once, and on a virtual machine the page faults of touching them were a
// sizable part of what an ingest costs before its first part is
// written. The table stays at most half full.
type wordTable struct {
	slots   []int32
	shift   uint
	touched uint64
}

func (t *wordTable) init(size int) {
	t.slots = make([]int32, size)
	t.shift = uint(64 - bits.Len(uint(size-1)))
}

func (t *wordTable) home(v uint64) int { return int((v * 0x9e3779b97f4a7c15) >> t.shift) }

// wordBlock is how many words are looked up together: their slots, then
// the words those slots name, are all read first, so that the cache
// misses of a large table (the values of records.value spread over
// megabytes) overlap instead of following one another.
const wordBlock = 32

// touch computes the home slot of each word and reads it, and the word
// it names.
func (t *wordTable) touch(vs, keys []uint64, home []int32) {
	home = home[:len(vs)]
	for k, v := range vs {
		home[k] = int32(t.home(v))
	}
	var sum uint64
	for _, i := range home {
		sum += uint64(t.slots[i])
	}
	for _, i := range home {
		if p := t.slots[i]; p != 0 {
			sum += keys[p-1]
		}
	}
	t.touched += sum // keeps the reads
}

// find returns v's slot and true, or the empty slot where it belongs.
func (t *wordTable) find(v uint64, keys []uint64) (int, bool) {
	return t.findFrom(t.home(v), v, keys)
}

// findFrom is find from v's home slot i.
func (t *wordTable) findFrom(i int, v uint64, keys []uint64) (int, bool) {
	mask := len(t.slots) - 1
	for {
		p := t.slots[i]
		if p == 0 {
			return i, false
		}
		if keys[p-1] == v {
			return i, true
		}
		i = (i + 1) & mask
	}
}

// maxWordSlots is the size of a table that holds a full dictionary
// (dictionaryMaxBytes of words) at most half full.
const maxWordSlots = 2 * dictionaryMaxBytes / 8

// insert puts the last word of keys, just appended, into the empty slot
// i, growing the table when it is half full; it says whether it did,
// which moves every slot. A table of maxWordSlots may fill to three
// quarters: the dictionary passes its bound by a step of rows at most,
// which would otherwise double the largest tables for a few thousand
// words.
func (t *wordTable) insert(i int, keys []uint64) bool {
	n := len(keys)
	t.slots[i] = int32(n)
	if 2*n <= len(t.slots) || len(t.slots) >= maxWordSlots && 4*n <= 3*len(t.slots) {
		return false
	}
	t.init(2 * len(t.slots))
	for p, v := range keys {
		j, _ := t.find(v, keys[:p])
		t.slots[j] = int32(p + 1)
	}
	return true
}

func (t *wordTable) clear() { clear(t.slots) }

// dictStringWriter writes string leaves in RLE_DICTIONARY: symbol
// names, kinds, modules, attribute keys and values repeat. The
// dictionary is kept as its own PLAIN page (length, bytes), which
// entries index by their start. A string is looked up in a small
// direct-mapped cache first, by a hash of its length and its first and
// last 8 bytes, which costs a few multiplications where hashing all of
// it costs a call and a pass; on a miss, in a table hashed with
// maphash, whose slots keep 32 bits of the hash to compare before the
// bytes. The cache is only a shortcut, so strings made to collide in it
// cost a table lookup each, no more. A string is checked for UTF-8 when
// it enters the dictionary, and an invalid one escaped then: a valid
// string costs one check however often it comes.
type dictStringWriter struct {
	page   []byte   // the dictionary page's values
	starts []uint32 // entry i is page[starts[i]+4 : starts[i+1]]
	slots  []strSlot
	n      int
	cache  [1 << stringCacheBits]int32 // index+1, 0 when empty
	// Strings shorter than 8 bytes are their own words: their table's
	// keys, and the entry of each.
	short        wordTable
	shortKeys    []uint64
	shortEntries []int32

	idx  []int32
	seen []uint32 // per entry, the page that last had it (bounds)
	nth  uint32   // pages encoded, plus 1
	used bool

	fell  bool
	plain plainStringWriter // the pages after a fallback

	esc []byte

	lo, hi []byte

	// trans maps the values of the dictionary-encoded column last added
	// (transFor, one batch's) to entries; -1 where not looked up yet.
	trans    []int32
	transFor arrow.ArrayData
}

type strSlot struct {
	tag uint32
	e   int32 // index+1, 0 when empty
}

var stringSeed = maphash.MakeSeed()

func newDictStringWriter() *dictStringWriter {
	w := &dictStringWriter{slots: make([]strSlot, 1<<10), starts: []uint32{0}, nth: 1}
	w.short.init(1 << 6)
	return w
}

func (w *dictStringWriter) entry(e int32) []byte {
	return w.page[w.starts[e]+4 : w.starts[e+1]]
}

const stringCacheBits = 13

func (w *dictStringWriter) add(a arrow.Array, lo, hi int) {
	if d, ok := a.(*array.Dictionary); ok {
		w.addDict(d, lo, hi)
		return
	}
	if w.fell {
		w.plain.add(a, lo, hi)
		return
	}
	offs, data := stringData(a)
	w.idx = buf.Reserve(w.idx, hi-lo)
	for i := lo; i < hi; i++ {
		w.idx = append(w.idx, w.lookup(data[offs[i]:offs[i+1]]))
	}
}

// lookup returns the entry of s, adding it if new.
func (w *dictStringWriter) lookup(s []byte) int32 {
	if len(s) < 8 {
		return w.shortIndex(s)
	}
	k := quickHash(s) >> (64 - stringCacheBits)
	if e := w.cache[k]; e != 0 && sameBytes(w.entry(e-1), s) {
		return e - 1
	}
	e := w.index(s)
	w.cache[k] = e + 1
	return e
}

// addDict appends rows of a dictionary-encoded string column: each of
// its dictionary's values is looked up once per batch, when a row first
// uses it, and every row after that costs an index into a slice, not a
// string's hashing. The pipeline builds its symbol columns this way.
func (w *dictStringWriter) addDict(d *array.Dictionary, lo, hi int) {
	if w.fell {
		w.plain.add(decodeDict(d, lo, hi), 0, hi-lo)
		return
	}
	dict := d.Dictionary()
	if w.transFor != dict.Data() {
		w.transFor = dict.Data()
		w.trans = slices.Grow(w.trans[:0], dict.Len())[:dict.Len()]
		for j := range w.trans {
			w.trans[j] = -1
		}
	}
	offs, data := stringData(dict)
	w.idx = buf.Reserve(w.idx, hi-lo)
	// The writer takes int32 indexes only (dictOf); read as a
	// slice, not through GetValueIndex, which switches on their type
	// for every row.
	for _, j := range arrowValues[int32](d.Indices())[lo:hi] {
		e := w.trans[j]
		if e < 0 {
			e = w.lookup(data[offs[j]:offs[j+1]])
			w.trans[j] = e
		}
		w.idx = append(w.idx, e)
	}
}

// decodeDict returns rows [lo, hi) of a dictionary-encoded string
// column as plain strings: for the plain pages after a fallback.
func decodeDict(d *array.Dictionary, lo, hi int) arrow.Array {
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	dict := d.Dictionary().(*array.String)
	for i := lo; i < hi; i++ {
		if d.IsNull(i) {
			b.AppendNull()
		} else {
			b.Append(dict.Value(d.GetValueIndex(i)))
		}
	}
	return b.NewArray()
}

// shortIndex returns the index of a string shorter than 8 bytes (kinds,
// statuses, modules, empty strings), which is its own key in a table of
// words: its bytes, then its length in the top byte.
func (w *dictStringWriter) shortIndex(s []byte) int32 {
	var k uint64
	if n := len(s); cap(s) >= 8 {
		// Read 8 bytes, the string's and what follows it in the buffer,
		// and keep the string's: no loop whose length varies.
		k = binary.LittleEndian.Uint64(s[:8]) & (1<<(8*n) - 1)
	} else {
		for i := n - 1; i >= 0; i-- {
			k = k<<8 | uint64(s[i])
		}
	}
	k |= uint64(len(s)) << 56
	i, found := w.short.find(k, w.shortKeys)
	if found {
		return w.shortEntries[w.short.slots[i]-1]
	}
	e := w.index(s)
	w.shortKeys, w.shortEntries = append(w.shortKeys, k), append(w.shortEntries, e)
	w.short.insert(i, w.shortKeys)
	return e
}

// sameBytes is bytes.Equal for strings of 8 bytes or more, faster on
// the lengths most symbol names have: up to 40 bytes are compared as
// five 8-byte words (the last ones overlapping when shorter) without a
// branch on the length, which varies too much to be predicted.
func sameBytes(a, b []byte) bool {
	n := len(a)
	if n != len(b) {
		return false
	}
	if n > 40 {
		return bytes.Equal(a, b)
	}
	le := binary.LittleEndian
	x := func(i int) uint64 { return le.Uint64(a[i:]) ^ le.Uint64(b[i:]) }
	return x(0)|x(min(8, n-8))|x(min(16, n-8))|x(min(24, n-8))|x(n-8) == 0
}

// quickHash hashes a string of 8 bytes or more by its length and its
// first and last 8 bytes.
func quickHash(s []byte) uint64 {
	n := len(s)
	a, b := binary.LittleEndian.Uint64(s), binary.LittleEndian.Uint64(s[n-8:])
	return (a*0x9e3779b97f4a7c15 ^ bits.RotateLeft64(b*0xc2b2ae3d27d4eb4f, 31) ^ uint64(n)) * 0x94d049bb133111eb
}

// index returns s's dictionary index, adding it when new.
func (w *dictStringWriter) index(s []byte) int32 {
	h := maphash.Bytes(stringSeed, s)
	tag, mask := uint32(h>>32), len(w.slots)-1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		sl := w.slots[i]
		if sl.e == 0 {
			if !utf8.Valid(s) {
				// Rare: the escaped string is looked up instead, every
				// time this one comes again.
				w.esc = appendEscaped(w.esc[:0], s)
				return w.index(w.esc)
			}
			w.page = appendByteArray(w.page, s)
			w.starts = buf.Append(w.starts, uint32(len(w.page)))
			w.slots[i] = strSlot{tag, int32(len(w.starts) - 1)}
			if w.n++; 2*w.n > len(w.slots) {
				w.grow()
			}
			return int32(len(w.starts) - 2)
		}
		if sl.tag == tag && bytes.Equal(w.entry(sl.e-1), s) {
			return sl.e - 1
		}
	}
}

func (w *dictStringWriter) grow() {
	w.slots = make([]strSlot, 2*len(w.slots))
	mask := len(w.slots) - 1
	for e := range len(w.starts) - 1 {
		h := maphash.Bytes(stringSeed, w.entry(int32(e)))
		i := int(h) & mask
		for w.slots[i].e != 0 {
			i = (i + 1) & mask
		}
		w.slots[i] = strSlot{uint32(h >> 32), int32(e + 1)}
	}
}

func (w *dictStringWriter) size() int {
	if w.fell {
		return w.plain.size()
	}
	return 4 * len(w.idx)
}

// bounds compares each entry the page uses once.
func (w *dictStringWriter) bounds() ([]byte, []byte, bool) {
	if w.fell {
		return w.plain.bounds()
	}
	if len(w.idx) == 0 {
		return nil, nil, false
	}
	for len(w.seen) < len(w.starts)-1 {
		w.seen = append(w.seen, 0)
	}
	lo, hi := w.entry(w.idx[0]), w.entry(w.idx[0])
	for _, e := range w.idx {
		if w.seen[e] == w.nth {
			continue
		}
		w.seen[e] = w.nth
		s := w.entry(e)
		if bytes.Compare(s, lo) < 0 {
			lo = s
		} else if bytes.Compare(s, hi) > 0 {
			hi = s
		}
	}
	w.lo, w.hi = append(w.lo[:0], lo...), append(w.hi[:0], hi...)
	return w.lo, w.hi, true
}

func (w *dictStringWriter) encode(dst []byte) ([]byte, format.Encoding, error) {
	if w.fell {
		return w.plain.encode(dst)
	}
	defer func() { w.idx, w.nth = w.idx[:0], w.nth+1 }()
	if len(w.idx) == 0 {
		return dst, format.Plain, nil
	}
	w.used = true
	dst, err := encodeIndexes(dst, w.idx, len(w.starts)-1)
	return dst, format.RLEDictionary, err
}

func (w *dictStringWriter) dictionary(dst []byte) ([]byte, int) {
	if !w.used {
		return dst, 0
	}
	return append(dst, w.page...), len(w.starts) - 1
}

func (w *dictStringWriter) full() bool { return !w.fell && len(w.page) >= dictionaryMaxBytes }
func (w *dictStringWriter) fallback()  { w.fell = true }

func (w *dictStringWriter) reset() {
	clear(w.slots)
	clear(w.cache[:])
	w.short.clear()
	w.shortKeys, w.shortEntries = w.shortKeys[:0], w.shortEntries[:0]
	clear(w.seen)
	w.page, w.starts, w.n = w.page[:0], w.starts[:1], 0
	w.idx, w.nth, w.used, w.fell = w.idx[:0], 1, false, false
	w.transFor = nil // its entries were this chunk's
	w.plain.reset()
}

// plainStringWriter writes string leaves in PLAIN: each string's length
// in 4 bytes, then its bytes. Paths and hashes are mostly distinct; a
// dictionary would only add to them.
type plainStringWriter struct {
	page   []byte
	lo, hi []byte
	has    bool
	esc    []byte
}

func (w *plainStringWriter) add(a arrow.Array, lo, hi int) {
	offs, data := stringData(a)
	valid := validStrings(offs[lo:hi+1], data)
	for i := lo; i < hi; i++ {
		s := data[offs[i]:offs[i+1]]
		if !valid && !utf8.Valid(s) {
			w.esc = appendEscaped(w.esc[:0], s)
			s = w.esc
		}
		w.page = appendByteArray(w.page, s)
		switch {
		case !w.has:
			w.lo, w.hi, w.has = append(w.lo[:0], s...), append(w.hi[:0], s...), true
		case bytes.Compare(s, w.lo) < 0:
			w.lo = append(w.lo[:0], s...)
		case bytes.Compare(s, w.hi) > 0:
			w.hi = append(w.hi[:0], s...)
		}
	}
}

func (w *plainStringWriter) size() int { return len(w.page) }

func (w *plainStringWriter) bounds() ([]byte, []byte, bool) {
	return w.lo, w.hi, w.has
}

func (w *plainStringWriter) encode(dst []byte) ([]byte, format.Encoding, error) {
	dst = append(dst, w.page...)
	w.page, w.has = w.page[:0], false
	return dst, format.Plain, nil
}

func (w *plainStringWriter) dictionary(dst []byte) ([]byte, int) { return dst, 0 }
func (w *plainStringWriter) full() bool                          { return false }
func (w *plainStringWriter) fallback()                           {}
func (w *plainStringWriter) reset()                              { w.page, w.has = w.page[:0], false }
