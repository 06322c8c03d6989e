package report

import (
	"context"
	"errors"
	"fmt"

	"github.com/kdf-tools/kdf/query"
	"github.com/kdf-tools/kdf/query/plot"
	"github.com/kdf-tools/kdf/query/table"
)

// The filters every per-function report takes.
var (
	funcParam     = Param{Name: "func", Doc: "only functions whose name or demangled name matches this glob (*ioctl*)"}
	moduleParam   = Param{Name: "module", Doc: "only functions of this module ('' is the core kernel)"}
	campaignParam = Param{Name: "campaign", Doc: "only this campaign"}
	argParam      = Param{Name: "arg", Type: Int, Doc: "only this argument index (from 0)"}
	topParam      = Param{Name: "top", Type: Int, Default: int64(5), Doc: "how many of the most common values to list (values, pairs, fields: default 5), or of the costliest functions (overhead_functions: default 10, 0 for all)"}
)

// The parameters of the reports over groups of runs.
var (
	costParam     = Param{Name: "cost_ns", Type: Float, Default: 27.0, Doc: "estimated cost of one callback in `nanoseconds` (the seed measured about 27)"}
	baselineParam = Param{Name: "baseline", Doc: "compare every group with this one (default: the first by name)"}
	funcsTopParam = Param{Name: "top", Type: Int, Default: int64(10), Doc: "how many of the costliest functions to list (default 10, 0 for all)"}
	perParam      = Param{Name: "per", Default: "run", Doc: "time `SAMPLE`s: run (each run), or program (each program's best of its runs)",
		Check: func(text string) error {
			if text != "run" && text != "program" {
				return fmt.Errorf("%q: overhead is per run or per program", text)
			}
			return nil
		}}
)

// groupByParam groups runs by campaign or by an attribute; the
// variable cannot be called by, a SQL keyword.
func groupByParam(def string) Param {
	return Param{Name: "group_by", Flag: "by", Default: def,
		Doc: "group runs by `ATTR`: campaign, or an attribute such as arm, trial, vm (overhead: campaign, compare: arm)"}
}

var (
	overheadStyles = map[string]table.Style{"records": table.Scaled, "words": table.Scaled, "bytes": table.Size,
		"fill": table.Percent, "fill_median": table.Percent, "fill_max": table.Percent, "callback_ns": table.Nanos,
		"overhead": table.Percent, "overhead_median": table.Percent, "overhead_lo": table.Percent, "overhead_hi": table.Percent,
		"overhead_geomean": table.Percent, "overhead_p90": table.Percent, "extra_ns": table.Nanos,
		"exec_ns": table.Nanos, "baseline_ns": table.Nanos}
	compareStyles = map[string]table.Style{"value_coverage": table.Scaled, "functions": table.Scaled, "records": table.Scaled,
		"new_values": table.Scaled}
)

