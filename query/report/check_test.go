package report

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/internal/seedsession"
	"github.com/kdf-tools/kdf/query"
)

// TestCheck: a --by or --func given that selects nothing is refused
// with what the dataset has; what selects something, and the defaults,
// pass.
func TestCheck(t *testing.T) {
	arms := openDataset(t, "arms", genSources(t, armsCampaign()))
	seed := openDataset(t, "seed", seedSources(t, seedsession.Names...))
	for _, tc := range []struct {
		db     string
		report string
		given  map[string]string
		want   string // in the error; "" for none
	}{
		{"arms", "overhead", map[string]string{"group_by": "nosuchattr"}, `no run has the attribute "nosuchattr" to group by (--by); they have arm, baseline_ns, boot,`},
		{"arms", "compare", map[string]string{"group_by": "arms"}, `they have arm, `},
		{"arms", "overhead_functions", map[string]string{"group_by": "arm", "campaign": "other"}, `no run in campaign "other" has the attribute "arm"`},
		{"seed", "overhead", map[string]string{"group_by": "arm"}, `nor any other; --by campaign`},
		{"arms", "overhead", map[string]string{"group_by": "arm"}, ""},
		{"arms", "compare_growth", map[string]string{"group_by": "trial", "campaign": "arms"}, ""},
		{"seed", "overhead_runs", map[string]string{"group_by": "campaign"}, ""},
		{"seed", "compare", nil, ""}, // grouped by arm, which no run has: one group
		{"seed", "values", map[string]string{"func": "ffi_allc*"}, `no function matches --func "ffi_allc*"; the closest: ffi_alloc_buf`},
		{"seed", "pairs", map[string]string{"func": "FFI_*"}, `the closest: ffi_alloc_buf, ffi_check_result`},
		{"seed", "values", map[string]string{"func": "printk"}, `the closest: _printk, vprintk`},
		{"seed", "values", map[string]string{"func": "zzzzqqqq"}, `nor comes close`},
		{"seed", "values", map[string]string{"func": "ffi_*", "module": "nomod"}, `no function of module "nomod" matches --func "ffi_*": there are none`},
		{"seed", "pairs", map[string]string{"func": "ffi_*", "campaign": "other"}, `no function in campaign "other" matches`},
		{"seed", "values", map[string]string{"func": "ffi_*", "module": "rust_ffi_contract"}, ""},
		{"seed", "pairs", map[string]string{"func": "*printk*"}, ""},
	} {
		db := map[string]*query.DB{"arms": arms, "seed": seed}[tc.db]
		r, err := Lookup(tc.report)
		if err != nil {
			t.Fatal(err)
		}
		err = r.Check(context.Background(), db, tc.given)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s %v over %s: %v", tc.report, tc.given, tc.db, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s %v over %s: %v, want an error with %q", tc.report, tc.given, tc.db, err, tc.want)
		case err != nil && strings.Contains(err.Error(), "\n"):
			t.Errorf("%s %v: the error is not one line: %q", tc.report, tc.given, err)
		}
	}
}

func TestClosest(t *testing.T) {
	names := []string{"do_sys_open", "do_sys_openat2", "ksys_read", "ksys_write", "vfs_read", "__x64_sys_read"}
	for glob, want := range map[string][]string{
		"ksys_raed":   {"ksys_read", "__x64_sys_read"},
		"KSYS_*":      {"ksys_read", "ksys_write", "do_sys_open"}, // matched but for case first
		"*sys_opn*":   {"do_sys_open", "do_sys_openat2"},
		"vfs_read?":   {"vfs_read", "ksys_read", "__x64_sys_read"},
		"nothinglike": nil,
	} {
		if got := closest(glob, names, 3); !slices.Equal(got, want) {
			t.Errorf("closest(%q) = %q, want %q", glob, got, want)
		}
	}
	for _, tc := range []struct {
		p, s          string
		inside, whole int
	}{{"read", "ksys_read", 0, 5}, {"raed", "ksys_read", 2, 7}, {"", "abc", 0, 3}, {"abc", "", 3, 3}} {
		if got := editDistance(tc.p, tc.s, true); got != tc.inside {
			t.Errorf("editDistance(%q, %q, inside) = %d, want %d", tc.p, tc.s, got, tc.inside)
		}
		if got := editDistance(tc.p, tc.s, false); got != tc.whole {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.p, tc.s, got, tc.whole)
		}
	}
}
