package export

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/query"
)

// referenceQuery computes the stacks another way than ReadStacks: a
// recursive CTE over parent_id that writes each call's path as text.
// Per path it sums what the picked calls wrote themselves (self), their
// calls.records (total), and counts them. The two %s are hand-written
// conditions over runs and over calls.
const referenceQuery = `WITH RECURSIVE c AS (
  SELECT run_id, call_id, parent_id, records, (%s) AS picked,
         coalesce(demangled, hexv(pc)) || CASE WHEN module <> '' THEN ' [' || module || ']' ELSE '' END AS label
  FROM calls WHERE run_id IN (SELECT run_id FROM runs WHERE %s)
),
own AS (
  SELECT c.*, c.records - coalesce((SELECT sum(k.records) FROM c k WHERE k.run_id = c.run_id AND k.parent_id = c.call_id), 0) AS self
  FROM c
),
walk(run_id, call_id, path, picked, self, total) AS (
  SELECT run_id, call_id, label, picked, self, records FROM own WHERE parent_id = -1
  UNION ALL
  SELECT o.run_id, o.call_id, w.path || chr(31) || o.label, o.picked OR w.picked, o.self, o.records
  FROM walk w JOIN own o ON o.run_id = w.run_id AND o.parent_id = w.call_id
)
SELECT path, CAST(sum(self) AS BIGINT), count(*), CAST(sum(total) AS BIGINT)
FROM walk WHERE picked GROUP BY path ORDER BY path`

type refStack struct{ self, calls, total int64 }

func reference(t *testing.T, db *query.DB, runCond, callCond string) map[string]refStack {
	t.Helper()
	tab, err := db.Query(context.Background(), fmt.Sprintf(referenceQuery, callCond, runCond), nil)
	if err != nil {
		t.Fatal(err)
	}
	ref := map[string]refStack{}
	for _, r := range tab.Rows {
		ref[r[0].(string)] = refStack{r[1].(int64), r[2].(int64), r[3].(int64)}
	}
	return ref
}

// pathOf writes a stack as referenceQuery does.
func (s *Stacks) pathOf(st Stack) string {
	labels := make([]string, len(st.Frames))
	for i, f := range st.Frames {
		labels[i] = s.Frames[f].Label()
	}
	return strings.Join(labels, "\x1f")
}

// TestStacksMatchReference: for each filter, ReadStacks finds the
// stacks, records and calls that the reference finds with the filter
// written by hand in SQL, and the records sum up every stack as
// calls.records counts them: a caller's total is its callees' totals
// plus what it wrote itself.
func TestStacksMatchReference(t *testing.T) {
	db := campaignDataset(t)
	needCases(t, db)
	run := count(t, db, "SELECT min(run_id) FROM runs WHERE segments > 1", nil)
	path := firstString(t, db, "SELECT min(path) FROM runs WHERE damaged_words > 0")
	all := int64(0)
	for _, c := range []struct {
		name          string
		f             Filter
		runs, calls   string
		narrowerThanA bool
	}{
		{"all", Filter{}, "true", "true", false},
		{"campaign", Filter{Campaign: "small"}, "campaign = 'small'", "true", false},
		{"arm", Filter{Attrs: map[string]string{"arm": "b"}}, "arm = 'b'", "true", true},
		{"arm and boot", Filter{Attrs: map[string]string{"arm": "a", "boot": "2"}}, "arm = 'a' AND boot = '2'", "true", true},
		{"run id and path", Filter{Runs: []string{fmt.Sprint(run), path}}, fmt.Sprintf("run_id = %d OR path = '%s'", run, path), "true", true},
		{"func", Filter{Func: "vfs_*"}, "true", "func LIKE 'vfs\\_%' ESCAPE '\\'", true},
		{"func demangled", Filter{Func: "eight_args_rust::*"}, "true", "demangled LIKE 'eight\\_args\\_rust::%' ESCAPE '\\'", true},
		{"where", Filter{Where: "status = 'truncated'"}, "true", "status = 'truncated'", true},
		{"where on arguments", Filter{Where: "nargs > 2 AND args[3] = 0"}, "true", "nargs > 2 AND args[3] = 0", true},
		{"everything", Filter{Attrs: map[string]string{"arm": "a"}, Func: "*", Where: "module = ''"}, "arm = 'a'", "module = ''", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := ReadStacks(context.Background(), db, c.f)
			if err != nil {
				t.Fatal(err)
			}
			_, calls := s.Total()
			if c.name == "all" {
				all = calls
			} else if c.narrowerThanA && (calls == 0 || calls >= all) {
				t.Errorf("%d calls of %d: the filter should select some, not all", calls, all)
			}
			checkStacks(t, s, reference(t, db, c.runs, c.calls), !c.f.selectsCalls())
		})
	}
}