// reports is every report and example. Adding a report is adding its
// SQL file under sql/ and an entry here.
var reports = []*Report{
	{
		Name:    "values",
		Summary: "per function and argument: calls, distinct values, zero and fault shares, min and max, top values, log2 histogram, entropy, runs",
		File:    "values.sql",
		Params:  []Param{funcParam, moduleParam, campaignParam, argParam, topParam},
		Styles:  map[string]table.Style{"calls": table.Scaled, "runs": table.Scaled, "distinct_values": table.Scaled},
		Wide:    []string{"module", "size", "runs", "min", "max", "min_s", "max_s", "top_values", "top_shares", "log2_hist"},
		Plot:    valuesHistogram,
	},
	{
		Name:    "pairs",
		Summary: "per function: calls by pairing status, error-return share and top errnos, top return values, maximum depth, recursion",
		File:    "pairs.sql",
		Params:  []Param{funcParam, moduleParam, campaignParam, topParam},
		Styles: map[string]table.Style{"calls": table.Scaled, "complete": table.Scaled, "no_return": table.Scaled,
			"no_entry": table.Scaled, "truncated": table.Scaled, "runs": table.Scaled, "returns": table.Scaled, "recursive": table.Scaled},
		Wide: []string{"module", "no_entry", "truncated", "runs", "returns", "top_errno_shares", "top_rets", "top_ret_shares", "max_depth", "recursive"},
	},
	{
		Name:    "fields",
		Summary: "per function, struct argument (or returned struct) and field: how often the struct was read again in the run, inside the call or after it, and how often and to what the field had changed",
		File:    "fields.sql",
		Params:  []Param{funcParam, moduleParam, campaignParam, argParam, topParam},
		Styles:  map[string]table.Style{"reads": table.Scaled, "reread": table.Scaled, "inside": table.Scaled, "changed": table.Scaled},
		Wide:    []string{"module", "read", "field_idx", "reads", "top_change_shares", "next_readers"},
	},
	{
		Name:    "overhead",
		Summary: "per campaign or --by group: runs, records, words, bytes, buffer fill, saturated and torn runs, estimated callback time, measured overhead (median with bootstrap 95% interval, geometric mean, p90; per run or --per program, best of N) and ns per record, times per iteration",
		File:    "overhead.sql",
		Params:  []Param{groupByParam("campaign"), campaignParam, costParam, perParam},
		Styles:  overheadStyles,
		Post:    overheadSummary,
		Wide:    []string{"words", "bytes", "fill_max", "torn", "callback_ns", "timed", "overhead_geomean", "overhead_p90"},
		Plot:    overheadCDF,
	},
	{
		Name:    "overhead_runs",
		Summary: "per run: records, words, bytes, buffer fill, saturated, torn, estimated callback time, measured overhead and ns per record",
		File:    "overhead_runs.sql",
		Params:  []Param{groupByParam("campaign"), campaignParam, costParam},
		Styles:  overheadStyles,
		Wide:    []string{"campaign", "run_id", "words", "bytes", "torn", "callback_ns", "exec_ns", "baseline_ns", "iters"},
		Plot:    overheadCDF,
	},
	{
		Name:    "overhead_programs",
		Summary: "per program, best of N: its fastest execution with recording on and off (times per iteration), overhead, extra time and ns per record",
		File:    "overhead_programs.sql",
		Params:  []Param{groupByParam("campaign"), campaignParam},
		Styles:  overheadStyles,
		Wide:    []string{"campaign", "program_id", "exec_ns", "baseline_ns"},
		Plot:    overheadCDF,
	},
	{
		Name:    "overhead_functions",
		Summary: "per campaign or --by group, the functions that cost the most records: share, cumulative share (what excluding them saves), records inside their calls",
		File:    "overhead_functions.sql",
		Params:  []Param{groupByParam("campaign"), campaignParam, funcsTopParam},
		Styles:  map[string]table.Style{"calls": table.Scaled, "records": table.Scaled, "cum_records": table.Scaled, "records_in_calls": table.Scaled},
		Wide:    []string{"cum_records", "records_in_calls"},
		Plot:    functionsTopK,
	},
	{
		Name:    "compare",
		Summary: "per --by group (arm) over trials: median [min-max] of value coverage, functions reached and records, or of each --metric, with Mann-Whitney U p-values and Vargha-Delaney A12 against the baseline",
		File:    "compare.sql",
		Params:  []Param{groupByParam("arm"), campaignParam, baselineParam, metricParam, axisParam},
		Styles:  compareStyles,
		Post:    compareSummary,
		Plot:    compareFigure,
	},
	{
		Name:     "compare_trials",
		Summary:  "per --by group (arm) and trial: runs, value coverage, functions reached, records and each --metric (the sample points of compare)",
		File:     "compare.sql",
		Params:   []Param{groupByParam("arm"), campaignParam, baselineParam, metricParam, axisParam},
		Styles:   compareStyles,
		Post:     compareTrials,
		PostWhen: hasMetrics,
		Plot:     compareFigure,
	},
	{
		Name:    "compare_growth",
		Summary: "per --by group (arm), trial and run in order: round, time since the trial's start, cumulative execution time, new and cumulative distinct (function, argument, value) tuples; --plot draws growth over --axis",
		File:    "compare_growth.sql",
		Params:  []Param{groupByParam("arm"), campaignParam, axisParam},
		Styles:  compareStyles,
		Wide:    []string{"run_id"},
		Plot:    growthFigure,
	},
	{
		Name:    "ffi_null_buffer",
		Summary: "example: calls of ffi_check_result with a NULL buffer right after ffi_alloc_buf returned 0 (the seed's FFI contract question)",
		File:    "examples/ffi_null_buffer.sql",
		Example: true,
	},
}

// valuesHistogram draws the log2 histogram of the one argument the
// filters selected.
func valuesHistogram(_ context.Context, _ *query.DB, t *table.Table, _ query.Vars) (*plot.Figure, error) {
	if len(t.Rows) != 1 {
		return nil, fmt.Errorf("the values plot is one argument's histogram, and %d arguments are selected: narrow it with --func, --module and --arg", len(t.Rows))
	}
	row := t.Rows[0]
	hist, ok := row[t.Index("log2_hist")].(table.Map)
	if !ok {
		return nil, errors.New("the values table has no log2_hist")
	}
	counts := make([]uint64, 65)
	for i, k := range hist.Keys {
		b, n := k.(int64), hist.Values[i].(int64)
		if b < 0 || b > 64 || n < 0 {
			return nil, fmt.Errorf("log2 bucket %d of %d values", b, n)
		}
		counts[b] = uint64(n)
	}
	title := fmt.Sprintf("%v argument %v", row[t.Index("function")], row[t.Index("arg_idx")])
	return plot.Log2Histogram(plot.Labels{Title: title, X: "value (log2 buckets, each labelled by its lower bound)", Y: "calls"}, counts)
}
