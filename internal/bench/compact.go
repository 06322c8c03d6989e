package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// A campaign ingested in many small ingests is many small parts, each
// holding every function: a one-function or one-run query reads them
// all. kdf compact rewrites them into large parts sorted by function,
// then run. The comparison times the same queries on the same rows
// before and after.

// compactQuery is one query timed before and after compaction.
type compactQuery struct {
	name, sql string
	before    []float64
	after     []float64
}

// compactPieces is how many ingests the compaction's dataset is made
// of, as a campaign ingested while it grows is.
const compactPieces = 32

// compaction ingests a campaign in pieces (compactPieces shards, each
// its own kdf ingest), times the queries, compacts the dataset, and
// times them again.
func (b *bench) compaction(camp string, w io.Writer) error {
	ds := filepath.Join(b.work, "dataset-compact")
	os.RemoveAll(ds)
	for i := range compactPieces {
		if err := run(b.kdf, "ingest", "-q", "-j", "1", "--shard", fmt.Sprintf("%d/%d", i, compactPieces), camp, "-o", ds); err != nil {
			return err
		}
	}
	fn, err := output(b.kdf, "query", "--format", "csv", ds, "SELECT func FROM records WHERE func IS NOT NULL GROUP BY func ORDER BY count(*) DESC LIMIT 1 OFFSET 20")
	if err != nil {
		return err
	}
	runID, err := output(b.kdf, "query", "--format", "csv", ds, "SELECT run_id FROM runs ORDER BY records DESC LIMIT 1")
	if err != nil {
		return err
	}
	qs := []*compactQuery{
		{name: "one function", sql: fmt.Sprintf("SELECT count(*), sum(value) FROM records WHERE func = '%s'", lastLine(fn))},
		{name: "one run", sql: fmt.Sprintf("SELECT count(*), sum(value) FROM records WHERE run_id = %s", lastLine(runID))},
		{name: "whole table", sql: "SELECT count(*), sum(value) FROM records"},
	}
	partsBefore := countParts(ds)
	for range b.repeat {
		for _, q := range qs {
			if err := timeQuery(b.kdf, ds, q.sql, &q.before); err != nil {
				return err
			}
		}
	}
	start := time.Now()
	if err := run(b.kdf, "compact", ds); err != nil {
		return err
	}
	took := time.Since(start).Seconds()
	for range b.repeat {
		for _, q := range qs {
			if err := timeQuery(b.kdf, ds, q.sql, &q.after); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(w, "\ncompaction: %s ingested in %d pieces (%d parts), then kdf compact (%.1f s, %d parts); kdf query, median of %d runs\n",
		filepath.Base(camp), compactPieces, partsBefore, took, countParts(ds), b.repeat)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "query\tbefore s\tafter s\tratio\t")
	for _, q := range qs {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.2fx\t\n", q.name, median(q.before), median(q.after), median(q.before)/median(q.after))
	}
	return tw.Flush()
}

func timeQuery(kdf, ds, sql string, into *[]float64) error {
	start := time.Now()
	if err := run(kdf, "query", ds, sql); err != nil {
		return err
	}
	*into = append(*into, time.Since(start).Seconds())
	return nil
}

func run(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return nil
}

func output(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}

func lastLine(s string) string {
	lines := strings.Split(s, "\n")
	return lines[len(lines)-1]
}

// countParts counts the dataset's part files.
func countParts(ds string) int {
	n := 0
	filepath.WalkDir(ds, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") && !slices.Contains(strings.Split(p, string(filepath.Separator)), "_tmp") {
			n++
		}
		return nil
	})
	return n
}
