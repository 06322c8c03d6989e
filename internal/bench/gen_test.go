package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeKdf writes a kdf whose gen writes its arguments and the contents
// of $GEN_VERSION into DIR/args, and logs each call to log.
func fakeKdf(t *testing.T, log string) string {
	t.Helper()
	kdf := filepath.Join(t.TempDir(), "kdf")
	script := `#!/bin/sh
dir=$3; shift 3
mkdir -p "$dir" && echo "$GEN_VERSION $*" > "$dir/args" && echo "$dir" >> ` + log + `
`
	if err := os.WriteFile(kdf, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return kdf
}

// TestCampaignReuse: a campaign is generated once, and again only when
// its args or what the generator writes change.
func TestCampaignReuse(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	b := &bench{kdf: fakeKdf(t, log), work: t.TempDir(), genSeconds: map[string]float64{}}
	generated := func() int {
		data, _ := os.ReadFile(log)
		return strings.Count(string(data), filepath.Join(b.work, "c")+"\n")
	}
	step := func(version string, args []string, want int) {
		t.Helper()
		t.Setenv("GEN_VERSION", version)
		var err error
		if b.genPrint, err = b.fingerprint(); err != nil {
			t.Fatal(err)
		}
		if _, err := b.campaign("c", args...); err != nil {
			t.Fatal(err)
		}
		if n := generated(); n != want {
			t.Errorf("generator %s, args %v: generated %d times, want %d", version, args, n, want)
		}
	}
	step("v1", []string{"--records", "10"}, 1)
	step("v1", []string{"--records", "10"}, 1)
	step("v1", []string{"--records", "20"}, 2)
	step("v2", []string{"--records", "20"}, 3)
	step("v2", []string{"--records", "20"}, 3)
	if err := os.Remove(filepath.Join(b.work, "c.gen")); err != nil {
		t.Fatal(err)
	}
	step("v2", []string{"--records", "20"}, 4) // a run killed before its stamp
}

func TestOverhead(t *testing.T) {
	huge := &result{Records: 10_000_000, Seconds: []float64{4, 5, 6}}           // 2M records/s
	small := &result{Records: 1_000_000, Inputs: 1000, Seconds: []float64{1.5}} // 0.5 s of records
	if got := overhead(small, huge); got < 0.99e-3 || got > 1.01e-3 {
		t.Errorf("overhead %g s an input, want 1 ms", got)
	}
}
