package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/kdf-tools/kdf/ingest/source"
	"github.com/kdf-tools/kdf/internal/hugepages"
	"github.com/kdf-tools/kdf/internal/pipeline"
)

var ingestCommand = &command{
	name:    "ingest",
	args:    "[options] SOURCE... -o DATASET",
	summary: "ingest directories and tar, tar.gz, tar.zst archives of buffers into a Parquet dataset",
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		o := &ingestOptions{}
		fs.StringVar(&o.cfg.Dataset, "o", "", "the dataset `DIR` (created if missing)")
		fs.StringVar(&o.cfg.Campaign, "campaign", "default", "campaign `NAME`: the partition the runs go to")
		o.buf.register(fs, true)
		fs.IntVar(&o.cfg.Workers, "j", 0, fmt.Sprintf("parallel workers, 1 to %d (default: one per core)", maxWorkers()))
		fs.StringVar(&o.shard, "shard", "", "take shard `i/n` of the inputs (split one campaign over hosts)")
		fs.BoolVar(&o.cfg.Force, "force", false, "re-ingest inputs the dataset already holds")
		fs.BoolVar(&o.quiet, "q", false, "print nothing but errors")
		fs.BoolVar(&o.json, "json", false, "print the summary as one JSON object")
		fs.Var(&o.cfg.Compression, "compression", "the parts' `codec`: zstd (the default) writes the smallest; snappy costs about a seventh less CPU per record, for parts about a quarter larger (kdf compact writes them again in zstd); none")
		fs.BoolVar(&o.hugePages, "huge-pages", false, "ask the kernel for transparent huge pages for the workers' memory, where it gives them only on request (mode madvise): an ingest of a few million records runs a fifth faster, with a tenth more resident memory; one held at its memory limit may run slower")
		fs.Var(byteSize{&o.memLimit}, "mem-limit",
			"soft limit on the heap, `SIZE`: past it the Go runtime collects garbage harder (default $GOMEMLIMIT, else 128MiB + 128MiB per worker, 128MiB more per worker once an archive is read: its members wait in memory, and what the symbol tables held at once need: up to some 150MiB for 2 workers and real kallsyms, one table's room when every boot has the same kallsyms)")
		fs.Var(byteSize{&o.cfg.Source.MaxArchiveBytes}, "max-archive-bytes",
			"stop decompressing an archive past `SIZE` (e.g. 64GiB) per pass; bounds a decompression bomb (default 256GiB)")
		fs.Var(byteSize{&o.cfg.Source.MaxMetaBytes}, "max-meta-bytes",
			"skip each kallsyms, System.map, manifest.jsonl or BTF file larger than `SIZE`, reported as too_large (default 64MiB)")
		fs.Var(byteSize{&o.cfg.Source.MaxVmlinuxBytes}, "max-vmlinux-bytes",
			"skip each vmlinux read for its types larger than `SIZE`, reported as too_large (default 2GiB)")
		fs.Var(byteSize{&o.cfg.Source.MaxMetaTotal}, "max-archive-meta",
			"hold at most `SIZE` of one archive's metadata files between its two passes (default 1GiB)")
		fs.Var(byteSize{&o.cfg.Source.MaxWindowBytes}, "max-zstd-window",
			"refuse zstd streams whose window, hence decoder memory, is above `SIZE` (default 128MiB, zstd --long=27)")
		fs.Var(byteSize{&o.cfg.Source.MaxManifestLine}, "max-manifest-line",
			"ignore manifest lines longer than `SIZE`, reported as manifest_too_large (default 64KiB)")
		fs.Var(byteSize{&o.cfg.Source.MaxAttrValue}, "max-attribute-value",
			"drop manifest values longer than `SIZE`, reported as attribute_too_large (default 4KiB)")
		fs.IntVar(&o.cfg.Source.MaxAttrs, "max-attributes", 0,
			"ignore manifest lines of more than `N` keys, reported as manifest_too_large (default 256)")
		return o.run
	},
}

type ingestOptions struct {
	cfg       pipeline.Config
	buf       bufferFlags
	shard     string
	quiet     bool
	json      bool
	memLimit  int64
	hugePages bool
}

