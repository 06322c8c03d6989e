package capture_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/ingest/capture"
	"github.com/kdf-tools/kdf/ingest/capture/capturetest"
)

// The test binary is also the launcher Record starts.
func TestMain(m *testing.M) {
	capture.Launch()
	os.Exit(m.Run())
}

// rig is a simulated kernel, its host files and a campaign directory.
type rig struct {
	k    *capturetest.Kernel
	host capture.Host
	dir  string
}

func newRig(t *testing.T, layout ingest.Layout) *rig {
	t.Helper()
	k := capturetest.NewKernel(layout, 7)
	host, err := k.Host(t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	return &rig{k: k, host: host, dir: filepath.Join(t.TempDir(), "campaign", "arm=x")}
}

func (r *rig) record(t *testing.T, opt capture.Options) (*capture.Result, error) {
	t.Helper()
	opt.Dir = r.dir
	if opt.Capacity == 0 {
		opt.Capacity = 8192
	}
	var out, errOut bytes.Buffer
	opt.Stdout, opt.Stderr = &out, &errOut
	res, err := capture.Record(context.Background(), r.k.Open, r.host, opt)
	if errOut.Len() > 0 {
		t.Logf("the command's stderr: %s", errOut.String())
	}
	return res, err
}

func (r *rig) mustRecord(t *testing.T, opt capture.Options) *capture.Result {
	t.Helper()
	res, err := r.record(t, opt)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// manifestLines reads a boot directory's manifest.
func manifestLines(t *testing.T, dir string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("manifest line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// TestRecord: the buffer written is the whole mapping the kernel wrote,
// byte for byte, beside the boot's kallsyms and type source and a
// manifest line with every field; it decodes to what the kernel wrote.
func TestRecord(t *testing.T) {
	for _, layout := range []ingest.Layout{ingest.LayoutA, ingest.LayoutB} {
		t.Run(layout.String(), func(t *testing.T) {
			r := newRig(t, layout)
			res := r.mustRecord(t, capture.Options{Command: []string{"sh", "-c", "echo it ran; exit 0", "it's"}})
			runs := r.k.Runs()
			if len(runs) != 1 {
				t.Fatalf("%d traced runs, want 1", len(runs))
			}
			boot := filepath.Join(r.dir, "boot="+r.k.BootID())
			if want := filepath.Join(boot, "prog-000001.kcdf"); res.Buffer != want {
				t.Errorf("buffer %s, want %s", res.Buffer, want)
			}
			buf, err := os.ReadFile(res.Buffer)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf, runs[0].Bytes) || len(buf) != 8192*8 {
				t.Errorf("the buffer written (%d bytes) is not the mapping the kernel wrote (%d bytes)", len(buf), len(runs[0].Bytes))
			}
			truth := runs[0].Stats
			if s := res.Stats; s.Layout != layout || s.Records != int64(truth.Records) || s.Capacity != 8192 || s.Saturated {
				t.Errorf("decoded layout %v, %d records, capacity %d, saturated %v; the kernel wrote layout %v, %d records in 8192 words",
					s.Layout, s.Records, s.Capacity, s.Saturated, layout, truth.Records)
			}
			for _, f := range []string{"kallsyms", "vmlinux.btf"} {
				want, _ := os.ReadFile(map[string]string{"kallsyms": r.host.Kallsyms, "vmlinux.btf": r.host.TypeSource}[f])
				if got, err := os.ReadFile(filepath.Join(boot, f)); err != nil || !bytes.Equal(got, want) {
					t.Errorf("%s: %v, or not a copy of the host's", f, err)
				}
			}
			lines := manifestLines(t, boot)
			if len(lines) != 1 {
				t.Fatalf("%d manifest lines, want 1", len(lines))
			}
			m := lines[0]
			for k, want := range map[string]any{
				"file": "prog-000001.kcdf", "program": `sh -c 'echo it ran; exit 0' 'it'\''s'`, "iterations": 1.0,
				"capacity_words": 8192.0, "layout": layout.String(), "kernel_release": r.host.Release, "exit_code": 0.0,
			} {
				if m[k] != want {
					t.Errorf("manifest %s = %v, want %v", k, m[k], want)
				}
			}
			if _, err := time.Parse(time.RFC3339Nano, m["timestamp"].(string)); err != nil {
				t.Errorf("timestamp: %v", err)
			}
			if m["exec_ns"].(float64) <= 0 || m["baseline_ns"].(float64) <= 0 || m["signal"] != nil {
				t.Errorf("exec_ns %v, baseline_ns %v, signal %v", m["exec_ns"], m["baseline_ns"], m["signal"])
			}
		})
	}
}

// TestRecordDescriptors: the traced command holds the device's
// descriptor, which keeps the buffer alive should kdf die, and nothing
// else of kdf's, not the status pipe; the baseline run holds neither.
func TestRecordDescriptors(t *testing.T) {
	r := newRig(t, ingest.LayoutA)
	fds := filepath.Join(t.TempDir(), "fds")
	// ls lists its own descriptors, 3 being the one it reads them with.
	r.mustRecord(t, capture.Options{Command: []string{"sh", "-c", `ls -l /proc/self/fd/ >> "$0"; echo end >> "$0"`, fds}})
	b, err := os.ReadFile(fds)
	if err != nil {
		t.Fatal(err)
	}
	runs := strings.Split(string(b), "end\n") // the traced run's, then the baseline's
	fd := func(run, n string) string {
		for line := range strings.Lines(run) {
			if _, target, ok := strings.Cut(line, " "+n+" -> "); ok {
				return strings.TrimSpace(target)
			}
		}
		return ""
	}
	if len(runs) != 3 || !strings.HasPrefix(fd(runs[0], "3"), "/proc/") || !strings.HasPrefix(fd(runs[0], "4"), "/memfd:kcov_dataflow") ||
		!strings.HasPrefix(fd(runs[1], "3"), "/proc/") || fd(runs[1], "4") != "" {
		t.Errorf("the descriptors of the traced run, then of the baseline run:\n%s", b)
	}
}

// TestRecordSaturated: a buffer too small for what the task does fills
// up, the kernel drops the rest, and the capture says so.
func TestRecordSaturated(t *testing.T) {
	r := newRig(t, ingest.LayoutA)
	r.k.Callbacks = 3000
	res := r.mustRecord(t, capture.Options{Command: []string{"true"}, Capacity: 512})
	truth := r.k.Runs()[0].Stats
	if truth.Drops == 0 {
		t.Fatalf("the kernel dropped nothing: %+v", truth)
	}
	if !res.Stats.Saturated || res.Stats.Records != int64(truth.Records) {
		t.Errorf("saturated %v, %d records; the kernel kept %d and dropped %d", res.Stats.Saturated, res.Stats.Records, truth.Records, truth.Drops)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "filled up") || !strings.Contains(res.Warnings[0], "--capacity") {
		t.Errorf("warnings %q, want one saying the buffer filled up", res.Warnings)
	}
}

// TestRecordEnding: a command that fails or crashes is recorded, its
// buffer written, and the manifest says how it ended.
func TestRecordEnding(t *testing.T) {
	for _, c := range []struct {
		script string
		ending capture.Ending
		code   any // the manifest's exit_code
		signal any
	}{
		{"exit 3", capture.Ending{ExitCode: 3}, 3.0, nil},
		{"kill -SEGV $$", capture.Ending{ExitCode: -1, Signal: syscall.SIGSEGV}, nil, "SIGSEGV"},
		{"kill -KILL $$", capture.Ending{ExitCode: -1, Signal: syscall.SIGKILL}, nil, "SIGKILL"},
	} {
		t.Run(c.script, func(t *testing.T) {
			r := newRig(t, ingest.LayoutB)
			res := r.mustRecord(t, capture.Options{Command: []string{"sh", "-c", c.script}})
			if res.Ending != c.ending || res.Ending.OK() {
				t.Errorf("ending %+v (%s), want %+v", res.Ending, res.Ending, c.ending)
			}
			if buf, err := os.ReadFile(res.Buffer); err != nil || !bytes.Equal(buf, r.k.Runs()[0].Bytes) {
				t.Errorf("buffer not written as recorded: %v", err)
			}
			m := manifestLines(t, filepath.Dir(res.Buffer))[0]
			if m["exit_code"] != c.code || m["signal"] != c.signal {
				t.Errorf("manifest exit_code %v, signal %v; want %v, %v", m["exit_code"], m["signal"], c.code, c.signal)
			}
		})
	}
}

// TestRecordRepeat: with --repeat, the command runs as many times with
// recording off as on; the buffer kept is the first traced run that
// failed, else the last.
func TestRecordRepeat(t *testing.T) {
	count := filepath.Join(t.TempDir(), "count")
	// Runs go on, off; off, on; on, off: the 4th run is the second traced one.
	script := `n=$(cat "$0" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$0"; [ $n -ne 4 ]`
	r := newRig(t, ingest.LayoutA)
	res := r.mustRecord(t, capture.Options{Command: []string{"sh", "-c", script, count}, Repeat: 3})
	if n, _ := os.ReadFile(count); strings.TrimSpace(string(n)) != "6" {
		t.Errorf("the command ran %s times, want 6", n)
	}
	runs := r.k.Runs()
	if len(runs) != 3 || res.Manifest.Iterations != 3 {
		t.Fatalf("%d traced runs, iterations %d; want 3", len(runs), res.Manifest.Iterations)
	}
	if buf, _ := os.ReadFile(res.Buffer); !bytes.Equal(buf, runs[1].Bytes) || bytes.Equal(buf, runs[2].Bytes) {
		t.Errorf("the buffer kept is not the failed second traced run's")
	}
	if res.Ending.ExitCode != 1 || *res.Manifest.ExitCode != 1 {
		t.Errorf("ending %s, manifest exit code %d; want status 1", res.Ending, *res.Manifest.ExitCode)
	}

	r = newRig(t, ingest.LayoutA)
	res = r.mustRecord(t, capture.Options{Command: []string{"true"}, Repeat: 2})
	if buf, _ := os.ReadFile(res.Buffer); len(r.k.Runs()) != 2 || !bytes.Equal(buf, r.k.Runs()[1].Bytes) {
		t.Errorf("the buffer kept is not the last traced run's")
	}
}

// TestRecordTimes: exec_ns and baseline_ns time the command, not kdf's
// launcher, with recording on and off alike.
func TestRecordTimes(t *testing.T) {
	r := newRig(t, ingest.LayoutA)
	res := r.mustRecord(t, capture.Options{Command: []string{"sleep", "0.2"}})
	for name, ns := range map[string]int64{"exec_ns": res.Manifest.ExecNS, "baseline_ns": res.Manifest.BaselineNS} {
		if ns < 200e6 || ns > 5e9 {
			t.Errorf("%s = %v for sleep 0.2", name, time.Duration(ns))
		}
	}
}

// TestRecordOncePerBoot: captures of one boot share its snapshots and
// its manifest, each buffer under a name of its own, even at once.
func TestRecordOncePerBoot(t *testing.T) {
	r := newRig(t, ingest.LayoutB)
	first := r.mustRecord(t, capture.Options{Command: []string{"true"}})
	if first.Kallsyms == "" || first.TypeSource == "" {
		t.Errorf("first capture of the boot kept kallsyms %q, type source %q", first.Kallsyms, first.TypeSource)
	}
	var wg sync.WaitGroup
	results := make([]*capture.Result, 4)
	for i := range results {
		wg.Go(func() { results[i] = r.mustRecord(t, capture.Options{Command: []string{"true"}}) })
	}
	wg.Wait()
	names := map[string]bool{first.Buffer: true}
	for _, res := range results {
		if res.Kallsyms != "" || res.TypeSource != "" {
			t.Errorf("a later capture wrote the boot's snapshots again: %q, %q", res.Kallsyms, res.TypeSource)
		}
		names[res.Buffer] = true
	}
	boot := filepath.Dir(first.Buffer)
	lines := manifestLines(t, boot)
	files, _ := filepath.Glob(filepath.Join(boot, "prog-*.kcdf"))
	if len(names) != 5 || len(lines) != 5 || len(files) != 5 {
		t.Errorf("%d names, %d manifest lines, %d files; want 5 of each", len(names), len(lines), len(files))
	}
	for _, m := range lines {
		if !names[filepath.Join(boot, m["file"].(string))] {
			t.Errorf("manifest names %v, not a buffer written", m["file"])
		}
	}
}

// TestRecordHiddenKallsyms: a kallsyms whose addresses kptr_restrict hid
// is not kept, and the capture says why.
func TestRecordHiddenKallsyms(t *testing.T) {
	r := newRig(t, ingest.LayoutA)
	if err := os.WriteFile(r.host.Kallsyms, []byte("0000000000000000 T _text\n0000000000000000 t vfs_write\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := r.mustRecord(t, capture.Options{Command: []string{"true"}})
	if res.Kallsyms != "" || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "kptr_restrict") {
		t.Errorf("kallsyms %q, warnings %q", res.Kallsyms, res.Warnings)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(res.Buffer), "kallsyms")); !os.IsNotExist(err) {
		t.Errorf("a hidden kallsyms was kept: %v", err)
	}
}

// TestRecordNothingWritten: when the recording cannot be made, the
// command does not run and nothing is written.
func TestRecordNothingWritten(t *testing.T) {
	r := newRig(t, ingest.LayoutA)
	ran := filepath.Join(t.TempDir(), "ran")
	touch := []string{"sh", "-c", `echo > "$0"`, ran}
	noDevice := func() (capture.Device, error) { return nil, errors.New("no kcov_dataflow here") }
	enabling := func() (capture.Device, error) { // a device the launcher must enable: a memfd refuses the ioctl
		d, err := r.k.Open()
		return enablingDevice{d}, err
	}
	noBoot := r.host
	noBoot.BootID = filepath.Join(t.TempDir(), "boot_id")
	for _, c := range []struct {
		name  string
		open  capture.Opener
		host  capture.Host
		opt   capture.Options
		error string
	}{
		{"no device", noDevice, r.host, capture.Options{Command: touch}, "no kcov_dataflow here"},
		{"enable fails", enabling, r.host, capture.Options{Command: touch}, "the command did not run: enable recording (KCOV_DF_ENABLE): inappropriate ioctl"},
		{"no command", r.k.Open, r.host, capture.Options{Command: []string{"kdf-no-such-command"}}, `"kdf-no-such-command": executable file not found`},
		{"no boot id", r.k.Open, noBoot, capture.Options{Command: touch}, "the boot's id"},
		{"bad capacity", r.k.Open, r.host, capture.Options{Command: touch, Capacity: 1000}, "want a multiple of 512 words"},
		{"bad repeat", r.k.Open, r.host, capture.Options{Command: touch, Repeat: -1}, "repeat -1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.opt.Dir = r.dir
			_, err := capture.Record(context.Background(), c.open, c.host, c.opt)
			if err == nil || !strings.Contains(err.Error(), c.error) {
				t.Errorf("error %v, want one saying %q", err, c.error)
			}
			if err := os.Remove(ran); !os.IsNotExist(err) {
				t.Errorf("the command ran")
			}
			if _, err := os.Stat(filepath.Dir(r.dir)); !os.IsNotExist(err) {
				t.Errorf("something was written: %v", err)
			}
		})
	}
	var le *capture.LaunchError
	if _, err := capture.Record(context.Background(), enabling, r.host, capture.Options{Dir: r.dir, Command: touch}); !errors.As(err, &le) {
		t.Errorf("a launcher that failed gave %T, want a *capture.LaunchError", err)
	}
}

type enablingDevice struct{ capture.Device }

func (d enablingDevice) Task() (*os.File, bool) {
	f, _ := d.Device.Task()
	return f, true
}

// TestRecordInterrupted: a cancelled capture stops the command and
// writes nothing.
func TestRecordInterrupted(t *testing.T) {
	r := newRig(t, ingest.LayoutA)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := capture.Record(ctx, r.k.Open, r.host, capture.Options{Dir: r.dir, Command: []string{"sleep", "30"}})
	if err == nil || !strings.Contains(err.Error(), "interrupted") || time.Since(start) > 10*time.Second {
		t.Errorf("error %v after %v, want an interruption at once", err, time.Since(start))
	}
	if _, err := os.Stat(filepath.Dir(r.dir)); !os.IsNotExist(err) {
		t.Errorf("something was written: %v", err)
	}
}

// TestOpenDeviceMissing: where no debugfs is mounted, the error says so
// and how to mount it.
func TestOpenDeviceMissing(t *testing.T) {
	dir := t.TempDir()
	_, err := capture.OpenDevice(filepath.Join(dir, "kcov_dataflow"))
	if err == nil || !strings.Contains(err.Error(), "debugfs is not mounted at "+dir) || !strings.Contains(err.Error(), "mount -t debugfs none "+dir) ||
		!errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v", err)
	}
}
