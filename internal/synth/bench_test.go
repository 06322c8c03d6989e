package synth

import (
	"testing"

	"github.com/kdf-tools/kdf/ingest"
)

// BenchmarkProgram generates programs of about 100,000 hooks.
func BenchmarkProgram(b *testing.B) {
	for _, l := range []ingest.Layout{ingest.LayoutA, ingest.LayoutB} {
		b.Run(l.String(), func(b *testing.B) {
			k := NewKernel(1, Options{})
			w, _ := NewWriter(l, 1<<20)
			records := 0
			for i := 0; b.Loop(); i++ {
				p := mustRun(b, k.Boot(0), w, ProgramConfig{Seed: uint64(i), Syscalls: 1, Callbacks: 100_000, Compare: true})
				records += p.Stats.Records
			}
			b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkCampaign10M generates BenchConfig(10M) in memory (run it with
// -benchtime=1x); WriteCampaign adds the file writes.
func BenchmarkCampaign10M(b *testing.B) {
	for b.Loop() {
		c, err := NewCampaign(BenchConfig(10_000_000))
		if err != nil {
			b.Fatal(err)
		}
		records := 0
		boots := c.Boots()
		for i := range boots {
			err := c.RunBoot(&boots[i], false, func(buf *Buffer) error {
				records += buf.Program.Stats.Records
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		if records < 10_000_000 {
			b.Fatalf("%d records", records)
		}
		b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	}
}

// BenchmarkWriter is the kernel writer alone.
func BenchmarkWriter(b *testing.B) {
	w, _ := NewWriter(ingest.LayoutA, 1<<20)
	cb := Callback{Kind: ingest.KindEntry, PC: testPC, Size: 8, Ptr: testStack, Mem: []uint64{42}}
	for b.Loop() {
		if !w.Write(&cb) {
			w.ResetCounter()
		}
	}
}