// Heap budget of an ingest: what the process needs besides its workers,
// and what each worker's open row groups, pairing state and batches
// need at their peak (about 100 MiB at the default row group size).
// With GOGC's default alone, the heap goal is twice the live heap, and
// the longer the run the likelier workers peak together: peak memory
// grew by a tenth from 10 to 160 million records. A soft limit keeps it
// where the work needs it.
const (
	ingestBaseHeap      = 128 << 20
	ingestHeapPerWorker = 128 << 20
)

// limitMemory sets the runtime's soft memory limit for the ingest,
// unless GOMEMLIMIT chose one and --mem-limit did not. A limit kdf
// chose grows by what archive members hold once the walk meets one,
// and by what the symbol tables held at once need as larger ones are
// parsed (pipeline.Config.OnHeap): held under the directories' limit,
// the collector ran without pause. 20,000 inputs packed as 200 archives
// took 33-40 s instead of 23-25; over 200 boots with 150,000-line
// kallsyms, 59.5-72.2 s instead of 37.6.
func (o *ingestOptions) limitMemory() {
	switch {
	case o.memLimit > 0:
		debug.SetMemoryLimit(o.memLimit)
	case os.Getenv("GOMEMLIMIT") == "":
		workers := o.cfg.Workers
		if workers <= 0 {
			workers = runtime.GOMAXPROCS(0)
		}
		base := ingestBaseHeap + int64(workers)*ingestHeapPerWorker
		debug.SetMemoryLimit(base)
		o.cfg.OnHeap = func(extra int64) { debug.SetMemoryLimit(base + extra) }
	}
}

// hugePagesMax bounds the heap asked for in huge pages: the default
// memory limit of seven workers. It is allocated (untouched) to be
// advised, and a larger allocation could fail on a small machine.
const hugePagesMax = 1 << 30

// preferHugePages asks for huge pages for the heap the ingest works in,
// as much as its soft memory limit (internal/hugepages).
func (o *ingestOptions) preferHugePages() {
	if o.hugePages {
		hugepages.Prefer(int(min(debug.SetMemoryLimit(-1), hugePagesMax)))
	}
}

func (o *ingestOptions) run(ctx context.Context, e *env, args []string) error {
	if o.cfg.Dataset == "" || len(args) == 0 {
		return fmt.Errorf("%w: ingest takes SOURCE... and -o DATASET", errUsage)
	}
	if err := o.configure(args); err != nil {
		return err
	}
	o.limitMemory()
	o.preferHugePages()
	prog := &pipeline.Progress{}
	counts := &source.Counts{}
	o.cfg.Source.Counts = counts
	stop := o.progress(e.stderr, prog)
	sum, err := pipeline.Run(ctx, o.cfg, prog)
	stop()
	if sum != nil && !o.quiet {
		if o.json {
			b, _ := json.Marshal(sum)
			fmt.Fprintf(e.stdout, "%s\n", b)
		} else {
			printSummary(e.stdout, sum)
		}
	}
	if sum != nil {
		warnSummary(e.stderr, sum)
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return errors.New("interrupted: what was committed stays in the dataset; the same command again skips it and ingests the rest")
	}
	if err != nil {
		return failedIngest(err, sum)
	}
	o.warnSymbols(e.stderr, sum, counts)
	return o.outcome(sum, counts)
}

// failedIngest says, after an ingest's error, what the dataset kept:
// every commit is whole, so what was committed before the error stays,
// and the same command, once the cause is fixed (a full disk, say),
// skips it.
func failedIngest(err error, sum *pipeline.Summary) error {
	if sum == nil || sum.Commits == 0 {
		return fmt.Errorf("%w (nothing was committed)", err)
	}
	return fmt.Errorf("%w (the %d runs committed before it stay in the dataset; once the cause is fixed, the same command skips them and ingests the rest)", err, sum.Runs)
}

