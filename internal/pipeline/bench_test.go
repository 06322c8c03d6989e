package pipeline

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/internal/synth"
	"github.com/kdf-tools/kdf/schema"
	"github.com/kdf-tools/kdf/transform/symbolize"
	"github.com/kdf-tools/kdf/transform/types"
)

// benchBuffer is one generated buffer with what symbolizes and names it.
type benchBuffer struct {
	data []byte
	syms map[ingest.Layout]*symbolize.Symbolizer
}

// benchBuffers generates about n records of a campaign in memory, with
// each boot's symbol tables and the kernel's types.
func benchBuffers(b *testing.B, n int) ([]benchBuffer, *types.Source) {
	b.Helper()
	c, err := synth.NewCampaign(synth.BenchConfig(n))
	if err != nil {
		b.Fatal(err)
	}
	src, err := c.Kernel().Types()
	if err != nil {
		b.Fatal(err)
	}
	sm, err := symbolize.ParseSystemMap(bytes.NewReader(c.Kernel().SystemMap()), "System.map")
	if err != nil {
		b.Fatal(err)
	}
	var out []benchBuffer
	for _, br := range c.Boots() {
		ks, err := symbolize.ParseKallsyms(bytes.NewReader(br.Booted.Kallsyms(false)), "kallsyms")
		if err != nil {
			b.Fatal(err)
		}
		syms := map[ingest.Layout]*symbolize.Symbolizer{}
		for _, l := range []ingest.Layout{ingest.LayoutA, ingest.LayoutB} {
			if syms[l], err = symbolize.New(symbolize.Config{Runtime: ks, LinkTime: sm, PCs: symbolize.PCSpaceOf(l)}); err != nil {
				b.Fatal(err)
			}
		}
		err = c.RunBoot(&br, false, func(buf *synth.Buffer) error {
			out = append(out, benchBuffer{data: buf.Program.Bytes, syms: syms})
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return out, src
}

// BenchmarkProcess measures decoding, symbolizing, pairing and building
// the Arrow batches of generated buffers, without and with names from
// the kernel's BTF: the cost of naming is the difference.
func BenchmarkProcess(b *testing.B) {
	bufs, src := benchBuffers(b, 500_000)
	for _, tc := range []struct {
		name  string
		types *types.Source
	}{{"no-names", nil}, {"names", src}} {
		b.Run(tc.name, func(b *testing.B) {
			var records int64
			p := NewProcessor(memory.DefaultAllocator, 64<<10, func(_ *schema.Table, rec arrow.RecordBatch) error {
				rec.Release()
				return nil
			})
			p.LendBatches() // as ingest does
			b.ResetTimer()
			for b.Loop() {
				for i := range bufs {
					bb := &bufs[i]
					out, err := p.Process(&Buffer{RunID: int64(i + 1), Data: bb.data, Types: tc.types,
						Symbols: func(l ingest.Layout) *symbolize.Symbolizer { return bb.syms[l] }})
					if err != nil {
						b.Fatal(err)
					}
					if out.Names != nil {
						out.Names.names()
					}
					records += out.Stats.Records
				}
				if err := p.Flush(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
