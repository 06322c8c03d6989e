package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/ingest/capture"
	"github.com/kdf-tools/kdf/ingest/capture/capturetest"
)

// simulate puts a simulated kernel in place of the device and host kdf
// record reads, for the rest of the test.
func simulate(t *testing.T, layout ingest.Layout, typeSource bool) *capturetest.Kernel {
	t.Helper()
	k := capturetest.NewKernel(layout, 11)
	host, err := k.Host(t.TempDir(), typeSource)
	if err != nil {
		t.Fatal(err)
	}
	opener, hostOf := recordOpener, recordHost
	recordOpener = func(string) capture.Opener { return k.Open }
	recordHost = func() capture.Host { return host }
	t.Cleanup(func() { recordOpener, recordHost = opener, hostOf })
	return k
}

// queryRows runs SQL with kdf query and returns its rows, one map each.
func queryRows(t *testing.T, ds, sql string) []map[string]any {
	t.Helper()
	out, _ := kdf(t, "query", ds, sql, "--format", "json")
	var rows []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		rows = append(rows, m)
	}
	return rows
}

// TestRecordIngest: what kdf record writes, kdf ingest takes as it is:
// every buffer a run, symbolized by the boot's kallsyms, the manifest's
// fields in the runs table, a crash's signal among them.
func TestRecordIngest(t *testing.T) {
	for _, layout := range []ingest.Layout{ingest.LayoutA, ingest.LayoutB} {
		t.Run(layout.String(), func(t *testing.T) {
			k := simulate(t, layout, false)
			campaign := filepath.Join(t.TempDir(), "campaign")
			dir := filepath.Join(campaign, "arm=sim")
			_, errOut := kdf(t, "record", "-o", dir, "--capacity", "4096", "--", "sh", "-c", "exit 0")
			if !strings.Contains(errOut, "recorded sh -c 'exit 0' (exited with status 0) into "+filepath.Join(dir, "boot="+k.BootID(), "prog-000001.kcdf")) {
				t.Errorf("stderr %q", errOut)
			}
			kdf(t, "record", "-o", dir, "--capacity", "4096", "--repeat", "2", "--", "sh", "-c", "kill -SEGV $$")
			ds := filepath.Join(t.TempDir(), "ds")
			kdf(t, "ingest", campaign, "-o", ds, "--campaign", "rec", "-q")
			rows := queryRows(t, ds, `SELECT path, arm, boot, program, exec_ns > 0 AS timed, baseline_ns > 0 AS base, layout, layout_forced,
				capacity, records, unresolved_pcs, kallsyms IS NOT NULL AS symbolized, problems,
				attrs['iterations'] AS iterations, attrs['kernel_release'] AS kernel, attrs['exit_code'] AS exit_code, attrs['signal'] AS signal
				FROM runs ORDER BY path`)
			if len(rows) != 2 {
				t.Fatalf("%d runs, want 2: %v", len(rows), rows)
			}
			runs := k.Runs()
			for i, want := range []map[string]any{
				{"path": "arm=sim/boot=" + k.BootID() + "/prog-000001.kcdf", "program": "sh -c 'exit 0'", "iterations": "1", "exit_code": "0", "signal": nil},
				{"path": "arm=sim/boot=" + k.BootID() + "/prog-000002.kcdf", "program": `sh -c 'kill -SEGV $$'`, "iterations": "2", "exit_code": nil, "signal": "SIGSEGV"},
			} {
				maps := map[string]any{
					"arm": "sim", "boot": k.BootID(), "timed": true, "base": true, "layout": layout.String(), "layout_forced": true,
					"capacity": 4096.0, "records": float64(runs[i].Stats.Records), "unresolved_pcs": 0.0, "symbolized": true, "problems": nil,
					"kernel": "6.16.0-kcov-dataflow-" + layout.String(),
				}
				for k, v := range want {
					maps[k] = v
				}
				for col, v := range maps {
					if rows[i][col] != v {
						t.Errorf("run %d: %s = %v, want %v", i+1, col, rows[i][col], v)
					}
				}
			}
		})
	}
}

// TestRecordTypeSource: a boot's type source lies beside its kallsyms as
// vmlinux.btf, and names the runs' arguments when they are ingested.
func TestRecordTypeSource(t *testing.T) {
	simulate(t, ingest.LayoutA, true)
	dir := filepath.Join(t.TempDir(), "campaign")
	kdf(t, "record", "-o", dir, "--capacity", "4096", "--", "true")
	ds := filepath.Join(t.TempDir(), "ds")
	if _, errOut, err := runKDF("ingest", dir, "-o", ds, "-q"); err != nil {
		t.Fatalf("ingest: %v, %s", err, errOut)
	}
	rows := queryRows(t, ds, "SELECT named, type_source, proto_mismatches, (SELECT count(*) FROM rejects) AS rejects FROM runs")
	if len(rows) != 1 || rows[0]["named"] != true || !strings.HasSuffix(fmt.Sprint(rows[0]["type_source"]), "/vmlinux.btf") ||
		rows[0]["proto_mismatches"] != 0.0 || rows[0]["rejects"] != 0.0 {
		t.Errorf("runs %v", rows)
	}
}

// TestRecordRefused: usage errors, and a kernel without kcov_dataflow
// (this machine's, unless it has one), fail before the command runs,
// with nothing written.
func TestRecordRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "campaign")
	ran := filepath.Join(t.TempDir(), "ran")
	touch := []string{"--", "sh", "-c", `echo > "$0"`, ran}
	for _, c := range []struct {
		args  []string
		usage bool
		want  string
	}{
		{nil, true, "record takes the command to run after --"},
		{append([]string{"--capacity", "1000"}, touch...), true, "want a multiple of 512 words"},
		{append([]string{"--capacity", "0"}, touch...), true, "capacity 0"},
		{append([]string{"--repeat", "0"}, touch...), true, "repeat 0"},
		{append([]string{"--device", filepath.Join(t.TempDir(), "kcov_dataflow")}, touch...), false, "debugfs is not mounted at"},
	} {
		args := append([]string{"record", "-o", dir}, c.args...)
		_, _, err := runKDF(args...)
		if err == nil || errors.Is(err, errUsage) != c.usage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("kdf %s: %v, want a usage error %v saying %q", strings.Join(args, " "), err, c.usage, c.want)
		}
	}
	if _, err := os.Stat(capture.DevicePath); err != nil {
		_, _, err := runKDF(append([]string{"record", "-o", dir}, touch...)...)
		if err == nil || !strings.Contains(err.Error(), capture.DevicePath) || !strings.Contains(err.Error(), "nothing written") {
			t.Errorf("kdf record on a kernel without kcov_dataflow: %v", err)
		}
	}
	if _, err := os.Stat(ran); !os.IsNotExist(err) {
		t.Errorf("the command ran")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("something was written: %v", err)
	}
}
