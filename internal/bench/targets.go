package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// targets checks the performance targets, each a ratio of figures taken
// side by side in this run.
func (b *bench) targets(w io.Writer) {
	by := map[string][]*result{}
	for _, r := range b.results {
		if r.Case == "" {
			by[r.Name] = append(by[r.Name], r)
		}
	}
	ingest, bound, decode := by["kdf ingest end to end"], by["encoding bound: DuckDB COPY"], by[decodeInMemory]
	fmt.Fprintln(w, "\ntargets:")
	for i, r := range ingest {
		if i < len(bound) && bound[i].Size == r.Size {
			ratio := bound[i].median() / r.median()
			check(w, ratio >= 0.8, "ingest at %dM records runs at %.2fx the speed of DuckDB's COPY of the decoded columns (target >= 0.8x)", r.Size/1_000_000, ratio)
		}
	}
	if len(ingest) > 1 {
		first, last := ingest[0], ingest[len(ingest)-1]
		grow := float64(last.Records) / float64(first.Records)
		took := last.median() / first.median()
		check(w, took <= grow*17/16, "%.1fx the records took %.1fx the time (target at most %.1fx)", grow, took, grow*17/16)
		a, z := median64(first.PeakRSS), median64(last.PeakRSS)
		check(w, z < 1<<30 && float64(z) <= float64(a)*1.1, "peak memory %d MiB at %dM records, %d MiB at %dM (target: the same, under 1 GiB)",
			a>>20, first.Size/1_000_000, z>>20, last.Size/1_000_000)
	}
	for _, r := range decode {
		rate := float64(r.Records) / r.median() / 1e6
		check(w, rate >= 50, "decode alone at %dM records: %.1fM records/s on one core (target >= 50M)", r.Size/1_000_000, rate)
	}
	b.smallTargets(w)
}

func check(w io.Writer, ok bool, format string, args ...any) {
	mark := "MET   "
	if !ok {
		mark = "MISSED"
	}
	fmt.Fprintf(w, "  %s "+format+"\n", append([]any{mark}, args...)...)
}

func median64(v []int64) int64 {
	f := make([]float64, len(v))
	for i, x := range v {
		f[i] = float64(x)
	}
	return int64(median(f))
}

// reports runs the report benchmarks (each canned report against the
// same SQL written by hand, alternately on one DuckDB) on a dataset.
func (b *bench) reports(ds string) error {
	fmt.Println("\nreports against their SQL written by hand (ratio = kdf / hand, target <= 1.2):")
	cmd := exec.Command("go", "test", "-tags=duckdb_arrow", "./query/report/", "-run", "^$", "-bench", "Reports", "-benchtime", "5x", "-count", "3")
	cmd.Env = append(os.Environ(), "KDF_BENCH_DATASET="+ds)
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "Benchmark") {
			fmt.Println("  " + line)
		}
	}
	if err != nil {
		return fmt.Errorf("report benchmarks: %v\n%s", err, out)
	}
	return nil
}
