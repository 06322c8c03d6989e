package report

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/transform/errno"

	"github.com/kdf-tools/kdf/internal/synth"
)

// funcPairs is the pairs report's row for one function, in Go.
type funcPairs struct {
	status             map[string]int64
	runs               map[int64]bool
	rets, errnos       map[string]int64
	returns, recursive int64
	maxDepth           int64
	calls              int64
}

// TestPairsAgainstGo recomputes the pairs report in Go from the rows of
// calls, errno names from package errno, and checks every column.
func TestPairsAgainstGo(t *testing.T) {
	db := openDataset(t, "gen", genSources(t, synth.SmallConfig()))
	rows, err := db.Query(context.Background(), "SELECT module, demangled, func, status, depth, ret, ret_size, run_id, call_id, parent_id FROM calls", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := pairsInGo(rows.Rows)
	got := run(t, db, "pairs", map[string]string{"top": "3"})
	if len(got.Rows) != len(want) || len(want) == 0 {
		t.Errorf("%d rows, Go finds %d functions", len(got.Rows), len(want))
	}
	for _, r := range got.Rows {
		col := func(name string) any { return r[got.Index(name)] }
		key := fmt.Sprint(col("module"), "/", col("function"))
		g := fmt.Sprint(col("calls"), col("complete"), col("no_return"), col("no_entry"), col("truncated"), col("runs"),
			col("returns"), col("error_share"), col("top_errnos"), col("top_errno_shares"), hexList(col("top_rets")),
			col("top_ret_shares"), col("max_depth"), col("recursive"))
		if w := want[key].describe(3); g != w {
			t.Errorf("%s:\n report %s\n     go %s", key, g, w)
		}
	}
}

// pairsInGo adds up the calls rows by function.
func pairsInGo(rows [][]any) map[string]*funcPairs {
	funcOf := map[[2]int64]string{}
	for _, r := range rows {
		funcOf[[2]int64{r[7].(int64), r[8].(int64)}] = fmt.Sprint(r[0], "/", r[2])
	}
	want := map[string]*funcPairs{}
	for _, r := range rows {
		key := fmt.Sprint(r[0], "/", r[1])
		p := want[key]
		if p == nil {
			p = &funcPairs{status: map[string]int64{}, runs: map[int64]bool{}, rets: map[string]int64{}, errnos: map[string]int64{}}
			want[key] = p
		}
		p.calls++
		p.status[r[3].(string)]++
		p.runs[r[7].(int64)] = true
		p.maxDepth = max(p.maxDepth, r[4].(int64))
		if parent, ok := funcOf[[2]int64{r[7].(int64), r[9].(int64)}]; ok && r[2] != nil && parent == fmt.Sprint(r[0], "/", r[2]) {
			p.recursive++
		}
		if r[5] != nil {
			v, size := r[5].(uint64), uint8(r[6].(uint64))
			p.returns++
			p.rets[fmt.Sprintf("%#x", v)]++
			if d := errno.Describe(v, size); d != "" {
				p.errnos[strings.TrimPrefix(d, "-")]++
			}
		}
	}
	return want
}

func hexList(v any) []string {
	var out []string
	for _, e := range v.([]any) {
		out = append(out, fmt.Sprintf("%#x", e))
	}
	return out
}

func (p *funcPairs) describe(top int) string {
	if p == nil {
		return "missing"
	}
	var errs int64
	for _, n := range p.errnos {
		errs += n
	}
	var share any
	if p.returns > 0 {
		share = float64(errs) / float64(p.returns)
	}
	en, es := topOf(p.errnos, p.returns, top, func(a, b string) int { return cmp.Compare(a, b) })
	rn, rs := topOf(p.rets, p.returns, top, func(a, b string) int { return cmp.Compare(len(a), len(b))*2 + cmp.Compare(a, b) })
	return fmt.Sprint(p.calls, p.status["complete"], p.status["no_return"], p.status["no_entry"], p.status["truncated"],
		int64(len(p.runs)), p.returns, share, en, es, rn, rs, p.maxDepth, p.recursive)
}

// topOf lists the most common keys, ties broken by order, with their
// shares of total.
func topOf(counts map[string]int64, total int64, top int, order func(a, b string) int) ([]any, []any) {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(counts[b], counts[a]), order(a, b)) })
	names, shares := []any{}, []any{}
	for _, k := range keys[:min(top, len(keys))] {
		names = append(names, k)
		shares = append(shares, float64(counts[k])/float64(total))
	}
	return names, shares
}
