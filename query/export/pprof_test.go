package export

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/pprof/profile"

	"github.com/kdf-tools/kdf/query/report"
)

// TestProfileReadBack: the profile pprof's own reader reads back is
// valid, has both sample types, totals what the calls table holds, and
// names every function with its module.
func TestProfileReadBack(t *testing.T) {
	db := campaignDataset(t)
	s, err := ReadStacks(context.Background(), db, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	p := readBack(t, s.Profile("a comment"))
	if got := p.SampleType; len(got) != 2 || got[0].Type != "records" || got[1].Type != "calls" || p.DefaultSampleType != "records" {
		t.Errorf("sample types %v, default %q", got, p.DefaultSampleType)
	}
	var records, calls int64
	for _, sm := range p.Sample {
		records, calls = records+sm.Value[0], calls+sm.Value[1]
	}
	wantRecords := count(t, db, "SELECT CAST(sum(records) AS BIGINT) FROM calls WHERE parent_id = -1", nil)
	wantCalls := count(t, db, "SELECT count(*) FROM calls", nil)
	if records != wantRecords || calls != wantCalls {
		t.Errorf("samples total %d records in %d calls, the calls table %d in %d", records, calls, wantRecords, wantCalls)
	}
	for _, l := range p.Location {
		fn := l.Line[0].Function
		if l.Mapping == nil || l.Mapping.File != fn.Filename || !l.Mapping.HasFunctions {
			t.Errorf("%s: file %q, mapping %+v", fn.Name, fn.Filename, l.Mapping)
		}
	}
	if p.Mapping[0].File != coreModule {
		t.Errorf("the main mapping is %q, want the core kernel's", p.Mapping[0].File)
	}
	checkNames(t, p)
	if len(p.Comments) != 1 || p.Comments[0] != "a comment" {
		t.Errorf("comments %q", p.Comments)
	}
}

func readBack(t *testing.T, p *profile.Profile) *profile.Profile {
	t.Helper()
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := profile.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := back.CheckValid(); err != nil {
		t.Fatal(err)
	}
	return back
}

// checkNames: Rust functions are named demangled with their symbol as
// the system name; an unresolved pc is a function named in hex.
func checkNames(t *testing.T, p *profile.Profile) {
	t.Helper()
	var rust, unresolved int
	for _, fn := range p.Function {
		switch {
		case strings.HasPrefix(fn.Name, "0x"):
			unresolved++
			if fn.SystemName != fn.Name {
				t.Errorf("unresolved %s: system name %q", fn.Name, fn.SystemName)
			}
		case strings.Contains(fn.Name, "::"):
			rust++
			if !strings.HasPrefix(fn.SystemName, "_R") && !strings.HasPrefix(fn.SystemName, "_ZN") {
				t.Errorf("%s: system name %q, want the mangled symbol", fn.Name, fn.SystemName)
			}
		}
	}
	if rust == 0 || unresolved == 0 {
		t.Errorf("%d Rust and %d unresolved functions, want some of each", rust, unresolved)
	}
}

// TestProfileMatchesOverheadFunctions: what pprof shows per function,
// computed from the profile read back as pprof computes it (flat: the
// samples ending in the function; cum: those through it, each counted
// once), is what kdf's overhead_functions report says of the
// function: its calls, and the records inside its outermost calls.
func TestProfileMatchesOverheadFunctions(t *testing.T) {
	db := campaignDataset(t)
	s, err := ReadStacks(context.Background(), db, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	flat, cum := perFunction(readBack(t, s.Profile()))
	r, err := report.Lookup("overhead_functions")
	if err != nil {
		t.Fatal(err)
	}
	tab, err := r.Run(context.Background(), db, map[string]any{"top": int64(0)})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, row := range tab.Rows {
		name, ok := row[tab.Index("function")].(string)
		if !ok { // records of no function
			continue
		}
		key := row[tab.Index("module")].(string) + "\x00" + name
		if calls := row[tab.Index("calls")].(int64); calls > 0 {
			checked++
			if flat[key][1] != calls || cum[key] != row[tab.Index("records_in_calls")].(int64) {
				t.Errorf("%s: pprof flat %d calls, cum %d records; the report %d calls, %d records in calls",
					name, flat[key][1], cum[key], calls, row[tab.Index("records_in_calls")])
			}
		}
	}
	if checked < 20 {
		t.Errorf("%d functions compared", checked)
	}
}

// perFunction returns each function's flat values and cumulative
// records, keyed by module and name.
func perFunction(p *profile.Profile) (flat map[string][2]int64, cum map[string]int64) {
	flat, cum = map[string][2]int64{}, map[string]int64{}
	key := func(l *profile.Location) string {
		fn := l.Line[0].Function
		module := fn.Filename
		if module == coreModule {
			module = ""
		}
		return module + "\x00" + fn.Name
	}
	for _, sm := range p.Sample {
		k := key(sm.Location[0])
		flat[k] = [2]int64{flat[k][0] + sm.Value[0], flat[k][1] + sm.Value[1]}
		seen := map[string]bool{}
		for _, l := range sm.Location {
			if k := key(l); !seen[k] {
				seen[k] = true
				cum[k] += sm.Value[0]
			}
		}
	}
	return flat, cum
}
