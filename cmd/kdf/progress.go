package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/kdf-tools/kdf/internal/pipeline"
)

// progress draws one status line on stderr while it is a terminal,
// redrawn four times a second; the returned function erases it, for
// the summary to take its place.
func (o *ingestOptions) progress(w io.Writer, p *pipeline.Progress) func() {
	f, ok := w.(*os.File)
	if o.quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return func() {}
	}
	p.Estimate = true
	start := time.Now()
	draw := func() {
		width, _, err := term.GetSize(int(f.Fd()))
		if err != nil || width < 20 {
			width = 80
		}
		fmt.Fprintf(w, "\r%s\x1b[K", progressLine(p, time.Since(start), width-1))
	}
	done, stopped := make(chan struct{}), make(chan struct{})
	draw()
	go func() {
		defer close(stopped)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				draw()
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
		fmt.Fprint(w, "\r\x1b[K")
	}
}

// progressLine is the status of an ingest after elapsed, cut to width:
// inputs, the bytes read of the bytes expected and the share, the
// record rate, and the time left at the bytes' rate so far.
func progressLine(p *pipeline.Progress, elapsed time.Duration, width int) string {
	files, bytes, total := p.Files.Load(), p.Bytes.Load(), p.TotalBytes.Load()
	secs := elapsed.Seconds()
	var b strings.Builder
	fmt.Fprintf(&b, "ingesting: %d inputs, %s", files, megabytes(bytes))
	if total > 0 {
		fmt.Fprintf(&b, " of %s (%d%%)", megabytes(total), min(100, bytes*100/total))
	}
	if secs > 0 {
		fmt.Fprintf(&b, ", %.2fM records/s", float64(p.Records.Load())/secs/1e6)
	}
	if total > bytes && bytes > 0 && secs >= 1 {
		left := time.Duration(float64(total-bytes) / (float64(bytes) / secs) * float64(time.Second))
		fmt.Fprintf(&b, ", %s left", left.Round(time.Second))
	}
	line := b.String()
	if len(line) > width {
		line = line[:width] // ASCII only
	}
	return line
}

func megabytes(n int64) string {
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}
