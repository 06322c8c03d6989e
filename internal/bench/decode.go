package main

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kdf-tools/kdf/ingest"
)

// Names of the decoding measurements, which the targets look up.
const (
	decodeInMemory = "decode alone, 1 core"
	decodeStream   = "read + decode, 1 core"
)

// decode measures decoding, the floor of ingest's cost, two ways on one
// core:
//
//   - alone: each buffer read into one reused buffer, then decoded in
//     place; only the decoding is timed. This is the decoder's own cost.
//   - read + decode: each file streamed through the decoder's window,
//     reads included, as ingest reads archive members.
//
// Buffers are not decoded straight from a mapping here: on the virtual
// machine this was measured on, a first pass over freshly mapped
// page-cache pages read about 1.5 GB/s, slower than decoding a warm
// buffer (about 2 GB/s). That is the memory system's cost, not the
// decoder's, and reading through a window that stays in cache avoids
// it.
func (b *bench) decode(camp string, n int) error {
	files, err := bufferFiles(camp)
	if err != nil {
		return err
	}
	alone := &result{Name: decodeInMemory, Size: n}
	stream := &result{Name: decodeStream, Size: n}
	// One untimed pass first: it sizes the reused buffer and faults its
	// pages in, so that the repeats time decoding, not first touches.
	var buf []byte
	for _, f := range files {
		if buf, err = readInto(buf, f); err != nil {
			return err
		}
		for d := ingest.NewDecoderBytes(buf, "bench", ingest.Options{}); d.Next(); {
		}
	}
	for range b.repeat {
		var records, size, streamed int64
		var secs, streamSecs float64
		for _, f := range files {
			if buf, err = readInto(buf, f); err != nil {
				return err
			}
			start := time.Now()
			d := ingest.NewDecoderBytes(buf, "bench", ingest.Options{})
			for d.Next() {
				records++
			}
			secs += time.Since(start).Seconds()
			size += int64(len(buf))

			start = time.Now()
			k, err := streamFile(f)
			if err != nil {
				return err
			}
			streamSecs += time.Since(start).Seconds()
			streamed += k
		}
		alone.Records, alone.Bytes = records, size
		alone.Seconds = append(alone.Seconds, secs)
		alone.CPUSeconds = append(alone.CPUSeconds, secs)
		stream.Records, stream.Bytes = streamed, size
		stream.Seconds = append(stream.Seconds, streamSecs)
		stream.CPUSeconds = append(stream.CPUSeconds, streamSecs)
	}
	b.results = append(b.results, alone, stream)
	return nil
}

// readInto reads the file into buf, grown as needed.
func readInto(buf []byte, name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return buf, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return buf, err
	}
	if int64(cap(buf)) < fi.Size() {
		buf = make([]byte, fi.Size())
	}
	buf = buf[:fi.Size()]
	_, err = io.ReadFull(f, buf)
	return buf, err
}

// streamFile decodes the file through the streaming decoder and
// returns its records.
func streamFile(name string) (int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	var records int64
	d := ingest.NewDecoder(f, "bench", ingest.Options{Size: fi.Size()})
	for d.Next() {
		records++
	}
	return records, nil
}

// bufferFiles lists the buffers kdf gen wrote in a campaign.
func bufferFiles(camp string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(camp, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".kcdf") {
			files = append(files, p)
		}
		return err
	})
	return files, err
}
