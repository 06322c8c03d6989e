// Command bench measures kdf side by side in one run, on generated
// campaigns of several sizes: decoding, DuckDB's COPY of the decoded
// columns, ingest end to end, its throughput and its peak memory; and,
// with -small and -inputs, ingest of the same records as huge buffers,
// as small ones and as the realistic mix of a fuzzing campaign, and of
// many inputs. Figures on a shared machine are noisy, so every
// measurement is repeated and reported as median and range, and targets
// are ratios of figures taken in the same run. Campaigns are generated
// once and kept in the work directory for later runs.
//
//	go run -tags duckdb_arrow ./internal/bench -kdf bin/kdf -sizes 2000000,8000000
//	go run ./internal/bench -kdf bin/kdf -sizes '' -small 5000000 -inputs 20000
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/kdf-tools/kdf/internal/hugepages"
)

func main() {
	kdf := flag.String("kdf", "bin/kdf", "the kdf binary to measure")
	baseline := flag.String("baseline", "", "a kdf binary to measure side by side with -kdf in the small-buffer comparison, on the same campaigns (which -kdf generates)")
	sizes := flag.String("sizes", "2000000,8000000", "comma-separated campaign sizes in records (empty: none)")
	small := flag.Int("small", 0, "also ingest this many records as 100,000-record buffers, as 370-record buffers and as the realistic mix, side by side")
	inputs := flag.Int("inputs", 0, "also ingest this many inputs of the realistic mix, side by side with -small's cases: inputs/s and the cost of an input beyond its records")
	archives := flag.Bool("archives", false, "also ingest -small's 370-record campaign packed as one .tar.zst and one .tar.gz, and -inputs' campaign as one .tar.zst per boot and one per program, beside their directories in the same rounds")
	untyped := flag.Bool("untyped", false, "also ingest -small's three campaigns without their type source (btf/), as the baseline's generator wrote them: kdf then writes no argument names, the baseline's work")
	kallsyms := flag.Int("kallsyms", 0, "also ingest -inputs' campaign with each boot's kallsyms padded to this many lines, as a real kernel's (120,000-200,000), with KASLR (each boot's its own) and without (every boot's the same bytes), side by side with the baseline")
	inputsRepeat := flag.Int("inputs-repeat", 0, "runs of the -inputs case, in the first rounds (default: -repeat)")
	repeat := flag.Int("repeat", 3, "runs of each measurement")
	work := flag.String("work", filepath.Join(os.TempDir(), "kdf-bench"), "scratch directory for campaigns and datasets")
	out := flag.String("json", "", "also write the results to this JSON file")
	boundMax := flag.Int("bound-max", 40_000_000, "measure the encoding bound up to this size: it holds the decoded columns in memory")
	compact := flag.Bool("compact", false, "also time one-function, one-run and whole-table queries before and after kdf compact, on the -inputs campaign ingested in pieces")
	reports := flag.Bool("reports", false, "also compare each canned report with its SQL written by hand, on the first size's dataset")
	ingestFlags := flag.String("ingest-flags", "", "space-separated flags for -kdf's ingest (not the baseline's), such as '--compression snappy'")
	flag.Parse()
	var ns []int
	for _, s := range strings.Split(*sizes, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fatalf("bad size %q", s)
		}
		ns = append(ns, n)
	}
	if *reports && len(ns) == 0 {
		fatalf("-reports needs a campaign of -sizes")
	}
	fmt.Printf("machine: %d CPUs, transparent huge pages %s\n", runtime.NumCPU(), hugepages.Mode())
	fmt.Printf("kdf ingest %s\n\n", strings.Join(append([]string{"--json"}, strings.Fields(*ingestFlags)...), " "))
	b := &bench{kdf: *kdf, ingestFlags: strings.Fields(*ingestFlags), baseline: *baseline, work: *work, repeat: *repeat, boundMax: *boundMax, genSeconds: map[string]float64{}}
	if err := os.MkdirAll(b.work, 0o755); err != nil {
		fatalf("%v", err)
	}
	var err error
	if b.genPrint, err = b.fingerprint(); err != nil {
		fatalf("%v", err)
	}
	for _, n := range ns {
		if err := b.size(n); err != nil {
			fatalf("%v", err)
		}
	}
	if shapes := smallShapes(smallSet{records: *small, inputs: *inputs, inputRounds: *inputsRepeat, archives: *archives, untyped: *untyped, kallsyms: *kallsyms}); len(shapes) > 0 {
		if err := b.smallBuffers(shapes); err != nil {
			fatalf("%v", err)
		}
	}
	b.print(os.Stdout)
	b.printSmall(os.Stdout)
	if *compact && *inputs > 0 {
		camp := filepath.Join(b.work, "campaign-"+inputsKey(*inputs))
		if err := b.compaction(camp, os.Stdout); err != nil {
			fatalf("%v", err)
		}
	}
	b.targets(os.Stdout)
	if *reports {
		if err := b.reports(filepath.Join(b.work, fmt.Sprintf("dataset-%d", ns[0]))); err != nil {
			fatalf("%v", err)
		}
	}
	if *out != "" {
		data, _ := json.MarshalIndent(b.results, "", "  ")
		if err := os.WriteFile(*out, data, 0o644); err != nil {
			fatalf("%v", err)
		}
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(1)
}
