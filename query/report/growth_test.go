package report

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kdf-tools/kdf/internal/synth"
	"github.com/kdf-tools/kdf/query/plot"
)

// TestGrowthAxes: compare_growth's round, elapsed_s and exec_s against
// the manifests, and a figure over each axis labelled in its unit.
func TestGrowthAxes(t *testing.T) {
	cfg := synth.DefaultConfig()
	cfg.Arms, cfg.Trials, cfg.Boots, cfg.Programs = []string{"a", "b"}, 2, 1, 6
	cfg.RoundPrograms, cfg.Interval = 2, time.Hour
	db := openDataset(t, "rounds", genSources(t, cfg))
	growth := run(t, db, "compare_growth", nil)
	rows, err := db.Query(context.Background(), "SELECT run_id, timestamp, exec_ns FROM runs", nil)
	if err != nil {
		t.Fatal(err)
	}
	manifest := map[int64][]any{}
	for _, r := range rows.Rows {
		manifest[r[0].(int64)] = r[1:]
	}
	var first time.Time
	var execNS int64
	for _, r := range growth.Rows {
		col := func(name string) any { return r[growth.Index(name)] }
		m, run := manifest[col("run_id").(int64)], col("run").(int64)
		ts, _ := time.Parse(time.RFC3339Nano, m[0].(string))
		if run == 1 {
			first, execNS = ts, 0
		}
		execNS += m[1].(int64)
		// Programs 1 and 2 are round 1, 3 and 4 round 2, ...
		if g, w := col("round"), float64((run-1)/2+1); g != w {
			t.Errorf("run %d: round %v, want %v", run, g, w)
		}
		if g, w := col("elapsed_s").(float64), ts.Sub(first).Seconds(); math.Abs(g-w) > 1e-6 {
			t.Errorf("run %d: elapsed_s %v, the timestamps say %v", run, g, w)
		}
		if g, w := col("exec_s").(float64), float64(execNS)/1e9; math.Abs(g-w) > 1e-12 {
			t.Errorf("run %d: exec_s %v, the manifests add up to %v", run, g, w)
		}
	}
	if last := growth.Rows[5]; last[growth.Index("elapsed_s")].(float64) < 4*3600 {
		t.Errorf("6 programs about an hour apart span %v s", last[growth.Index("elapsed_s")])
	}
	r, _ := Lookup("compare_growth")
	for axis, label := range map[string]string{
		"run": "\nrun\n", "round": "\nround\n", "time": "time since the trial's first run (hours)", "exec": "execution time, cumulative (µs)",
	} {
		vars, err := r.Vars(map[string]string{"axis": axis})
		if err != nil {
			t.Fatal(err)
		}
		fig, err := r.Plot(context.Background(), db, growth, vars)
		if err != nil {
			t.Fatalf("--axis %s: %v", axis, err)
		}
		var svg bytes.Buffer
		if err := fig.Write(&svg, plot.SVG); err != nil {
			t.Fatal(err)
		}
		if text := svgText(t, svg.Bytes()); !strings.Contains(text, label) {
			t.Errorf("--axis %s: no %q in the figure's text:\n%s", axis, label, text)
		}
	}
	// Without rounds, a figure over rounds says what is missing.
	arms := openDataset(t, "arms", genSources(t, armsCampaign()))
	vars, _ := r.Vars(map[string]string{"axis": "round"})
	_, err = r.Plot(context.Background(), arms, run(t, arms, "compare_growth", nil), vars)
	if err == nil || !strings.Contains(err.Error(), "72 of 72 runs lack a round attribute") {
		t.Errorf("--axis round without rounds: %v", err)
	}
	if _, err := r.Vars(map[string]string{"axis": "hours"}); err == nil {
		t.Error("--axis hours accepted")
	}
}

func TestTimeUnit(t *testing.T) {
	for _, tc := range []struct {
		seconds float64
		want    string
	}{{86400, "hours 3600"}, {7200, "hours 3600"}, {7199, "minutes 60"}, {120, "minutes 60"}, {119, "seconds 1"}, {2, "seconds 1"},
		{1.5, "ms 0.001"}, {0.002, "ms 0.001"}, {0.0015, "µs 1e-06"}, {0, "µs 1e-06"}} {
		if name, per := timeUnit(tc.seconds); fmt.Sprint(name, " ", per) != tc.want {
			t.Errorf("timeUnit(%v) = %s %v, want %s", tc.seconds, name, per, tc.want)
		}
	}
}

// svgText is the text of an SVG's elements: its title and description.
func svgText(t *testing.T, data []byte) string {
	t.Helper()
	var text strings.Builder
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return text.String()
		}
		if err != nil {
			t.Fatalf("the SVG is not XML: %v", err)
		}
		if cd, ok := tok.(xml.CharData); ok {
			text.Write(cd)
		}
	}
}