// checkStacks compares the stacks with the reference's. When whole
// trees are kept (no call filter), a stack's records summed over the
// stacks under it are its calls' records; a call filter may keep a
// callee without its caller, whose sum is then larger.
func checkStacks(t *testing.T, s *Stacks, ref map[string]refStack, whole bool) {
	t.Helper()
	if len(s.Stacks) != len(ref) {
		t.Errorf("%d stacks, the reference has %d", len(s.Stacks), len(ref))
	}
	cum := map[string]int64{}
	for _, st := range s.Stacks {
		p := s.pathOf(st)
		r, ok := ref[p]
		if !ok || r.self != st.Records || r.calls != st.Calls {
			t.Errorf("%q: %d records in %d calls, the reference has %+v", p, st.Records, st.Calls, r)
		}
		for i := range st.Frames {
			cum[s.pathOf(Stack{Frames: st.Frames[:i+1]})] += st.Records
		}
	}
	for p, r := range ref {
		if cum[p] < r.total || whole && cum[p] != r.total {
			t.Errorf("%q: the stacks under it sum to %d records, its calls hold %d", p, cum[p], r.total)
		}
	}
}

func firstString(t *testing.T, db *query.DB, q string) string {
	t.Helper()
	tab, err := db.Query(context.Background(), q, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tab.Rows[0][0].(string)
}

// TestFiltersThatSelectNothing: filters that select nothing fail,
// saying what the runs have, rather than export an empty profile.
func TestFiltersThatSelectNothing(t *testing.T) {
	db := campaignDataset(t)
	for _, c := range []struct {
		f    Filter
		want string
	}{
		{Filter{Attrs: map[string]string{"arm": "c"}}, "no run matches --attr arm=c (the runs' attributes: arm, baseline_ns, boot,"},
		{Filter{Campaign: "other"}, "no run matches --campaign other"},
		{Filter{Runs: []string{"42", "no/such.kcdf"}}, "no run matches --run 42 --run no/such.kcdf"},
		{Filter{Func: "no_such_*"}, `no call of the 24 runs selected matches --func "no_such_*"`},
		{Filter{Attrs: map[string]string{"arm": "a"}, Where: "depth > 100"}, `no call of the 12 runs selected matches --where "depth > 100"`},
		{Filter{Where: "no_column = 1"}, `--where "no_column = 1" is no condition over calls`},
	} {
		_, err := ReadStacks(context.Background(), db, c.f)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.f, err, c.want)
		}
	}
}

// TestBuilderOrder: a run's calls come numbered from 0, each after its
// parent, and the same run read again (from another dataset) starts
// over and adds up; calls out of that order are an error, not a wrong
// stack.
func TestBuilderOrder(t *testing.T) {
	b := newBuilder()
	for _, c := range []call{
		{run: 7, id: 0, parent: -1, frame: 0, records: 3, picked: true},
		{run: 7, id: 1, parent: 0, frame: 1, records: 1},
		{run: 7, id: 0, parent: -1, frame: 0, records: 2, picked: true},
	} {
		if err := b.add(c); err != nil {
			t.Fatal(err)
		}
	}
	want := []Stack{{Frames: []int{0}, Records: 4, Calls: 2}, {Frames: []int{0, 1}, Records: 1, Calls: 1}}
	if got := b.stacks(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("stacks %v, want %v", got, want)
	}
	for _, c := range []call{{run: 8, id: 1, parent: -1}, {run: 9, id: 0, parent: 0}} {
		if err := newBuilder().add(c); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}