// outcome says whether the ingest did what was asked. Sources that hold
// no buffer, or whose every buffer was rejected, are a failure, not a
// success of zero runs; rejected inputs beside runs are a partial
// success (errRejected: exit status 3). A shard may rightly get nothing.
func (o *ingestOptions) outcome(sum *pipeline.Summary, c *source.Counts) error {
	why, rejects := "", ""
	if sum.Rejects > 0 {
		why = byReason(sum.ByReason) + " (the dataset's rejects table says why each)"
		rejects = fmt.Sprintf("; %d rejected: %s", sum.Rejects, why)
	}
	switch {
	case c.Buffers == 0:
		return fmt.Errorf("nothing ingested: no kcov_dataflow buffer in %s (a buffer is named *.kcdf, *.kcov, *.bin or *.raw, or starts with a word counter and a record header)%s",
			strings.Join(o.cfg.Sources, ", "), rejects)
	case sum.Runs == 0 && sum.Skipped == 0 && sum.Concurrent == 0 && sum.Changed == 0 && o.shard == "":
		return fmt.Errorf("nothing ingested: every one of the %d buffers was rejected%s", c.Buffers, rejects)
	case sum.Rejects > 0:
		return fmt.Errorf("%w: %d of %d inputs: %s", errRejected, sum.Rejects, sum.Inputs, why)
	}
	return nil
}

// byReason lists reject counts, most frequent first: "2 not_a_buffer,
// 1 unreadable".
func byReason(m map[string]int64) string {
	reasons := slices.Sorted(maps.Keys(m))
	slices.SortStableFunc(reasons, func(a, b string) int { return cmp.Compare(m[b], m[a]) })
	var parts []string
	for _, r := range reasons {
		parts = append(parts, fmt.Sprintf("%d %s", m[r], r))
	}
	return strings.Join(parts, ", ")
}

// warnSymbols says, in one line, that no buffer came with symbols: every
// run is then unsymbolized, which is seldom what was meant.
func (o *ingestOptions) warnSymbols(w io.Writer, sum *pipeline.Summary, c *source.Counts) {
	if o.quiet || o.cfg.Kallsyms != "" || o.cfg.SystemMap != "" || sum.Runs == 0 || c.WithSnapshot > 0 {
		return
	}
	fmt.Fprintf(w, "kdf: warning: no kallsyms or System.map beside any of the %d buffers, so no run is symbolized: give --kallsyms FILE (or --system-map FILE), or put each boot's kallsyms beside its buffers\n", c.Buffers)
}

// maxWorkers bounds -j: each worker keeps its own Parquet parts open
// and needs up to ingestHeapPerWorker of heap, and past a few per core
// more workers only contend for the cores (while -j 100000 ran out of
// file descriptors).
func maxWorkers() int { return min(4*runtime.NumCPU(), 256) }

// minMemLimit bounds --mem-limit from below: under it the runtime would
// collect garbage without pause and the ingest crawl.
const minMemLimit = 64 << 20

// check refuses option values that are out of range before any work.
func (o *ingestOptions) check() error {
	switch {
	case o.cfg.Workers < 0 || o.cfg.Workers > maxWorkers():
		return fmt.Errorf("%w: -j %d: want 1 to %d workers (0: one per core): each needs up to %d MiB of heap and its own open files, and more than 4 per core (at most 256) only contend for the cores",
			errUsage, o.cfg.Workers, maxWorkers(), ingestHeapPerWorker>>20)
	case o.memLimit != 0 && o.memLimit < minMemLimit:
		return fmt.Errorf("%w: --mem-limit %d: want at least %d MiB; below that the Go runtime collects garbage without pause",
			errUsage, o.memLimit, minMemLimit>>20)
	case o.cfg.Source.MaxAttrs < 0:
		return fmt.Errorf("%w: --max-attributes %d: want a positive number of keys (0: the default, 256)", errUsage, o.cfg.Source.MaxAttrs)
	}
	return nil
}

// warnSummary tells, on stderr, what the ingest left as it was and why.
func warnSummary(w io.Writer, s *pipeline.Summary) {
	for _, msg := range s.Warnings {
		fmt.Fprintf(w, "kdf: warning: %s\n", msg)
	}
	if s.Changed > 0 {
		fmt.Fprintf(w, "kdf: %d files have other content than the runs the dataset holds for them, left as they were (ingest again with --force to replace them): %s\n",
			s.Changed, strings.Join(s.ChangedPaths, ", "))
	}
	if s.Concurrent > 0 {
		fmt.Fprintf(w, "kdf: %d inputs were committed by a concurrent ingest first; theirs stand\n", s.Concurrent)
	}
	if s.Unresolved > 0 {
		fmt.Fprintf(w, "kdf: warning: %d runs resolved fewer than half of their pcs, though a kallsyms or System.map applied (the runs' problems say why: SELECT path, problems FROM runs WHERE 2 * unresolved_pcs > records); once the snapshots are right, ingest again with --force to replace them: %s\n",
			s.Unresolved, strings.Join(s.UnresolvedPaths, ", "))
	}
}

