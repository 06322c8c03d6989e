package part

import (
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/kdf-tools/kdf/schema"
)

// benchBatchRows is the batch size the ingest hands the writer.
const benchBatchRows = 64 << 10

// benchBatches are a million realistic records (16 batches, about ten
// runs), made once and cycled: each op writes the next batch.
var benchBatches = sync.OnceValue(func() []arrow.RecordBatch {
	g := newRecordGen(1)
	recs := make([]arrow.RecordBatch, 16)
	for i := range recs {
		recs[i] = g.batch(memory.DefaultAllocator, benchBatchRows)
	}
	return recs
})

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// BenchmarkWriteRecords writes one part of b.N batches of 64K records
// (run with -benchtime=153x for 10M records) and reports rows/s, rows
// per CPU second of the process (what a busy machine disturbs least;
// -1 where the platform does not tell) and the part's bytes per row,
// footer included.
func BenchmarkWriteRecords(b *testing.B) {
	for _, c := range []Compression{Zstd, Snappy} {
		b.Run(c.String(), func(b *testing.B) {
			recs := benchBatches()
			out := &countingWriter{}
			w, err := NewWriter(out, schema.Records, Options{Compression: c})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for i := range b.N {
				if err := w.Write(recs[i%len(recs)]); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			cpu = cpuTime() - cpu
			b.StopTimer()
			rows := float64(b.N) * benchBatchRows
			b.ReportMetric(rows/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(rows/max(cpu, time.Nanosecond).Seconds(), "rows/cpu-s")
			b.ReportMetric(float64(out.n)/rows, "B/row")
		})
	}
}
