package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
)

// A campaign is mostly small buffers: hundreds to a few thousand records
// each, a few saturated large ones. What ingest spends per input, beyond
// its records, decides its speed there, and a campaign of a few huge
// buffers hides it. The comparison ingests the same records as huge
// buffers, as small ones and as the realistic mix, and many inputs of
// the realistic mix, in rounds: one run of each case a round, so that
// the machine's slow spells fall on all of them alike.

// shape is a case of the comparison: buffers, and how many.
type shape struct {
	name    string   // as printed
	key     string   // in the campaign's directory name
	genArgs []string // kdf gen's flags
	rounds  int      // runs in the first rounds only; 0: in every round
	pack    string   // the campaign packed: as one archive of this kind, perBoot or perProgram; "": its directory
	untyped bool     // the campaign without its type source (withoutTypes)
}

// The shape whose speed the others are measured against.
const hugeCase = "100,000-record buffers"

// hugeQuarter is the huge buffers at a quarter of the records. Beside
// hugeCase it splits what an ingest pays once (each worker filling its
// columns, pages and tables to their working size) from what each
// record costs; it is not one of the comparison's cases.
const hugeQuarter = "100,000-record buffers, a quarter of the records"

// smallTarget is the project's target: ingest of small buffers at least
// this share of the records/s of huge ones.
const smallTarget = 0.8

// archivedCase is the case whose campaign the archive cases pack as
// one archive; the many inputs are packed per boot and per program.
const archivedCase = "370-record buffers"

// smallSet chooses the comparison's cases.
type smallSet struct {
	records     int  // records in each of the three shapes of buffers; 0: none
	inputs      int  // inputs of the realistic mix; 0: none
	inputRounds int  // the rounds the inputs case runs in, the first ones; 0: all
	archives    bool // the 370-record campaign also packed as each of archiveKinds, the inputs perBoot and perProgram
	untyped     bool // the three shapes also without their type source
	kallsyms    int  // the inputs also with kallsyms of this many lines, with KASLR and without; 0: none
}

// smallShapes are the comparison's cases.
func smallShapes(set smallSet) []shape {
	var out []shape
	if set.records > 0 {
		n, q := fmt.Sprint(set.records), fmt.Sprint(set.records/4)
		small := []string{"--records", n, "--records-per-buffer", "370"}
		three := []shape{
			{name: hugeCase, key: "huge-" + n, genArgs: []string{"--records", n, "--records-per-buffer", "100000"}},
			{name: archivedCase, key: "370-" + n, genArgs: small},
			{name: "realistic mix", key: "realistic-" + n, genArgs: []string{"--records", n, "--size-dist", "realistic"}},
		}
		out = append(out, three[0],
			shape{name: hugeQuarter, key: "huge-" + q, genArgs: []string{"--records", q, "--records-per-buffer", "100000"}})
		out = append(out, three[1:]...)
		if set.archives {
			for _, k := range archiveKinds {
				out = append(out, shape{name: archivedCase, key: "370-" + n, genArgs: small, pack: k})
			}
		}
		if set.untyped {
			for _, s := range three {
				s.untyped = true
				out = append(out, s)
			}
		}
	}
	if set.inputs > 0 {
		n := fmt.Sprint(set.inputs)
		boots := fmt.Sprint(inputBoots(set.inputs))
		in := shape{name: fmt.Sprintf("realistic mix, %d inputs in %s boots", set.inputs, boots), key: inputsKey(set.inputs),
			genArgs: []string{"--buffers", n, "--size-dist", "realistic", "--boots", boots}, rounds: set.inputRounds}
		out = append(out, in)
		if set.archives {
			for _, k := range []string{perBoot, perProgram} {
				in := in
				in.pack = k
				out = append(out, in)
			}
		}
		if set.kallsyms > 0 {
			out = append(out, realKallsyms(in, set.kallsyms, false), realKallsyms(in, set.kallsyms, true))
		}
	}
	return out
}

