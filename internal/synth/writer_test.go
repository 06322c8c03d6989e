package synth

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/kdf-tools/kdf/ingest"
)

const (
	testPC    = 0xffffffffa1234560 // runtime
	testKASLR = 0x20000000
	testStack = 0xffffc90000123f00
	testHeap  = 0xffff888012345678
)

func newTestWriter(t *testing.T, l ingest.Layout, capacity int) *Writer {
	t.Helper()
	w, err := NewWriter(l, capacity)
	if err != nil {
		t.Fatal(err)
	}
	w.SetKASLROffset(testKASLR)
	return w
}

func mustWrite(t *testing.T, w *Writer, cb Callback) {
	t.Helper()
	if !w.Write(&cb) {
		t.Fatalf("record %+v did not fit at area[0]=%d", cb, w.Words())
	}
}

func wantArea(t *testing.T, w *Writer, want ...uint64) {
	t.Helper()
	if got := w.Area()[:len(want)]; !slices.Equal(got, want) {
		t.Fatalf("area\n got %#x\nwant %#x", got, want)
	}
}

// twoArgCall writes f(int fd = -14, u64 count = 0x1000) returning 0x1000.
func twoArgCall(t *testing.T, w *Writer) {
	mustWrite(t, w, Callback{Kind: ingest.KindEntry, PC: testPC, ArgIdx: 0, Size: 4, Ptr: testStack,
		Mem: []uint64{0xfffffffffffffff2}})
	mustWrite(t, w, Callback{Kind: ingest.KindEntry, PC: testPC, ArgIdx: 1, Size: 8, Ptr: testStack + 8,
		Mem: []uint64{0x1000}})
	mustWrite(t, w, Callback{Kind: ingest.KindRet, PC: testPC, ArgIdx: 7, Size: 8, Ptr: testStack - 8,
		Mem: []uint64{0x1000}})
}

func TestWriterLayoutATwoArgCall(t *testing.T) {
	w := newTestWriter(t, ingest.LayoutA, 64)
	twoArgCall(t, w)
	wantArea(t, w, 12,
		0xE1000001, testPC, 0x0004c90000123f00, 0xfffffff2, // int -14 zero-extended
		0xE1000002, testPC, 0x0108c90000123f08, 0x1000,
		0xF1000003, testPC, 0x0008c90000123ef8, 0x1000, // RET: index 0 whatever is passed
	)
}

func TestWriterLayoutBTwoArgCall(t *testing.T) {
	w := newTestWriter(t, ingest.LayoutB, 64)
	twoArgCall(t, w)
	pc := uint64(testPC - testKASLR)
	wantArea(t, w, 12,
		0x00040001E0000001, pc, 0, 0xfffffff2, // by value: no address
		0x01080001E0000002, pc, 0, 0x1000,
		0x00080001F0000003, pc, 0, 0x1000,
	)
}

var pairStruct = Callback{Kind: ingest.KindEntry, PC: testPC, ArgIdx: 2, Size: 16, Ptr: testHeap,
	Fields: []uint8{4, 4, 8}, Mem: []uint64{0x10000aaaa, 0xbbbb, 0x123456789}}

func TestWriterStruct(t *testing.T) {
	a := newTestWriter(t, ingest.LayoutA, 64)
	mustWrite(t, a, pairStruct)
	wantArea(t, a, 6, 0xE3000001, testPC, 0x0210888012345678, 0xaaaa, 0xbbbb, 0x123456789)

	b := newTestWriter(t, ingest.LayoutB, 64)
	mustWrite(t, b, pairStruct)
	wantArea(t, b, 6, 0x02100003E0000001, testPC-testKASLR, testHeap, 0xaaaa, 0xbbbb, 0x123456789)
}

