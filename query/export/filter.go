package export

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/kdf-tools/kdf/query"
)

// Filter selects what an export reads: runs by campaign, attributes and
// identity, then, for stacks, calls by function and by any condition.
// The zero Filter selects everything.
type Filter struct {
	// Campaign keeps one campaign's runs.
	Campaign string
	// Attrs are run attributes (runs.attrs) that must all hold:
	// arm=dataflow, trial=2.
	Attrs map[string]string
	// Runs keeps the runs named, each by its run_id or by its path as
	// runs.path gives it.
	Runs []string
	// Func keeps the calls of functions whose name or demangled name
	// matches the glob, as the reports match it, with their callees. An
	// unresolved function's name is its pc in hex, as exports show it.
	Func string
	// Where keeps the calls for which a SQL condition over a row of the
	// calls view holds (hexv(args[3]) = '0x8912' AND status = 'complete'),
	// with their callees.
	Where string
}

// selectsCalls reports whether the filter narrows calls, not only runs.
func (f Filter) selectsCalls() bool { return f.Func != "" || f.Where != "" }

// runs returns a condition over the runs view and the variables it
// reads.
func (f Filter) runs() (string, query.Vars) {
	conds, vars := []string{"true"}, query.Vars{}
	if f.Campaign != "" {
		conds = append(conds, "campaign = getvariable('campaign')")
		vars["campaign"] = f.Campaign
	}
	for i, k := range slices.Sorted(maps.Keys(f.Attrs)) {
		key, val := fmt.Sprintf("attr_key%d", i), fmt.Sprintf("attr_value%d", i)
		conds = append(conds, fmt.Sprintf("attrs[getvariable('%s')] = getvariable('%s')", key, val))
		vars[key], vars[val] = k, f.Attrs[k]
	}
	if len(f.Runs) > 0 {
		var alts []string
		for i, r := range f.Runs {
			name := fmt.Sprintf("run%d", i)
			if id, err := strconv.ParseInt(r, 10, 64); err == nil {
				alts = append(alts, fmt.Sprintf("run_id = getvariable('%s')", name))
				vars[name] = id
			} else {
				alts = append(alts, fmt.Sprintf("path = getvariable('%s')", name))
				vars[name] = r
			}
		}
		conds = append(conds, "("+strings.Join(alts, " OR ")+")")
	}
	return strings.Join(conds, " AND "), vars
}

// calls returns a condition over the calls view that picks the calls
// the filter keeps (their callees are kept by the caller of calls), and
// the variables it reads.
func (f Filter) calls() (string, query.Vars) {
	conds, vars := []string{"true"}, query.Vars{}
	if f.Func != "" {
		conds = append(conds, "(coalesce(func, hexv(pc)) GLOB getvariable('func') OR coalesce(demangled, hexv(pc)) GLOB getvariable('func'))")
		vars["func"] = f.Func
	}
	if f.Where != "" {
		conds = append(conds, "coalesce(("+f.Where+")::BOOLEAN, false)")
	}
	return strings.Join(conds, " AND "), vars
}

// check refuses, before the export runs, a condition that is no SQL
// over calls, and run filters that select no run: an empty profile
// would be read as "nothing was traced".
func (f Filter) check(ctx context.Context, db *query.DB) (runs int64, err error) {
	if f.Where != "" {
		if _, err := db.Query(ctx, "SELECT ("+f.Where+")::BOOLEAN FROM calls LIMIT 0", nil); err != nil {
			return 0, fmt.Errorf("--where %q is no condition over calls: %w", f.Where, err)
		}
	}
	cond, vars := f.runs()
	t, err := db.Query(ctx, "SELECT count(*) FROM runs WHERE "+cond, vars)
	if err != nil {
		return 0, err
	}
	if n := t.Rows[0][0].(int64); n > 0 {
		return n, nil
	}
	return 0, f.noRun(ctx, db)
}

// noRun says that no run matches, and what the runs have instead.
func (f Filter) noRun(ctx context.Context, db *query.DB) error {
	t, err := db.Query(ctx, `SELECT DISTINCT unnest(map_keys(attrs)) AS attr FROM runs ORDER BY attr`, nil)
	if err != nil {
		return err
	}
	var attrs []string
	for _, r := range t.Rows {
		if s, ok := r[0].(string); ok {
			attrs = append(attrs, s)
		}
	}
	have := "none"
	if len(attrs) > 0 {
		have = strings.Join(attrs, ", ")
	}
	if f.describeRuns() == "" {
		return errors.New("the dataset has no run")
	}
	return fmt.Errorf("no run matches %s (the runs' attributes: %s; kdf query DATASET \"SELECT run_id, path, attrs FROM runs\" lists them)", f.describeRuns(), have)
}

// String writes the filter as the flags that give it.
func (f Filter) String() string {
	return strings.TrimSpace(f.describeRuns() + " " + f.describeCalls())
}

// describeRuns names the run filters as they were given.
func (f Filter) describeRuns() string {
	var parts []string
	if f.Campaign != "" {
		parts = append(parts, "--campaign "+f.Campaign)
	}
	for _, k := range slices.Sorted(maps.Keys(f.Attrs)) {
		parts = append(parts, "--attr "+k+"="+f.Attrs[k])
	}
	for _, r := range f.Runs {
		parts = append(parts, "--run "+r)
	}
	return strings.Join(parts, " ")
}

// describeCalls names the call filters as they were given.
func (f Filter) describeCalls() string {
	var parts []string
	if f.Func != "" {
		parts = append(parts, "--func "+strconv.Quote(f.Func))
	}
	if f.Where != "" {
		parts = append(parts, "--where "+strconv.Quote(f.Where))
	}
	return strings.Join(parts, " ")
}
