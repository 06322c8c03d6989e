package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/kdf-tools/kdf/query"
	"github.com/kdf-tools/kdf/schema"
	"github.com/kdf-tools/kdf/schema/dataset"
	"github.com/kdf-tools/kdf/schema/part"
)

var compactCommand = &command{
	name: "compact",
	args: "[options] DATASET",
	summary: "rewrite a dataset's small parts into large ones, sorted for queries that skip row groups; " +
		"every query answers the same before and after",
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		o := &compactOptions{}
		fs.StringVar(&o.opt.Campaign, "campaign", "", "compact this campaign only (default: every campaign)")
		o.opt.TargetBytes = query.DefaultCompactTarget
		fs.Var(byteSize{&o.opt.TargetBytes}, "target-size", "cut compacted parts at this `size` (such as 256MiB)")
		fs.StringVar(&o.opt.MemoryLimit, "memory-limit", "1GB", "bound the sort's memory (DuckDB's syntax); past it, it spills to the dataset's _tmp")
		fs.IntVar(&o.opt.Threads, "j", 0, "threads for the sort (0: one per core)")
		fs.Var(&o.opt.Compression, "compression", "the compacted parts' `codec`: zstd (the default), snappy or none")
		fs.BoolVar(&o.json, "json", false, "print one JSON object per campaign")
		return o.run
	},
}

type compactOptions struct {
	opt  query.CompactOptions
	json bool
}

func (o *compactOptions) run(ctx context.Context, e *env, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: compact takes one DATASET", errUsage)
	}
	if o.opt.TargetBytes < 1<<20 {
		return fmt.Errorf("%w: --target-size %d: at least 1MiB (compacted parts are meant to be large: hundreds of MB)", errUsage, o.opt.TargetBytes)
	}
	if o.opt.Threads < 0 {
		return fmt.Errorf("%w: -j %d: 0 (one per core) or more", errUsage, o.opt.Threads)
	}
	results, err := query.Compact(ctx, args[0], o.opt)
	for _, r := range results {
		if o.json {
			b, _ := json.Marshal(r)
			fmt.Fprintf(e.stdout, "%s\n", b)
			continue
		}
		if r.Skipped != "" {
			fmt.Fprintf(e.stdout, "campaign %s: %s\n", r.Campaign, r.Skipped)
			continue
		}
		fmt.Fprintf(e.stdout, "campaign %s: %d parts (%.1f MB) compacted into %d (%.1f MB) in %.1fs\n",
			r.Campaign, r.PartsBefore, float64(r.BytesBefore)/1e6, r.PartsAfter, float64(r.BytesAfter)/1e6, r.Seconds)
	}
	return err
}

var checkCommand = &command{
	name:    "check",
	args:    "[--repair] [--data] DATASET",
	summary: "check a dataset: no unfinished commit, no stray file, no dead writer's files, every part's footer and page index against the footer's checksum (with --data, every page against its own)",
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		repair := fs.Bool("repair", false, "first mend what interrupted writers left, as the next ingest would")
		data := fs.Bool("data", false, "also read every page of every part and check it against its checksum: finds a page damaged on a disk or in a copy, which engines that skip page checksums read as wrong values; reads the whole dataset")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("%w: check takes one DATASET", errUsage)
			}
			return check(ctx, e, args[0], *repair, *data)
		}
	},
}

func check(ctx context.Context, e *env, dir string, repair, data bool) error {
	ds, err := dataset.Open(dir)
	if err != nil {
		return err
	}
	if repair {
		rec, err := ds.Recover(ctx)
		if err != nil {
			return err
		}
		if n := len(rec.RolledBack) + len(rec.Finished) + len(rec.RemovedTmp); n > 0 {
			fmt.Fprintf(e.stdout, "mended: %d interrupted commits rolled back (%d parts removed), %d finished, %d dead writers' files removed\n",
				len(rec.RolledBack), len(rec.RemovedParts), len(rec.Finished), len(rec.RemovedTmp))
		}
	}
	if err := ds.Check(); err != nil {
		return err
	}
	snap, err := ds.Snapshot()
	if err != nil {
		return err
	}
	// part.VerifyFile reads each footer as readFooter does, then every
	// page.
	var rows atomic.Int64
	read := readFooter
	if data {
		read = func(path string) error {
			n, err := part.VerifyFile(path)
			rows.Add(n)
			return err
		}
	}
	if err := checkParts(ctx, snap, read); err != nil {
		return err
	}
	pages := ""
	if data {
		pages = fmt.Sprintf("; the pages of all %d rows match their checksums", rows.Load())
	}
	var counts []string
	for _, t := range schema.All {
		counts = append(counts, fmt.Sprintf("%s %d", t.Name, len(snap.Parts(t.Name))))
	}
	fmt.Fprintf(e.stdout, "%s: ok: %d campaigns; parts: %s%s\n", ds.Dir(), len(snap.Campaigns()), strings.Join(counts, ", "), pages)
	return nil
}

// checkParts runs check on every part, a part per core at a time, and
// lists those it fails: with readFooter, the parts cut short (a disk
// that filled, a copy that stopped) or with a damaged footer or page
// index; with part.VerifyFile, those with a damaged page too.
func checkParts(ctx context.Context, snap *dataset.Snapshot, check func(path string) error) error {
	var paths, rels []string
	for _, t := range schema.All {
		for _, p := range snap.Parts(t.Name) {
			paths, rels = append(paths, p.Path), append(rels, p.Rel())
		}
	}
	errs := make([]error, len(paths))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, path := range paths {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			errs[i] = check(path)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	var bad []string
	for i, err := range errs {
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", rels[i], err))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%d damaged parts (their rows are unreadable, or wrong; move each out of the dataset, then ingest the campaign's sources again with --force to write them anew):\n  %s",
		len(bad), strings.Join(bad, "\n  "))
}

// readFooter reads a part's footer: a part cut short (a disk that
// filled, a copy that stopped) has none. The footer and the page index
// are checked against the footer's checksum as they are opened.
func readFooter(path string) error {
	return part.WithFile(path, func(f io.ReaderAt, size int64) error {
		return part.Scan(f, size, nil, func(part.Row) error { return nil })
	})
}