// realKallsyms is the inputs case with each boot's kallsyms padded to a
// real kernel's lines: each boot's its own (KASLR), or every boot's the
// same bytes (nokaslr, as syzkaller recommends). A real campaign parses
// one per boot; the generator's few hundred lines hid what that costs.
func realKallsyms(in shape, lines int, nokaslr bool) shape {
	n := fmt.Sprint(lines)
	in.name += fmt.Sprintf(", %s-line kallsyms", n)
	in.key += "-kallsyms-" + n
	in.genArgs = append(slices.Clone(in.genArgs), "--kallsyms-symbols", n)
	if nokaslr {
		in.name += ", no KASLR"
		in.key += "-nokaslr"
		in.genArgs = append(in.genArgs, "--nokaslr")
	}
	return in
}

// smallBuffers generates each shape's campaign once, then measures kdf
// ingest on them in b.repeat rounds.
func (b *bench) smallBuffers(shapes []shape) error {
	rs := make([]*result, len(shapes))
	base := make([]*result, len(shapes))
	camps := make([]string, len(shapes))
	for i, s := range shapes {
		var err error
		if camps[i], err = b.campaign("campaign-"+s.key, s.genArgs...); err != nil {
			return err
		}
		rs[i] = &result{Name: ingestName, Case: s.name, Archive: s.pack, Untyped: s.untyped, GenSeconds: b.genSeconds["campaign-"+s.key]}
		base[i] = &result{Name: baselineName, Case: s.name}
		switch {
		case s.pack == perBoot:
			camps[i], rs[i].Archives, err = packBoots(camps[i])
		case s.pack == perProgram:
			camps[i], rs[i].Archives, err = packPrograms(camps[i])
		case s.pack != "":
			camps[i], err = packCampaign(camps[i], s.pack)
			rs[i].Archives = 1
		case s.untyped:
			camps[i], err = withoutTypes(camps[i])
		}
		if err != nil {
			return err
		}
		if s.pack != "" || s.untyped {
			rs[i].GenSeconds = 0 // generated for its directory case
		}
	}
	for round := range b.repeat {
		for i, s := range shapes {
			if s.rounds > 0 && round >= s.rounds {
				continue
			}
			ds := filepath.Join(b.work, "dataset-"+s.key)
			if s.pack != "" || s.untyped {
				// The write path is the baseline's comparison; the
				// archive's is with its own directory. An untyped case
				// is set beside the baseline's runs of its named case:
				// the baseline reads no type source.
				if s.pack != "" {
					ds += "-" + strings.ReplaceAll(s.pack, " ", "-")
				} else {
					ds += "-untyped"
				}
				if err := b.ingest(rs[i], camps[i], ds); err != nil {
					return err
				}
				continue
			}
			if b.baseline != "" {
				if err := b.ingestWith(b.baseline, nil, base[i], camps[i], ds+"-baseline"); err != nil {
					return fmt.Errorf("the baseline: %w", err)
				}
			}
			if err := b.ingest(rs[i], camps[i], ds); err != nil {
				return err
			}
			floor, err := readFloor(camps[i])
			if err != nil {
				return fmt.Errorf("reading %s: %w", camps[i], err)
			}
			rs[i].FloorSeconds = append(rs[i].FloorSeconds, floor)
		}
	}
	b.results = append(b.results, rs...)
	if b.baseline != "" {
		b.results = append(b.results, base...)
	}
	return nil
}

// The names of the comparison's results: kdf's, and the baseline's.
const (
	ingestName   = "kdf ingest end to end"
	baselineName = "kdf ingest end to end, baseline"
)

// speedupTarget is the project's target for the write path: end-to-end
// ingest at least this many times the baseline's records/s.
const speedupTarget = 3.0

// smallCases returns the comparison's results and the huge buffers' one,
// nil if it was not measured.
func (b *bench) smallCases() (cases []*result, huge *result) {
	for _, r := range b.results {
		if r.Case == "" || r.Case == hugeQuarter || r.Name != ingestName || r.Archive != "" || r.Untyped {
			continue
		}
		cases = append(cases, r)
		if r.Case == hugeCase {
			huge = r
		}
	}
	return cases, huge
}

// overhead is what r spent per input beyond what its records cost at
// huge's records/s, in seconds.
func overhead(r, huge *result) float64 {
	return (r.median() - float64(r.Records)/huge.rate()) / float64(r.Inputs)
}

