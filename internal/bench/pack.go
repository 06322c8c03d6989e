package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/kdf-tools/kdf/internal/synth"
)

// Campaigns are often shipped as one compressed archive, which kdf
// decompresses twice (its metadata first, then its members). The
// archive cases ingest the 370-record campaign packed as one .tar.zst
// and one .tar.gz in the same rounds as its directory, so that what an
// archive costs is a ratio measured side by side.

// archiveKinds are the packings measured, as file name suffixes.
var archiveKinds = []string{"tar.zst", "tar.gz"}

// packCampaign packs the campaign directory dir into dir.KIND once,
// again when the campaign was generated since, and returns its path.
func packCampaign(dir, kind string) (string, error) {
	out := dir + "." + kind
	if a, err := os.Stat(out); err == nil {
		if g, err := os.Stat(dir + ".gen"); err == nil && !a.ModTime().Before(g.ModTime()) {
			return out, nil
		}
	}
	f, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".*")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	var z io.WriteCloser
	switch kind {
	case "tar.zst":
		z, err = zstd.NewWriter(f, zstd.WithEncoderLevel(zstd.SpeedDefault))
	case "tar.gz":
		z, err = gzip.NewWriterLevel(f, 6)
	default:
		err = fmt.Errorf("no packing %q", kind)
	}
	if err != nil {
		f.Close()
		return "", err
	}
	if err := synth.WriteTar(z, dir, dir); err != nil {
		f.Close()
		return "", fmt.Errorf("packing %s: %w", dir, err)
	}
	if err := z.Close(); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return out, os.Rename(f.Name(), out)
}

// printArchives sets each archive case beside its campaign's directory.
func (b *bench) printArchives(w io.Writer) {
	var dir *result
	var packed []*result
	for _, r := range b.results {
		switch {
		case r.Name != ingestName || len(r.Seconds) == 0:
		case r.Archive != "":
			packed = append(packed, r)
		case r.Case == archivedCase:
			dir = r
		}
	}
	if dir == nil || len(packed) == 0 {
		return
	}
	fmt.Fprintf(w, "\narchives: the campaign of %s, packed as one archive, against its directory in the same rounds\n", archivedCase)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "source\tseconds median [min-max]\tCPU s\tM records/s\tvs directory\tpeak RSS MiB [min-max]\t")
	for _, r := range append([]*result{dir}, packed...) {
		src, vs := "directory", "-"
		if r != dir {
			src, vs = "one ."+r.Archive, fmt.Sprintf("%.2f", r.rate()/dir.rate())
		}
		fmt.Fprintf(tw, "%s\t%.2f [%.2f-%.2f]\t%.2f\t%.2f\t%s\t%s\t\n", src,
			r.median(), slices.Min(r.Seconds), slices.Max(r.Seconds), median(r.CPUSeconds), r.rate()/1e6, vs, rss(r.PeakRSS))
	}
	tw.Flush()
}
