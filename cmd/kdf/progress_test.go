package main

import (
	"strings"
	"testing"
	"time"

	"github.com/kdf-tools/kdf/internal/pipeline"
)

func TestProgressLine(t *testing.T) {
	var p pipeline.Progress
	p.Files.Store(120)
	p.Bytes.Store(250e6)
	p.TotalBytes.Store(1000e6)
	p.Records.Store(30e6)
	for _, tc := range []struct {
		elapsed time.Duration
		width   int
		want    string
	}{
		{10 * time.Second, 200, "ingesting: 120 inputs, 250.0 MB of 1000.0 MB (25%), 3.00M records/s, 30s left"},
		{10 * time.Second, 30, "ingesting: 120 inputs, 250.0 M"},
		{0, 200, "ingesting: 120 inputs, 250.0 MB of 1000.0 MB (25%)"},
	} {
		if got := progressLine(&p, tc.elapsed, tc.width); got != tc.want {
			t.Errorf("after %v in %d columns: %q, want %q", tc.elapsed, tc.width, got, tc.want)
		}
	}
	// The total is an estimate: an archive can hold more than expected.
	p.Bytes.Store(1200e6)
	if got := progressLine(&p, 10*time.Second, 200); !strings.Contains(got, "(100%)") || strings.Contains(got, "left") {
		t.Errorf("past the estimate: %q", got)
	}
}