func (b *bench) printSmall(w io.Writer) {
	cases, huge := b.smallCases()
	if len(cases) == 0 {
		return
	}
	fmt.Fprintf(w, "\nmany small buffers: kdf ingest end to end, the cases in turn, up to %d rounds\n", b.repeat)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tinputs\trecords\trecords/input\truns\tseconds median [min-max]\tM records/s\tM records/CPU-s\tinputs/s\tvs huge\tper-input overhead µs\tas records\tread floor µs/input\tpeak RSS MiB [min-max]\tgenerated in s\t")
	for _, r := range cases {
		med := r.median()
		vs, over, asRecords := "-", "-", "-"
		if huge != nil && r != huge {
			vs = fmt.Sprintf("%.2f", r.rate()/huge.rate())
			over = fmt.Sprintf("%.0f", overhead(r, huge)*1e6)
			asRecords = fmt.Sprintf("%.0f", overhead(r, huge)*huge.rate())
		}
		floor := "-"
		if len(r.FloorSeconds) > 0 {
			floor = fmt.Sprintf("%.1f", median(r.FloorSeconds)/float64(r.Inputs)*1e6)
		}
		gen := "reused"
		if r.GenSeconds > 0 {
			gen = fmt.Sprintf("%.1f", r.GenSeconds)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%d\t%.2f [%.2f-%.2f]\t%.2f\t%.2f\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			r.Case, r.Inputs, r.Records, float64(r.Records)/float64(r.Inputs), len(r.Seconds),
			med, slices.Min(r.Seconds), slices.Max(r.Seconds), r.rate()/1e6, float64(r.Records)/median(r.CPUSeconds)/1e6, float64(r.Inputs)/med,
			vs, over, asRecords, floor, rss(r.PeakRSS), gen)
	}
	tw.Flush()
	fmt.Fprintln(w, "per-input overhead: the median run's seconds beyond what its records cost at the huge buffers' records/s, per input; as records: that time at the same rate")
	fmt.Fprintln(w, "read floor: the system's time to open, stat, read whole and close each buffer, from the page cache, on one core (median of the rounds); the per-input overhead is wall time with every worker busy")
	b.printBaseline(w)
	b.printSplit(w)
	b.printArchives(w)
}

