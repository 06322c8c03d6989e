package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// result is one measurement at one campaign size, over its runs.
type result struct {
	Name string `json:"name"`
	// Case is the buffers' shape in the small-buffer comparison, empty
	// elsewhere.
	Case string `json:"case,omitempty"`
	// Archive is the packing of an archive case (tar.zst, tar.gz,
	// perBoot or perProgram), empty for a directory; Archives is how
	// many archives.
	Archive  string `json:"archive,omitempty"`
	Archives int    `json:"archives,omitempty"`
	// Untyped is set for a case run on its campaign without the type
	// source: kdf then names no arguments, as the baseline does not.
	Untyped bool      `json:"untyped,omitempty"`
	Size    int       `json:"size"` // the campaign's size in records, as asked
	Inputs  int64     `json:"inputs,omitempty"`
	Records int64     `json:"records"`
	Bytes   int64     `json:"bytes"`
	Seconds []float64 `json:"seconds"`
	// CPUSeconds is user plus system time: steadier than wall time on a
	// shared machine.
	CPUSeconds []float64 `json:"cpu_seconds"`
	// PeakRSS is the largest resident set of a run, in bytes.
	PeakRSS []int64 `json:"peak_rss"`
	// GenSeconds is how long kdf gen took, 0 for a campaign reused.
	GenSeconds float64 `json:"gen_seconds,omitempty"`
	// FloorSeconds is readFloor's time on the campaign, once a round,
	// in the small-buffer comparison.
	FloorSeconds []float64 `json:"floor_seconds,omitempty"`
	// DatasetBytes is the size of the Parquet parts the last run wrote.
	DatasetBytes int64 `json:"dataset_bytes,omitempty"`
}

func (r *result) median() float64 { return median(r.Seconds) }

// rate is the records a second of the median run.
func (r *result) rate() float64 { return float64(r.Records) / r.median() }

type bench struct {
	kdf         string
	ingestFlags []string // more flags for kdf's ingest, not the baseline's
	baseline    string   // a kdf to measure side by side with kdf in the small-buffer comparison
	genPrint    string   // the generator's fingerprint, in campaign stamps
	work        string
	repeat      int
	boundMax    int // the largest size whose encoding bound is measured
	results     []*result
	// genSeconds is how long each campaign took to generate in this
	// run; reused campaigns have none.
	genSeconds map[string]float64
}

// size generates a campaign of n records and measures ingest on it.
func (b *bench) size(n int) error {
	camp, err := b.campaign(fmt.Sprintf("campaign-%d", n), "--records", fmt.Sprint(n))
	if err != nil {
		return err
	}
	if err := b.decode(camp, n); err != nil {
		return err
	}
	if n <= b.boundMax {
		if err := b.encodingBound(camp, n); err != nil {
			return err
		}
	}
	r := &result{Name: "kdf ingest end to end", Size: n}
	for range b.repeat {
		if err := b.ingest(r, camp, filepath.Join(b.work, fmt.Sprintf("dataset-%d", n))); err != nil {
			return err
		}
	}
	b.results = append(b.results, r)
	return nil
}

// ingest runs kdf ingest of camp into a new dataset ds once, adding the
// run's time, CPU time and peak memory to r.
func (b *bench) ingest(r *result, camp, ds string) error {
	return b.ingestWith(b.kdf, b.ingestFlags, r, camp, ds)
}

// ingestWith runs kdf ingest of the binary kdf, with flags, into ds, a
// new dataset.
func (b *bench) ingestWith(kdf string, flags []string, r *result, camp, ds string) error {
	os.RemoveAll(ds)
	cmd := exec.Command(kdf, slices.Concat([]string{"ingest", "--json"}, flags, []string{camp, "-o", ds})...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("kdf ingest: %v", err)
	}
	peak := watchPeak(cmd.Process.Pid)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("kdf ingest: %v", err)
	}
	secs := time.Since(start).Seconds()
	var sum struct{ Runs, Records, Bytes int64 }
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		return fmt.Errorf("kdf ingest summary: %v: %s", err, out.String())
	}
	r.Inputs, r.Records, r.Bytes = sum.Runs, sum.Records, sum.Bytes
	r.Seconds = append(r.Seconds, secs)
	r.PeakRSS = append(r.PeakRSS, peak())
	r.CPUSeconds = append(r.CPUSeconds, (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds())
	var err error
	r.DatasetBytes, err = partBytes(ds)
	return err
}

// partBytes is the size of a dataset's Parquet parts.
func partBytes(ds string) (int64, error) {
	var n int64
	err := filepath.WalkDir(ds, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".parquet" {
			return err
		}
		fi, err := d.Info()
		n += fi.Size()
		return err
	})
	return n, err
}

// watchPeak follows a process's peak resident set (VmHWM) until the
// returned function is called. The rusage of a child is no good here:
// Linux carries the parent's peak across the child's exec.
func watchPeak(pid int) func() int64 {
	var peak atomic.Int64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			if kb := vmHWM(pid); kb > peak.Load() {
				peak.Store(kb)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() int64 {
		close(done)
		<-stopped
		return peak.Load() << 10
	}
}

// vmHWM reads a process's peak resident set in KiB, 0 once it is gone.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}

func (b *bench) print(w io.Writer) {
	if cases, _ := b.smallCases(); len(cases) == len(b.results) {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "measurement\tsize\trecords\tMB\tseconds median [min-max]\tM records/s\tMB/s\tM records/CPU-s\tpeak RSS MiB [min-max]\t")
	for _, r := range b.results {
		if r.Case != "" {
			continue
		}
		med := r.median()
		fmt.Fprintf(tw, "%s\t%dM\t%d\t%.0f\t%.2f [%.2f-%.2f]\t%.2f\t%.0f\t%.2f\t%s\t\n", r.Name, r.Size/1_000_000, r.Records, float64(r.Bytes)/1e6,
			med, slices.Min(r.Seconds), slices.Max(r.Seconds), float64(r.Records)/med/1e6, float64(r.Bytes)/med/1e6,
			float64(r.Records)/median(r.CPUSeconds)/1e6, rss(r.PeakRSS))
	}
	tw.Flush()
}

func rss(v []int64) string {
	if len(v) == 0 {
		return "-"
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return fmt.Sprintf("%d [%d-%d]", s[len(s)/2]>>20, s[0]>>20, s[len(s)-1]>>20)
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
