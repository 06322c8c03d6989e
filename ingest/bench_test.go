package ingest

import (
	"bytes"
	"testing"
)

// benchBuffer is a full 128 MiB-class buffer of plain scalar records,
// the common case of a campaign.
func benchBuffer(layout Layout, records int) []byte {
	words := make([]uint64, 1, 1+4*records)
	for i := range records {
		seq := uint32(i + 1)
		pc := uint64(pcF) + uint64(i%64)*0x40
		switch layout {
		case LayoutA:
			words = append(words, recA(KindEntry, seq, pc, uint8(i%4), 8, 0x1000, uint64(i))...)
		default:
			words = append(words, recB(KindEntry, seq, pc, uint8(i%4), 8, 0x1000, uint64(i))...)
		}
	}
	words[0] = uint64(len(words) - 1)
	return buf(words...)
}

// BenchmarkDecode decodes plain scalar records: in memory (a mapped
// file, what ingest reads) and through a stream (an archive member).
func BenchmarkDecode(b *testing.B) {
	for _, layout := range []Layout{LayoutA, LayoutB} {
		for _, stream := range []bool{false, true} {
			name := "layout=" + layout.String() + "/mapped"
			if stream {
				name = "layout=" + layout.String() + "/stream"
			}
			b.Run(name, func(b *testing.B) { benchDecode(b, layout, stream) })
		}
	}
}

func benchDecode(b *testing.B, layout Layout, stream bool) {
	const records = 1 << 20
	in := benchBuffer(layout, records)
	b.SetBytes(int64(len(in)))
	b.ResetTimer()
	for range b.N {
		d := NewDecoderBytes(in, "bench", Options{})
		if stream {
			d = NewDecoder(bytes.NewReader(in), "bench", Options{Size: int64(len(in))})
		}
		n := 0
		for d.Next() {
			n++
		}
		if n != records {
			b.Fatalf("decoded %d records, want %d", n, records)
		}
	}
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
