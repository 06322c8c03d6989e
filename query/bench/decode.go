package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kdf-tools/kdf/ingest"
)

// decode measures decoding alone, the floor of ingest's cost: every
// buffer of the campaign read into memory first, then decoded on one
// core.
func (b *bench) decode(camp string, n int) error {
	var bufs [][]byte
	err := filepath.WalkDir(camp, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".kcdf") {
			return err
		}
		data, err := os.ReadFile(p)
		bufs = append(bufs, data)
		return err
	})
	if err != nil {
		return err
	}
	r := &result{Name: "decode alone, 1 core", Size: n}
	for range b.repeat {
		var records, size int64
		start := time.Now()
		for _, data := range bufs {
			d := ingest.NewDecoderBytes(data, "bench", ingest.Options{})
			for d.Next() {
				records++
			}
			size += int64(len(data))
		}
		secs := time.Since(start).Seconds()
		r.Records, r.Bytes = records, size
		r.Seconds = append(r.Seconds, secs)
		r.CPUSeconds = append(r.CPUSeconds, secs)
	}
	b.results = append(b.results, r)
	return nil
}