func (o *ingestOptions) configure(args []string) error {
	if err := o.check(); err != nil {
		return err
	}
	// A source that does not exist is a typo, not an input to record:
	// say so before a dataset is made for nothing.
	for _, src := range args {
		if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("source %s does not exist: nothing ingested; check the path", src)
		}
	}
	o.cfg.Sources = args
	opt, err := o.buf.options()
	if err != nil {
		return err
	}
	o.cfg.Layout = opt.Layout
	o.cfg.Kallsyms, o.cfg.SystemMap = o.buf.kallsyms, o.buf.systemMap
	if o.cfg.Types, err = o.buf.typesPath(); err != nil {
		return err
	}
	if o.buf.kaslr != "" {
		off, err := strconv.ParseUint(o.buf.kaslr, 0, 64)
		if err != nil {
			return fmt.Errorf("%w: --kaslr-offset %q: want a number such as 0xd000000", errUsage, o.buf.kaslr)
		}
		o.cfg.KASLR = &off
	}
	if o.shard != "" {
		i, n, ok := strings.Cut(o.shard, "/")
		o.cfg.Shard, err = strconv.Atoi(i)
		if o.cfg.Shards, _ = strconv.Atoi(n); !ok || err != nil || o.cfg.Shards < 1 || o.cfg.Shard < 0 || o.cfg.Shard >= o.cfg.Shards {
			return fmt.Errorf("%w: --shard %q: want i/n with 0 <= i < n", errUsage, o.shard)
		}
	}
	return nil
}

func printSummary(w io.Writer, s *pipeline.Summary) {
	mb := float64(s.Bytes) / 1e6
	fmt.Fprintf(w, "ingested %d inputs into %s (campaign %s) in %.1fs: %d runs, %d rejects, %d already there\n",
		s.Inputs, s.Dataset, s.Campaign, s.Seconds, s.Runs, s.Rejects, s.Skipped)
	if s.Replaced > 0 || s.StaleRejects > 0 {
		fmt.Fprintf(w, "  %d replaced what the dataset held, %d stale rejects removed\n", s.Replaced, s.StaleRejects)
	}
	fmt.Fprintf(w, "  %d records, %d calls, %.1f MB of buffers: %.2fM records/s, %.1f MB/s, %d commits\n",
		s.Records, s.Calls, mb, float64(s.Records)/s.Seconds/1e6, mb/s.Seconds, s.Commits)
	reasons := make([]string, 0, len(s.ByReason))
	for r := range s.ByReason {
		reasons = append(reasons, r)
	}
	slices.Sort(reasons)
	for _, r := range reasons {
		fmt.Fprintf(w, "  rejected %d: %s\n", s.ByReason[r], r)
	}
}

// byteSize is a flag holding a byte count, written as a number with an
// optional binary unit: 512, 64KiB, 8MiB, 256GiB, 1TiB (K, M, G, T and
// KB, MB... are read as the same powers of 1024).
type byteSize struct{ v *int64 }

func (b byteSize) String() string {
	if b.v == nil || *b.v == 0 {
		return ""
	}
	return strconv.FormatInt(*b.v, 10)
}

func (b byteSize) Set(s string) error {
	num := strings.TrimRightFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.ToUpper(strings.TrimSpace(s[len(num):]))
	shift, ok := map[string]uint{"": 0, "B": 0, "K": 10, "KB": 10, "KIB": 10, "M": 20, "MB": 20, "MIB": 20,
		"G": 30, "GB": 30, "GIB": 30, "T": 40, "TB": 40, "TIB": 40}[unit]
	n, err := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil || n <= 0 || n > (1<<62)>>shift {
		return fmt.Errorf("%q: want a positive size such as 512, 64MiB or 256GiB", s)
	}
	*b.v = n << shift
	return nil
}
