package ingest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

const (
	pcF = 0xffffffffc0a01000 // a module function, runtime address
	pcG = 0xffffffffc0a01100
)

// buf builds a buffer from words, word 0 being the counter.
func buf(words ...uint64) []byte {
	b := make([]byte, 8*len(words))
	for i, w := range words {
		binary.LittleEndian.PutUint64(b[8*i:], w)
	}
	return b
}

// recA is a layout-A record's words.
func recA(kind Kind, seq uint32, pc uint64, arg, size uint8, ptr uint64, vals ...uint64) []uint64 {
	w := []uint64{HeaderA(kind, uint64(len(vals)), seq), pc, MetaA(arg, size, ptr)}
	return append(w, vals...)
}

func recB(kind Kind, seq uint32, pc uint64, arg, size uint8, addr uint64, vals ...uint64) []uint64 {
	w := []uint64{HeaderB(kind, uint16(len(vals)), size, arg, seq), pc, addr}
	return append(w, vals...)
}

// area lays records after a counter that counts them all, followed by
// spare zero words up to capacity (0: a trimmed dump).
func area(capacity int, recs ...[]uint64) []byte {
	words := []uint64{0}
	for _, r := range recs {
		words = append(words, r...)
	}
	words[0] = uint64(len(words) - 1)
	for len(words) < capacity {
		words = append(words, 0)
	}
	return buf(words...)
}

func decodeAll(t testing.TB, b []byte, opt Options) ([]Record, *Stats, error) {
	t.Helper()
	d := NewDecoder(bytes.NewReader(b), "test.kcdf", opt)
	var out []Record
	for d.Next() {
		out = append(out, d.Record().Clone())
	}
	if err := d.Stats().Check(); err != nil && d.Err() == nil {
		t.Errorf("stats invariant: %v", err)
	}
	return out, d.Stats(), d.Err()
}

