package ingest

import (
	"bytes"
	"reflect"
	"testing"
	"unsafe"
)

func FuzzDecode(f *testing.F) {
	rec := func(seq uint32) []uint64 { return recA(KindEntry, seq, pcF, 0, 8, 0, uint64(seq)) }
	f.Add(area(0, rec(1), rec(2)), byte(0))
	f.Add(area(32, rec(1), recA(KindRet, 2, pcF, 0, 4, 0, 0xfffffff2)), byte(0))
	f.Add(area(0, recA(KindEntry, 1, pcG, 0, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17), rec(2)), byte(0))
	f.Add(area(0, recB(KindCmp, 1, 0xffffffff81000000, 0, 8, 7, 1, 2), recB(KindEntry, 2, 0xffffffff81000100, 1, 4, 0, 3)), byte(2))
	f.Add(buf(^uint64(0), 0xe1000001, pcF, 1), byte(1))
	f.Add([]byte{1, 2, 3}, byte(0))
	f.Fuzz(func(t *testing.T, in []byte, layout byte) {
		opt := Options{Layout: []Layout{LayoutUnknown, LayoutA, LayoutB}[int(layout)%3]}
		if layout&4 != 0 {
			opt.Size = int64(len(in))
		}
		d := NewDecoder(bytes.NewReader(in), "fuzz", opt)
		if layout&8 != 0 {
			d = NewDecoderBytes(in, "fuzz", opt)
		}
		prevEnd := int64(1)
		for d.Next() {
			r := d.Record()
			if r.Offset < prevEnd || r.Words() < RecordFixed+1 || r.PC == 0 {
				t.Fatalf("record at word %d (previous ended at %d): %+v", r.Offset, prevEnd, r)
			}
			prevEnd = r.Offset + r.Words()
			if prevEnd*WordBytes > int64(len(in)) {
				t.Fatalf("record at word %d reaches past the input", r.Offset)
			}
		}
		st := d.Stats()
		if d.Err() != nil {
			if len(in) >= WordBytes {
				t.Fatalf("error on a buffer with a counter: %v", d.Err())
			}
			return
		}
		if err := st.Check(); err != nil {
			t.Fatal(err)
		}
		if st.CounterValid && prevEnd > 1+int64(st.Words) {
			t.Fatalf("decoded past the counted words: %d > %d", prevEnd, 1+st.Words)
		}
		// Values read in place (aligned words) and copied (the same bytes
		// one byte off alignment) decode alike.
		words := make([]uint64, len(in)/WordBytes+1)
		inPlace := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), len(words)*WordBytes)[:len(in)]
		copy(inPlace, in)
		aligned, alignedStats := decodeBytes(inPlace, opt)
		shifted := make([]byte, len(in)+1)[1:]
		copy(shifted, in)
		copied, copiedStats := decodeBytes(shifted, opt)
		if !reflect.DeepEqual(aligned, copied) || !reflect.DeepEqual(alignedStats, copiedStats) {
			t.Fatalf("in place and copied decodes differ:\n%+v\n%+v", aligned, copied)
		}
	})
}

// decodeBytes decodes in memory and returns the records, cloned, and
// the accounting.
func decodeBytes(in []byte, opt Options) ([]Record, Stats) {
	d := NewDecoderBytes(in, "fuzz", opt)
	var out []Record
	for d.Next() {
		out = append(out, d.Record().Clone())
	}
	return out, *d.Stats()
}
