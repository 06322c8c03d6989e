package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kdf-tools/kdf/ingest"
)

// decode measures decoding alone, the floor of ingest's cost: each
// buffer of the campaign read into memory, then decoded in place on one
// core; only the decoding is timed.
func (b *bench) decode(camp string, n int) error {
	var files []string
	err := filepath.WalkDir(camp, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".kcdf") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return err
	}
	r := &result{Name: "decode alone, 1 core", Size: n}
	for range b.repeat {
		var records, size int64
		var secs float64
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			start := time.Now()
			d := ingest.NewDecoderBytes(data, "bench", ingest.Options{})
			for d.Next() {
				records++
			}
			secs += time.Since(start).Seconds()
			size += int64(len(data))
		}
		r.Records, r.Bytes = records, size
		r.Seconds = append(r.Seconds, secs)
		r.CPUSeconds = append(r.CPUSeconds, secs)
	}
	b.results = append(b.results, r)
	return nil
}