func TestDecodeLayoutA(t *testing.T) {
	b := area(64,
		recA(KindEntry, 1, pcF, 0, 8, 0x1000, 0x11),
		recA(KindEntry, 2, pcF, 1, 8, 0x1008, 0x22),
		recA(KindEntry, 3, pcG, 0, 8, 0xffff88800000, 0xaaaa, 0xbbbb),
		recA(KindRet, 4, pcG, 0, 8, 0x2000, 0x16665),
		recA(KindRet, 5, pcF, 0, 4, 0x2008, 0xfffffff2),
	)
	recs, st, err := decodeAll(t, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 {
		t.Fatalf("got %d records, want 5", len(recs))
	}
	want := Record{Offset: 9, Kind: KindEntry, Seq: 3, PC: pcG, ArgIdx: 0, Size: 8, Addr: 0x800000000000 & 0xffff88800000, Values: []uint64{0xaaaa, 0xbbbb}}
	want.Addr = 0xffff88800000
	if !reflect.DeepEqual(recs[2], want) {
		t.Errorf("struct record:\n got %+v\nwant %+v", recs[2], want)
	}
	if recs[4].Kind != KindRet || recs[4].Size != 4 || recs[4].Values[0] != 0xfffffff2 {
		t.Errorf("ret record: %+v", recs[4])
	}
	wantStats := Stats{Path: "test.kcdf", Layout: LayoutA, Words: 21, CounterValid: true, FileWords: 64,
		Capacity: 64, Records: 5, RecordWords: 21, Entries: 3, Rets: 2, MaxRecordWords: 5, Segments: 1, FirstSeq: 1, LastSeq: 5}
	if !reflect.DeepEqual(*st, wantStats) {
		t.Errorf("stats:\n got %+v\nwant %+v", *st, wantStats)
	}
}

func TestDecodeLayoutB(t *testing.T) {
	b := area(0,
		recB(KindEntry, 1, 0xffffffff81234560, 0, 4, 0, 0x4),
		recB(KindCmp, 2, 0xffffffff81234570, 0, 8, 1|3<<1, 0x10, 0x20),
		recB(KindEntry, 3, 0xffffffff81234600, 2, 0, 0, 0), // optimised out
		recB(KindRet, 4, 0xffffffff81234560, 0, 8, 0, 0),
	)
	recs, st, err := decodeAll(t, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Layout != LayoutB || st.Records != 4 || st.Cmps != 1 || st.Capacity != 0 || st.Saturated {
		t.Errorf("stats %+v", st)
	}
	if c := recs[1]; c.Kind != KindCmp || c.Addr != 7 || !reflect.DeepEqual(c.Values, []uint64{0x10, 0x20}) {
		t.Errorf("compare record %+v", c)
	}
	if recs[2].ArgIdx != 2 || recs[2].Size != 0 {
		t.Errorf("optimised-out argument %+v", recs[2])
	}
}

func TestDecodeAccounting(t *testing.T) {
	rec := func(seq uint32) []uint64 { return recA(KindEntry, seq, pcF, 0, 8, 0, uint64(seq)) }
	tests := []struct {
		name  string
		input []byte
		check func(t *testing.T, recs []Record, st *Stats)
	}{
		{"segments", area(0, rec(5), rec(6), rec(1), rec(2), rec(1)), func(t *testing.T, recs []Record, st *Stats) {
			if st.Segments != 3 || st.FirstSeq != 5 || st.LastSeq != 1 || recs[4].Segment != 2 {
				t.Errorf("segments %d first %d last %d", st.Segments, st.FirstSeq, st.LastSeq)
			}
		}},
		{"torn tail", func() []byte {
			b := area(32, rec(1), rec(2), []uint64{0, 0, 0, 0})
			return b
		}(), func(t *testing.T, recs []Record, st *Stats) {
			if len(recs) != 2 || !st.Torn || st.TornWords != 4 || st.DamagedWords != 0 {
				t.Errorf("records %d, torn %v %d, damaged %d", len(recs), st.Torn, st.TornWords, st.DamagedWords)
			}
		}},
		{"damage then resync", area(0, rec(1), []uint64{0xdeadbeefdeadbeef, 7}, rec(2), rec(3)), func(t *testing.T, recs []Record, st *Stats) {
			if len(recs) != 3 || st.DamagedWords != 2 || st.DamageEvents != 1 || st.Torn {
				t.Errorf("records %d damaged %d events %d torn %v", len(recs), st.DamagedWords, st.DamageEvents, st.Torn)
			}
			if len(st.Problems) != 1 || st.Problems[0].Offset != 5 || !strings.Contains(st.Problems[0].Msg, "layout-A header") {
				t.Errorf("problems %v", st.Problems)
			}
		}},
		{"saturated", area(14, rec(1), rec(2), rec(3)), func(t *testing.T, recs []Record, st *Stats) {
			if st.Capacity != 14 || !st.Saturated {
				t.Errorf("capacity %d saturated %v", st.Capacity, st.Saturated)
			}
		}},
		{"not saturated", area(18, rec(1), rec(2), rec(3)), func(t *testing.T, recs []Record, st *Stats) {
			if st.Capacity != 18 || st.Saturated {
				t.Errorf("capacity %d saturated %v", st.Capacity, st.Saturated)
			}
		}},
		{"file shorter than counter", area(0, rec(1), rec(2), rec(3))[:8*7], func(t *testing.T, recs []Record, st *Stats) {
			if len(recs) != 1 || st.MissingWords != 6 || st.FileWords != 7 || st.TornWords != 2 {
				t.Errorf("records %d missing %d file %d torn %d", len(recs), st.MissingWords, st.FileWords, st.TornWords)
			}
		}},
		{"counter all ones", func() []byte {
			b := area(0, rec(1), rec(2))
			binary.LittleEndian.PutUint64(b, ^uint64(0))
			return append(b, make([]byte, 80)...)
		}(), func(t *testing.T, recs []Record, st *Stats) {
			if len(recs) != 2 || st.CounterValid || st.Torn || len(st.Problems) != 1 {
				t.Errorf("records %d valid %v torn %v problems %v", len(recs), st.CounterValid, st.Torn, st.Problems)
			}
		}},
		{"trailing bytes", append(area(0, rec(1)), 1, 2, 3), func(t *testing.T, recs []Record, st *Stats) {
			if len(recs) != 1 || st.TrailingBytes != 3 {
				t.Errorf("records %d trailing %d", len(recs), st.TrailingBytes)
			}
		}},
		{"sixteen fields overflow the header", area(0, rec(1),
			recA(KindEntry, 2, pcG, 0, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17), rec(3)),
			func(t *testing.T, recs []Record, st *Stats) {
				if len(recs) != 2 || recs[1].Seq != 3 || st.DamagedWords != 20 {
					t.Errorf("records %d (last seq %d), damaged %d", len(recs), recs[len(recs)-1].Seq, st.DamagedWords)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, st, err := decodeAll(t, tt.input, Options{})
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, recs, st)
		})
	}
}

func TestDecodeEmpty(t *testing.T) {
	for _, in := range [][]byte{nil, {1, 2, 3}} {
		_, _, err := decodeAll(t, in, Options{})
		var fe *FormatError
		if !errors.As(err, &fe) || fe.File != "test.kcdf" || fe.Offset != 0 {
			t.Errorf("input %v: error %v, want a FormatError at word 0", in, err)
		}
	}
}

func TestDecodeForcedLayout(t *testing.T) {
	b := area(0, recA(KindEntry, 1, pcF, 0, 8, 0, 1))
	recs, st, _ := decodeAll(t, b, Options{Layout: LayoutB})
	if len(recs) != 0 || !st.LayoutForced || st.Layout != LayoutB || !st.Torn {
		t.Errorf("layout-A data read as B: %d records, %+v", len(recs), st)
	}
}

// TestDecodeLongRecord reads the longest record a buffer can hold, 3 +
// 65535 words, through a stream of unknown size: the window must grow.
func TestDecodeLongRecord(t *testing.T) {
	vals := make([]uint64, 65535)
	for i := range vals {
		vals[i] = uint64(i)
	}
	b := area(0, recB(KindEntry, 1, 0xffffffff81000000, 0, 8, 0x1000, 1), recB(KindEntry, 2, 0xffffffff81000000, 1, 8, 0x1000, vals...),
		recB(KindRet, 3, 0xffffffff81000000, 0, 8, 0, 7))
	recs, st, err := decodeAll(t, b, Options{})
	if err != nil || len(recs) != 3 || st.DamagedWords != 0 || len(recs[1].Values) != 65535 || recs[1].Values[65534] != 65534 {
		t.Fatalf("err %v, %d records, %+v", err, len(recs), st)
	}
}

// wordStream streams a 128 MiB buffer of scalar records without holding
// it: the counter, then records generated on the fly.
type wordStream struct {
	words, pos int64
	rec        []byte
}

func (s *wordStream) Read(p []byte) (int, error) {
	if s.pos >= s.words*WordBytes {
		return 0, io.EOF
	}
	n := 0
	for n+WordBytes <= len(p) && s.pos < s.words*WordBytes {
		w := s.pos / WordBytes
		var v uint64
		switch {
		case w == 0:
			v = uint64(s.words - 1)
		case (w-1)%4 == 0:
			v = HeaderA(KindEntry, 1, uint32((w-1)/4+1))
		case (w-1)%4 == 1:
			v = pcF
		case (w-1)%4 == 2:
			v = MetaA(0, 8, 0x1000)
		default:
			v = uint64(w)
		}
		binary.LittleEndian.PutUint64(p[n:], v)
		n += WordBytes
		s.pos += WordBytes
	}
	return n, nil
}

// TestDecodeBoundedMemory decodes the largest buffer the kernel allows
// through a stream and checks memory stays at the window's size.
func TestDecodeBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 128 MiB")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d := NewDecoder(&wordStream{words: MaxBufferWords}, "big", Options{})
	n := 0
	for d.Next() {
		n++
	}
	runtime.ReadMemStats(&after)
	if want := (MaxBufferWords - 1) / 4; n != want || d.Err() != nil {
		t.Fatalf("decoded %d records, want %d (%v)", n, want, d.Err())
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("decoding a 128 MiB buffer allocated %d bytes", alloc)
	}
}

// TestLooksLikeBuffer: text and random bytes are not buffers; every
// damaged or empty buffer still is.
func TestLooksLikeBuffer(t *testing.T) {
	call := recA(KindEntry, 1, pcF, 0, 8, 0, 7)
	noise := make([]byte, 4096)
	for i := range noise {
		noise[i] = byte(i*7919 + i>>3)
	}
	for _, c := range []struct {
		name string
		in   []byte
		not  string // the reason it is not a buffer; "" if it is one
	}{
		{"README", []byte("# kdf\n\nkdf is an offline analytics pipeline for kcov_dataflow trace buffers.\n"), "a counter of 0x6b0a0a66646b2023 words, above the 16777215"},
		{"noise", noise, "above the 16777215 a buffer holds"},
		{"all ones", bytes.Repeat([]byte{0xff}, 512), "a counter of 0xffffffffffffffff words"},
		{"counter beyond the file", buf(1000, 5, 6, 7), "it counts 1000 words where the file holds 3"},
		{"counter alone", buf(5), "it counts 5 words where the file holds 0"},
		{"empty buffer", buf(0), ""},
		{"empty mapping", make([]byte, 4096), ""},
		{"one record", area(0, call), ""},
		{"counter beyond the file, a record", append(buf(1000), area(0, call)[8:]...), ""},
		{"counter above the maximum, a record", append(buf(1<<63), area(0, call)[8:]...), ""},
		{"torn", buf(3, HeaderA(KindEntry, 1, 1), pcF, 0), ""},
	} {
		_, st, err := decodeAll(t, c.in, Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		err = st.LooksLikeBuffer()
		var fe *FormatError
		switch {
		case c.not == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.not != "" && (!errors.As(err, &fe) || fe.File != "test.kcdf" || !strings.Contains(err.Error(), "not a kcov_dataflow buffer: ") || !strings.Contains(err.Error(), c.not)):
			t.Errorf("%s: %v, want a FormatError saying %q", c.name, err, c.not)
		}
	}
}