func TestWriterUnreadable(t *testing.T) {
	errp := uint64(0xfffffffffffffff2) // ERR_PTR(-EFAULT)
	for _, tc := range []struct {
		name string
		cb   Callback
		want []uint64 // meta and values
	}{
		{"struct ERR_PTR", Callback{Ptr: errp, Size: 8, Fields: []uint8{4, 8}, Mem: []uint64{1, 2}},
			[]uint64{0x0008fffffffffff2, ingest.FaultMarker, ingest.FaultMarker}},
		{"struct NULL", Callback{Ptr: 0, Size: 8, Fields: []uint8{4, 8}, Mem: []uint64{1, 2}},
			[]uint64{0x0008000000000000, 0, 0}},
		{"struct user", Callback{Ptr: 0x20000040, Size: 8, Fields: []uint8{4, 8}, Mem: []uint64{1, 2}, Unreadable: true},
			[]uint64{0x0008000020000040, 0, 0}},
		{"scalar NULL", Callback{Ptr: 0, Size: 4, Mem: []uint64{5}}, []uint64{0x0004000000000000, 0}},
		{"scalar ERR_PTR", Callback{Ptr: errp, Size: 4, Mem: []uint64{5}}, []uint64{0x0004fffffffffff2, 0}},
		{"scalar optimised out", Callback{Ptr: testStack, Size: 4, Mem: []uint64{5}, OptimizedOut: true},
			[]uint64{0x0004000000000000, 0}},
		{"scalar size 2", Callback{Ptr: testStack, Size: 2, Mem: []uint64{0xabcdef}}, []uint64{0x0002c90000123f00, 0xcdef}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newTestWriter(t, ingest.LayoutA, 16)
			cb := tc.cb
			cb.Kind, cb.PC = ingest.KindEntry, testPC
			mustWrite(t, w, cb)
			if got := w.Area()[3 : 3+len(tc.want)]; !slices.Equal(got, tc.want) {
				t.Errorf("meta and values %#x, want %#x", got, tc.want)
			}
		})
	}
}

func TestWriterLayoutBSpecials(t *testing.T) {
	w := newTestWriter(t, ingest.LayoutB, 64)
	mustWrite(t, w, Callback{Kind: ingest.KindCmp, PC: testPC + 0x40, Size: 4, Const: true,
		Mem: []uint64{0x1_0000_0007, 0xffffffffffffffea}})
	mustWrite(t, w, Callback{Kind: ingest.KindEntry, PC: testPC, ArgIdx: 300, Size: 300, Ptr: testHeap,
		Fields: []uint8{8}, Mem: []uint64{9}})
	mustWrite(t, w, Callback{Kind: ingest.KindEntry, PC: testPC, ArgIdx: 1, Size: 8, Mem: []uint64{9}, OptimizedOut: true})
	wantArea(t, w, 13,
		0x00040002C0000001, testPC+0x40-testKASLR, 5, 7, 0xffffffea, // KCOV_CMP_SIZE(2)|CONST
		0xFFFF0001E0000002, testPC-testKASLR, testHeap, 9, // index and size clamped to 255
		0x01000001E0000003, testPC-testKASLR, 0, 0, // size 0: optimised out
	)
	if got := cmpType(8, false); got != 6 {
		t.Errorf("cmpType(8) = %d, want 6", got)
	}
}

func scalar(argIdx uint32) Callback {
	return Callback{Kind: ingest.KindEntry, PC: testPC, ArgIdx: argIdx, Size: 8, Ptr: testStack, Mem: []uint64{0x42}}
}

func TestWriterDropThenSmallerFits(t *testing.T) {
	w := newTestWriter(t, ingest.LayoutA, 12)
	mustWrite(t, w, pairStruct) // words 1..6
	big := pairStruct
	if w.Write(&big) { // 1+6+6 > 12
		t.Fatal("a 6-word record fit in 5 free words")
	}
	wantArea(t, w, 6)
	mustWrite(t, w, scalar(1)) // 1+6+4 <= 12, and the drop left no gap in seq
	wantArea(t, w, 10, 0xE3000001, testPC, 0x0210888012345678, 0xaaaa, 0xbbbb, 0x123456789,
		0xE1000002, testPC, 0x0108c90000123f00, 0x42)
	one := scalar(2)
	if w.Write(&one) || w.Words() != 10 {
		t.Fatalf("a 4-word record fit in 1 free word; area[0] = %d", w.Words())
	}
	if w.Seq() != 2 {
		t.Errorf("seq %d after two writes and two drops", w.Seq())
	}
}

