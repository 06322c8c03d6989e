package report

import (
	"errors"
	"fmt"

	"github.com/kdf-tools/kdf/query/plot"
	"github.com/kdf-tools/kdf/query/table"
)

// The filters every per-function report takes.
var (
	funcParam     = Param{Name: "func", Doc: "only functions whose name or demangled name matches this glob (*ioctl*)"}
	moduleParam   = Param{Name: "module", Doc: "only functions of this module ('' is the core kernel)"}
	campaignParam = Param{Name: "campaign", Doc: "only this campaign"}
	argParam      = Param{Name: "arg", Type: Int, Doc: "only this argument index (from 0)"}
	topParam      = Param{Name: "top", Type: Int, Default: int64(5), Doc: "how many of the most common values to list"}
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
		Plot:    valuesHistogram,
	},
	{
		Name:    "pairs",
		Summary: "per function: calls by pairing status, error-return share and top errnos, top return values, maximum depth, recursion",
		File:    "pairs.sql",
		Params:  []Param{funcParam, moduleParam, campaignParam, topParam},
		Styles: map[string]table.Style{"calls": table.Scaled, "complete": table.Scaled, "no_return": table.Scaled,
			"no_entry": table.Scaled, "truncated": table.Scaled, "runs": table.Scaled, "returns": table.Scaled, "recursive": table.Scaled},
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
func valuesHistogram(t *table.Table) (*plot.Figure, error) {
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
	return plot.Log2Histogram(plot.Labels{Title: title, X: "value (log2 bucket)", Y: "calls"}, counts)
}