// printSplit splits the huge buffers' time into what each record costs
// and what an ingest pays once, from their runs at all the records and
// at a quarter of them, for kdf and the baseline.
func (b *bench) printSplit(w io.Writer) {
	type row struct {
		name        string
		full, quart *result
	}
	var rows []row
	for _, name := range []string{ingestName, baselineName} {
		var full, quart *result
		for _, r := range b.results {
			switch {
			case r.Name != name || len(r.Seconds) == 0:
			case r.Case == hugeCase:
				full = r
			case r.Case == hugeQuarter:
				quart = r
			}
		}
		if full != nil && quart != nil && full.Records > quart.Records {
			rows = append(rows, row{name, full, quart})
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\nhuge buffers at %d and %d records: per million records, and paid once, in seconds (CPU seconds)\n", rows[0].full.Records, rows[0].quart.Records)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kdf\tper 1M records\tonce\tpeak RSS MiB, all / a quarter\t")
	for _, r := range rows {
		per, once := split(r.full.Records, r.quart.Records, r.full.median(), r.quart.median())
		cpuPer, cpuOnce := split(r.full.Records, r.quart.Records, median(r.full.CPUSeconds), median(r.quart.CPUSeconds))
		fmt.Fprintf(tw, "%s\t%.3f (%.3f)\t%.2f (%.2f)\t%d / %d\t\n", r.name, per, cpuPer, once, cpuOnce, median64(r.full.PeakRSS)>>20, median64(r.quart.PeakRSS)>>20)
	}
	tw.Flush()
}

// split solves t = once + per*records/1e6 for two runs.
func split(records, fewer int64, t, tFewer float64) (per, once float64) {
	per = (t - tFewer) / (float64(records-fewer) / 1e6)
	return per, t - per*float64(records)/1e6
}

// baselineOf returns the baseline's result of r's case, nil if none.
func (b *bench) baselineOf(r *result) *result {
	for _, x := range b.results {
		if x.Name == baselineName && x.Case == r.Case && len(x.Seconds) > 0 {
			return x
		}
	}
	return nil
}

// untypedCases are the results of the cases run without a type source.
func (b *bench) untypedCases() []*result {
	var out []*result
	for _, r := range b.results {
		if r.Name == ingestName && r.Untyped && len(r.Seconds) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// caseLabel names a case as the baseline comparison prints it.
func caseLabel(r *result) string {
	if r.Untyped {
		return r.Case + ", no type source"
	}
	return r.Case
}

// printBaseline sets each case beside the baseline's runs of it.
func (b *bench) printBaseline(w io.Writer) {
	cases, _ := b.smallCases()
	if b.baseline == "" || len(cases) == 0 {
		return
	}
	fmt.Fprintf(w, "\nagainst the baseline %s, the same campaigns in the same rounds\n", b.baseline)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tbaseline s median [min-max]\tkdf s median [min-max]\tbaseline M records/s\tkdf M records/s\tspeed-up\tCPU speed-up\tParquet MB, baseline / kdf\t")
	for _, r := range append(cases, b.untypedCases()...) {
		x := b.baselineOf(r)
		if x == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%.2f [%.2f-%.2f]\t%.2f [%.2f-%.2f]\t%.2f\t%.2f\t%.2fx\t%.2fx\t%.1f / %.1f\t\n", caseLabel(r),
			x.median(), slices.Min(x.Seconds), slices.Max(x.Seconds), r.median(), slices.Min(r.Seconds), slices.Max(r.Seconds),
			x.rate()/1e6, r.rate()/1e6, r.rate()/x.rate(), median(x.CPUSeconds)/median(r.CPUSeconds),
			float64(x.DatasetBytes)/1e6, float64(r.DatasetBytes)/1e6)
	}
	tw.Flush()
	if len(b.untypedCases()) > 0 {
		fmt.Fprintln(w, "no type source: the campaign without its btf directory, as the baseline reads it (it names no arguments, and rejects the BTF files as not buffers); kdf then writes no names, the baseline's work")
	}
}

// smallTargets checks the small-buffer cases against the huge buffers,
// and the peak memory of every case.
func (b *bench) smallTargets(w io.Writer) {
	cases, huge := b.smallCases()
	for _, r := range cases {
		if huge != nil && r != huge {
			ratio := r.rate() / huge.rate()
			check(w, ratio >= smallTarget, "ingest of %s runs at %.2fx the records/s of %s (target >= %.1fx)", r.Case, ratio, hugeCase, smallTarget)
		}
	}
	for _, r := range cases {
		peak := median64(r.PeakRSS)
		check(w, peak < 1<<30, "peak memory %d MiB ingesting %s (target under 1 GiB)", peak>>20, r.Case)
	}
	for _, r := range append(cases, b.untypedCases()...) {
		if x := b.baselineOf(r); x != nil {
			check(w, r.rate()/x.rate() >= speedupTarget, "ingest of %s at %.2fx the baseline's records/s (target >= %.0fx)", caseLabel(r), r.rate()/x.rate(), speedupTarget)
		}
	}
}

// inputBoots is how many boots the many-inputs campaign spreads its
// inputs over: a hundred programs a boot, each boot with its own
// kallsyms, as a campaign's VMs give them.
func inputBoots(inputs int) int { return max(2, inputs/100) }

// inputsKey names the many-inputs campaign (campaign-KEY) and its
// datasets.
func inputsKey(inputs int) string {
	return fmt.Sprintf("realistic-%d-inputs-%d-boots", inputs, inputBoots(inputs))
}

// withoutTypes links the campaign dir's files, all but its type source
// (btf/), into dir-untyped, made again each time, and returns its path.
// kdf gen writes the BTF that names arguments; the baseline's generator
// wrote none, and the baseline reads none.
func withoutTypes(dir string) (string, error) {
	out := dir + "-untyped"
	return out, linkCampaign(dir, out, func(rel, _, _ string) (bool, error) { return rel == "btf", nil })
}

// linkCampaign makes out, anew, a copy of the campaign dir whose files
// are hard links to dir's, except in the directories that special says
// it took care of (or left out): special(rel, from, to) is called for
// each directory, by its path in dir, its path, and its path in out.
func linkCampaign(dir, out string, special func(rel, from, to string) (bool, error)) error {
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		to := filepath.Join(out, rel)
		if !d.IsDir() {
			return os.Link(p, to)
		}
		if done, err := special(rel, p, to); err != nil || done {
			if err == nil {
				err = filepath.SkipDir
			}
			return err
		}
		return os.Mkdir(to, 0o755)
	})
}