func TestWriterTornTail(t *testing.T) {
	w := newTestWriter(t, ingest.LayoutA, 10)
	mustWrite(t, w, scalar(0))
	if !w.Tear(1) {
		t.Fatal("tear did not fit")
	}
	wantArea(t, w, 8, 0xE1000001, testPC, 0x0008c90000123f00, 0x42, 0, 0, 0, 0)
	if got := len(w.Bytes(false)); got != 9*8 {
		t.Errorf("trimmed dump of %d bytes, want 72", got)
	}
	if w.Tear(1) {
		t.Error("a second torn record fit in 1 free word")
	}
}

func TestWriterWideStructCorruptsLayoutAHeader(t *testing.T) {
	for _, tc := range []struct {
		fields int
		header uint64
	}{
		{15, 0xEF000001}, // the widest that stays an entry
		{16, 0xF0000001}, // reads as a RET with count 0
		{17, 0xF1000001}, // reads as a RET with one value
		{256, 0x1E0000001},
	} {
		w := newTestWriter(t, ingest.LayoutA, 3+1+256)
		cb := Callback{Kind: ingest.KindEntry, PC: testPC, Size: 64, Ptr: testHeap,
			Fields: make([]uint8, tc.fields), Mem: make([]uint64, tc.fields)}
		mustWrite(t, w, cb)
		if got := w.Area()[1]; got != tc.header {
			t.Errorf("%d fields: header %#x, want %#x", tc.fields, got, tc.header)
		}
		if w.Words() != 3+tc.fields {
			t.Errorf("%d fields: %d words", tc.fields, w.Words())
		}
	}
}

func TestWriterEnableRestartsSeq(t *testing.T) {
	w := newTestWriter(t, ingest.LayoutB, 64)
	mustWrite(t, w, scalar(0))
	mustWrite(t, w, scalar(1))
	w.Enable() // a forked child re-enables on the inherited fd
	mustWrite(t, w, scalar(0))
	wantArea(t, w, 12)
	if got := w.Area()[9]; got != 0x00080001E0000001 {
		t.Errorf("header after Enable %#x, want seq 1 again", got)
	}
}

func TestWriterResetCounter(t *testing.T) {
	w := newTestWriter(t, ingest.LayoutA, 16)
	mustWrite(t, w, scalar(0))
	mustWrite(t, w, scalar(1))
	w.ResetCounter()
	mustWrite(t, w, scalar(2))
	// The counter restarts, the sequence does not; the second record stays
	// behind as stale words in a full dump.
	wantArea(t, w, 4, 0xE1000003, testPC, 0x0208c90000123f00, 0x42, 0xE1000002)
	full := w.Bytes(true)
	if len(full) != 16*8 || binary.LittleEndian.Uint64(full[5*8:]) != 0xE1000002 {
		t.Errorf("full dump lost the stale record: % x", full[:48])
	}
	if len(w.Bytes(false)) != 5*8 {
		t.Errorf("trimmed dump of %d bytes, want 40", len(w.Bytes(false)))
	}
}

func TestWriterExactFit(t *testing.T) {
	w := newTestWriter(t, ingest.LayoutA, 5)
	mustWrite(t, w, scalar(0)) // 1 + 4 == capacity
	if _, err := NewWriter(ingest.LayoutA, 1); err == nil {
		t.Error("capacity 1 accepted")
	}
	if _, err := NewWriter(ingest.LayoutUnknown, 16); err == nil {
		t.Error("unknown layout accepted")
	}
}
