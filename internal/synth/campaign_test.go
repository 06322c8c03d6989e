package synth

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kdf-tools/kdf/ingest"
)

func smallConfig() Config {
	c := DefaultConfig()
	c.Trials, c.Programs = 1, 6
	c.HiddenKallsymsProb = 0.3
	return c
}

func TestWriteCampaignLayout(t *testing.T) {
	dir := t.TempDir()
	cfg := smallConfig()
	sum, err := WriteCampaign(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Boots != 6 || sum.Buffers != 36 || sum.LayoutA == 0 || sum.LayoutB == 0 {
		t.Fatalf("summary %+v", sum)
	}
	if _, err := os.Stat(filepath.Join(dir, "System.map")); err != nil {
		t.Fatal(err)
	}
	for _, arm := range cfg.Arms {
		for boot := 1; boot <= cfg.Boots; boot++ {
			checkBootDir(t, filepath.Join(dir, "arm="+arm, "trial=1", "boot="+string(rune('0'+boot))), cfg.Programs)
		}
	}
}

func checkBootDir(t *testing.T, bdir string, programs int) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(bdir, "kallsyms")); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(bdir, "manifest.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var last time.Time
	n := 0
	for sc.Scan() {
		var keys map[string]any
		var m ManifestEntry
		if json.Unmarshal(sc.Bytes(), &keys) != nil || json.Unmarshal(sc.Bytes(), &m) != nil || len(keys) != 8 {
			t.Fatalf("manifest line %q", sc.Text())
		}
		ts, err := time.Parse(time.RFC3339Nano, m.Timestamp)
		if err != nil || !ts.After(last) || m.ExecNS <= 0 || m.BaselineNS <= 0 || m.Program == "" {
			t.Fatalf("manifest entry %+v", m)
		}
		last = ts
		data, err := os.ReadFile(filepath.Join(bdir, m.File))
		if err != nil {
			t.Fatal(err)
		}
		checkDump(t, data, m)
		n++
	}
	if n != programs {
		t.Errorf("%s: %d manifest lines, want %d", bdir, n, programs)
	}
}

func checkDump(t *testing.T, data []byte, m ManifestEntry) {
	t.Helper()
	l, err := ingest.ParseLayout(m.Layout)
	if err != nil || l == ingest.LayoutUnknown {
		t.Fatalf("layout %q", m.Layout)
	}
	words := len(data) / 8
	count := int(binary.LittleEndian.Uint64(data))
	if len(data)%8 != 0 || (words != m.CapacityWords && words != 1+count) || count >= m.CapacityWords {
		t.Fatalf("%s: %d bytes, area[0]=%d, capacity %d", m.File, len(data), count, m.CapacityWords)
	}
}

func TestWriteCampaignDeterministic(t *testing.T) {
	sized := SizedConfig(Realistic)
	sized.Fit(0, 300)
	for name, cfg := range map[string]Config{"small": smallConfig(), "realistic sizes": sized} {
		a, b := t.TempDir(), t.TempDir()
		if _, err := WriteCampaign(a, cfg); err != nil {
			t.Fatal(err)
		}
		if _, err := WriteCampaign(b, cfg); err != nil {
			t.Fatal(err)
		}
		ha, hb := treeHash(t, a), treeHash(t, b)
		if !bytes.Equal(ha, hb) {
			t.Errorf("%s: same config, different bytes", name)
		}
		cfg.Seed++
		c := t.TempDir()
		if _, err := WriteCampaign(c, cfg); err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(ha, treeHash(t, c)) {
			t.Errorf("%s: another seed, same bytes", name)
		}
	}
}

