package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/kdf-tools/kdf/internal/synth"
)

// Campaigns are often shipped as compressed archives, which kdf
// decompresses twice (their metadata first, then their members): one
// for the whole campaign, or one per boot as each VM leaves it. The
// archive cases ingest the 370-record campaign packed as one .tar.zst
// and one .tar.gz, and the many inputs as one .tar.zst per boot and one
// per program, in the same rounds as their directories, so that what an
// archive costs is a ratio measured side by side.

// archiveKinds are the packings of the whole campaign measured, as file
// name suffixes.
var archiveKinds = []string{"tar.zst", "tar.gz"}

// perBoot is the packing of a campaign as one .tar.zst per boot
// directory (boot=N.tar.zst, whose name still gives the boot).
const perBoot = "tar.zst per boot"

// perProgram is the packing of a campaign as one .tar.zst per program,
// its buffer and its manifest line, in its boot directory, as `tar |
// zstd` gives them: a stream whose frames do not say their size.
const perProgram = "tar.zst per program"

// packCampaign packs the campaign directory dir into dir.KIND once,
// again when the campaign was generated since, and returns its path.
func packCampaign(dir, kind string) (string, error) {
	out := dir + "." + kind
	if packed(dir, out) {
		return out, nil
	}
	return out, packDir(dir, out, kind)
}

// packed reports whether out was made after the campaign dir was
// generated.
func packed(dir, out string) bool {
	a, err := os.Stat(out)
	if err != nil {
		return false
	}
	g, err := os.Stat(dir + ".gen")
	return err == nil && !a.ModTime().Before(g.ModTime())
}

// packDir packs the directory dir into the archive out, of kind
// tar.zst or tar.gz, through a temporary file.
func packDir(dir, out, kind string) error {
	f, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".*")
	if err != nil {
		return err
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
		return err
	}
	if err := synth.WriteTar(z, dir, dir); err != nil {
		f.Close()
		return fmt.Errorf("packing %s: %w", dir, err)
	}
	if err := z.Close(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), out)
}

// packBoots copies the campaign dir into dir-boots with each boot=N
// directory packed as boot=N.tar.zst (see packPerBoot).
func packBoots(dir string) (string, int, error) {
	return packPerBoot(dir, "-boots", func(from, to string) (int, error) {
		return 1, packDir(from, to+".tar.zst", "tar.zst")
	})
}

// packPerBoot copies the campaign dir into dir+suffix once (again when
// the campaign was generated since), every file linked but those of its
// boot=N directories, which pack writes from the directory from for the
// path to; it returns the copy's path and the archives pack wrote.
func packPerBoot(dir, suffix string, pack func(from, to string) (int, error)) (string, int, error) {
	out := dir + suffix
	stamp := out + ".packed" // beside it: a file inside would be ingested
	if packed(dir, stamp) {
		n, err := os.ReadFile(stamp)
		k, _ := strconv.Atoi(string(n))
		return out, k, err
	}
	archives := 0
	err := linkCampaign(dir, out, func(_, from, to string) (bool, error) {
		if !strings.HasPrefix(filepath.Base(from), "boot=") {
			return false, nil
		}
		n, err := pack(from, to)
		archives += n
		return true, err
	})
	if err != nil {
		return "", 0, err
	}
	return out, archives, os.WriteFile(stamp, []byte(strconv.Itoa(archives)), 0o644)
}

// printArchives sets each archive case beside its campaign's directory.
func (b *bench) printArchives(w io.Writer) {
	var rows [][]*result // a directory, then its packings
	for _, r := range b.results {
		if r.Name != ingestName || len(r.Seconds) == 0 || r.Archive == "" {
			continue
		}
		dir := b.directoryOf(r)
		if dir == nil {
			continue
		}
		i := slices.IndexFunc(rows, func(row []*result) bool { return row[0] == dir })
		if i < 0 {
			rows, i = append(rows, []*result{dir}), len(rows)
		}
		rows[i] = append(rows[i], r)
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintln(w, "\narchives: campaigns packed, against their directories in the same rounds")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tsource\tarchives\tseconds median [min-max]\tCPU s\tM records/s\tvs directory\tpeak RSS MiB [min-max]\t")
	for _, row := range rows {
		dir := row[0]
		for _, r := range row {
			src, vs := "directory", "-"
			if r != dir {
				src, vs = "one ."+r.Archive, fmt.Sprintf("%.2f", r.rate()/dir.rate())
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.2f [%.2f-%.2f]\t%.2f\t%.2f\t%s\t%s\t\n", r.Case, src, r.Archives,
				r.median(), slices.Min(r.Seconds), slices.Max(r.Seconds), median(r.CPUSeconds), r.rate()/1e6, vs, rss(r.PeakRSS))
		}
	}
	tw.Flush()
}

// directoryOf returns the result of the directory an archive case
// packs, nil if it was not measured.
func (b *bench) directoryOf(r *result) *result {
	for _, d := range b.results {
		if d.Name == r.Name && d.Case == r.Case && d.Archive == "" && !d.Untyped && len(d.Seconds) > 0 {
			return d
		}
	}
	return nil
}

// packPrograms copies the campaign dir into dir-programs: in each
// boot=N directory, every buffer prog-K.kcdf becomes prog-K.tar.zst,
// holding the buffer and its line of the boot's manifest.jsonl (see
// packPerBoot).
func packPrograms(dir string) (string, int, error) {
	zw, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithWindowSize(2<<20), zstd.WithSingleSegment(false))
	if err != nil {
		return "", 0, err
	}
	defer zw.Close()
	return packPerBoot(dir, "-programs", func(from, to string) (int, error) { return packBootPrograms(zw, from, to) })
}

// packBootPrograms packs the boot directory from into to, one archive
// per buffer, and returns how many.
func packBootPrograms(zw *zstd.Encoder, from, to string) (int, error) {
	if err := os.Mkdir(to, 0o755); err != nil {
		return 0, err
	}
	lines := map[string][]byte{} // buffer -> its manifest line
	if m, err := os.ReadFile(filepath.Join(from, "manifest.jsonl")); err == nil {
		for _, line := range bytes.SplitAfter(m, []byte("\n")) {
			var l struct{ File string }
			if json.Unmarshal(line, &l) == nil && l.File != "" {
				lines[l.File] = line
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return 0, err
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		p := filepath.Join(from, e.Name())
		switch {
		case e.Name() == "manifest.jsonl":
		case filepath.Ext(e.Name()) != ".kcdf":
			if err := os.Link(p, filepath.Join(to, e.Name())); err != nil {
				return n, err
			}
		default:
			if err := packProgram(zw, p, lines[e.Name()], filepath.Join(to, strings.TrimSuffix(e.Name(), ".kcdf")+".tar.zst")); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// packProgram writes the buffer at p, and its manifest line if any, as
// the archive out.
func packProgram(zw *zstd.Encoder, p string, line []byte, out string) error {
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	zw.Reset(f)
	tw := tar.NewWriter(zw)
	add := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	err = add(filepath.Base(p), data)
	if err == nil && line != nil {
		err = add("manifest.jsonl", line)
	}
	err = errors.Join(err, tw.Close(), zw.Close())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
