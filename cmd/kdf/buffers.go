package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/transform/symbolize"
	"github.com/kdf-tools/kdf/transform/types"
)

// bufferFlags are the options of every command that reads buffers.
type bufferFlags struct {
	layout    string
	kallsyms  string
	systemMap string
	kaslr     string
	btf       string
	vmlinux   string
}

func (b *bufferFlags) register(fs *flag.FlagSet, symbols bool) {
	fs.StringVar(&b.layout, "layout", "auto", "buffer layout: A (RFC v2), B (fork uAPI) or auto (detect per buffer)")
	if !symbols {
		return
	}
	fs.StringVar(&b.kallsyms, "kallsyms", "", "the boot's /proc/kallsyms snapshot")
	fs.StringVar(&b.systemMap, "system-map", "", "the kernel's System.map (link-time addresses)")
	fs.StringVar(&b.kaslr, "kaslr-offset", "", "the boot's KASLR offset in hex, instead of the one kallsyms and System.map give")
	fs.StringVar(&b.btf, "btf", "", "the kernel's BTF, naming arguments: a `FILE` as /sys/kernel/btf/vmlinux, or a directory laid out as /sys/kernel/btf (vmlinux and its modules)")
	fs.StringVar(&b.vmlinux, "vmlinux", "", "the kernel's vmlinux `FILE`, naming arguments from its .BTF section or its DWARF")
}

// types loads the type source the flags name, or def when they name
// none; nil without either. A module's BTF that cannot be read is
// said on stderr, the rest used.
func (b *bufferFlags) types(stderr io.Writer, def string) (*types.Source, error) {
	path, err := b.typesPath()
	if err != nil {
		return nil, err
	}
	if path == "" {
		if path = def; def == "" {
			return nil, nil
		}
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s does not exist (a kernel built without CONFIG_DEBUG_INFO_BTF): give --btf FILE or --vmlinux FILE", path)
		}
	}
	src, err := types.Load(path, types.Limits{})
	if src == nil {
		return nil, err
	}
	if err != nil {
		fmt.Fprintf(stderr, "kdf: %v\n", err)
	}
	return src, nil
}

// typesPath is the type source the flags name, "" for none.
func (b *bufferFlags) typesPath() (string, error) {
	if b.btf != "" && b.vmlinux != "" {
		return "", fmt.Errorf("%w: --btf and --vmlinux name one type source: give one of them", errUsage)
	}
	return b.btf + b.vmlinux, nil
}

func (b *bufferFlags) options() (ingest.Options, error) {
	l, err := ingest.ParseLayout(b.layout)
	if err != nil {
		return ingest.Options{}, fmt.Errorf("%w: --layout: %v", errUsage, err)
	}
	return ingest.Options{Layout: l}, nil
}

// decodeFile reads a whole buffer's records into memory.
func decodeFile(path string, opt ingest.Options) ([]ingest.Record, *ingest.Stats, error) {
	var recs []ingest.Record
	st, err := eachRecord(path, opt, func(r *ingest.Record) { recs = append(recs, r.Clone()) })
	return recs, st, err
}

// eachRecord streams a buffer's records to fn, which may be nil. A file
// that is no buffer at all (ingest.Stats.LooksLikeBuffer) is an error.
func eachRecord(path string, opt ingest.Options, fn func(*ingest.Record)) (*ingest.Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		opt.Size = fi.Size()
	}
	d := ingest.NewDecoder(f, path, opt)
	for d.Next() {
		if fn != nil {
			fn(d.Record())
		}
	}
	if err := d.Err(); err != nil {
		return d.Stats(), err
	}
	return d.Stats(), d.Stats().LooksLikeBuffer()
}

// symbolizer loads the symbol tables named by the flags for a buffer of
// the given layout.
func (b *bufferFlags) symbolizer(layout ingest.Layout) (*symbolize.Symbolizer, error) {
	cfg := symbolize.Config{PCs: symbolize.PCSpaceOf(layout)}
	var err error
	if cfg.Runtime, err = symbolize.LoadKallsyms(b.kallsyms); err != nil {
		return nil, err
	}
	if cfg.LinkTime, err = symbolize.LoadSystemMap(b.systemMap); err != nil {
		return nil, err
	}
	if b.kaslr != "" {
		off, err := strconv.ParseUint(b.kaslr, 0, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: --kaslr-offset %q: want a hex number such as 0xd000000", errUsage, b.kaslr)
		}
		cfg.KASLR = &off
	}
	if cfg.Runtime == nil && cfg.LinkTime == nil {
		return nil, nil
	}
	return symbolize.New(cfg)
}