func treeHash(t *testing.T, root string) []byte {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		h.Write([]byte(rel))
		h.Write(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return h.Sum(nil)
}

// TestCampaignTruth: the in-memory campaign gives the same buffers as the
// files, with a valid truth for each.
func TestCampaignTruth(t *testing.T) {
	cfg := smallConfig()
	dir := t.TempDir()
	if _, err := WriteCampaign(dir, cfg); err != nil {
		t.Fatal(err)
	}
	c, err := NewCampaign(cfg)
	if err != nil {
		t.Fatal(err)
	}
	boots := c.Boots()
	for i := range boots {
		br := &boots[i]
		err := c.RunBoot(br, true, func(b *Buffer) error {
			if err := b.Program.Truth.CheckValid(b.Program.Bytes); err != nil {
				return err
			}
			disk, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(br.Dir), b.File))
			if err == nil && !bytes.Equal(disk, b.Program.Bytes) {
				t.Errorf("%s/%s differs from the file", br.Dir, b.File)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for name, mut := range map[string]func(*Config){
		"no arms":      func(c *Config) { c.Arms = nil },
		"repeated arm": func(c *Config) { c.Arms = []string{"a", "a"} },
		"capacity":     func(c *Config) { c.Capacities = []int{1} },
		"probability":  func(c *Config) { c.TornProb = 2 },
		"layout":       func(c *Config) { c.Layout = 'C' },
		"sizes":        func(c *Config) { c.Sizes = SizeDist{Median: 800, Sigma: -1} },
		"repeats":      func(c *Config) { c.Repeats = -1 },
		"symbols":      func(c *Config) { c.Kernel.Symbols = MaxSymbols + 1 },
	} {
		c := DefaultConfig()
		mut(&c)
		if c.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if c := DefaultConfig(); c.Validate() != nil {
		t.Error("default config rejected")
	}
}

// TestEvaluationFields: rounds, repeats, iters and an interval
// between programs, each written as asked: a repeat is the same program
// again, a round counts programs over the trial's boots, iters
// multiply the times, and timestamps are about the interval apart.
func TestEvaluationFields(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Arms, cfg.Trials, cfg.Boots, cfg.Programs = []string{"a"}, 1, 2, 4
	cfg.RoundPrograms, cfg.Repeats, cfg.Iters, cfg.Interval = 3, 3, 5, time.Minute
	dir := t.TempDir()
	sum, err := WriteCampaign(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Buffers != 2*4*3 {
		t.Errorf("%d buffers, want 24", sum.Buffers)
	}
	wantRounds := map[int][]int{1: {1, 1, 1, 2}, 2: {2, 2, 3, 3}} // 4 programs a boot, 3 a round
	for boot := 1; boot <= 2; boot++ {
		b, err := os.ReadFile(filepath.Join(dir, "arm=a", "trial=1", "boot="+string(rune('0'+boot)), "manifest.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		var prev ManifestEntry
		var last time.Time
		for i, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
			var m ManifestEntry
			if err := json.Unmarshal(line, &m); err != nil {
				t.Fatal(err)
			}
			program, repeat := i/3, i%3+1
			ts, _ := time.Parse(time.RFC3339Nano, m.Timestamp)
			switch {
			case m.Repeat != repeat || m.Iters != 5 || m.Round != wantRounds[boot][program]:
				t.Errorf("boot %d line %d: repeat %d, iters %d, round %d", boot, i, m.Repeat, m.Iters, m.Round)
			case repeat > 1 && (m.Program != prev.Program || m.BaselineNS != prev.BaselineNS):
				t.Errorf("boot %d line %d: repeat %d is another program", boot, i, repeat)
			case repeat == 1 && i > 0 && m.Program == prev.Program:
				t.Errorf("boot %d line %d: a new program is the last one again", boot, i)
			case m.BaselineNS%5 != 0 || m.ExecNS < m.BaselineNS/2:
				t.Errorf("boot %d line %d: times %d, %d over 5 iterations", boot, i, m.ExecNS, m.BaselineNS)
			case i > 0 && (ts.Sub(last) < 30*time.Second || ts.Sub(last) > 90*time.Second+time.Duration(prev.ExecNS)):
				t.Errorf("boot %d line %d: %v after the last", boot, i, ts.Sub(last))
			}
			prev, last = m, ts
		}
	}
}
