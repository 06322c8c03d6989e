package ingest_test

import (
	"testing"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/internal/synth"
)

// BenchmarkDecodeCampaign decodes a generated campaign of both layouts
// held in memory, as ingest does with mapped files: the records' mix of
// kinds, struct fields and compares of a real campaign.
func BenchmarkDecodeCampaign(b *testing.B) {
	c, err := synth.NewCampaign(synth.BenchConfig(1_000_000))
	if err != nil {
		b.Fatal(err)
	}
	var bufs [][]byte
	boots := c.Boots()
	for i := range boots {
		c.RunBoot(&boots[i], false, func(buf *synth.Buffer) error {
			bufs = append(bufs, buf.Program.Bytes)
			return nil
		})
	}
	b.ResetTimer()
	records, size := 0, 0
	for range b.N {
		for _, data := range bufs {
			d := ingest.NewDecoderBytes(data, "bench", ingest.Options{})
			for d.Next() {
				records++
			}
			size += len(data)
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(size)/b.Elapsed().Seconds()/1e6, "MB/s")
}
