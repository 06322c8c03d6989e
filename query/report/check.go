package report

import (
	"cmp"
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/kdf-tools/kdf/query"
)

// Check refuses a filter given to the report that selects nothing in
// the dataset, saying what would: --by an attribute no run has (with
// the attributes the runs have), --func a glob no function's name
// matches (with the closest names). Run takes such a filter, and its
// table comes out empty or as one group of NULL; kdf report checks
// first. Only filters the user gave are checked: a report's default
// grouping may find no attribute, and then groups every run under NULL
// as documented.
func (r *Report) Check(ctx context.Context, db *query.DB, given map[string]string) error {
	vars, err := r.Vars(given)
	if err != nil {
		return err
	}
	if by, ok := given["group_by"]; ok && by != "campaign" {
		err = checkAttribute(ctx, db, by, vars)
	}
	if glob, ok := given["func"]; ok && err == nil {
		err = checkFunc(ctx, db, glob, vars)
	}
	if err != nil {
		return fmt.Errorf("report %s: %w", r.Name, err)
	}
	return nil
}

// checkAttribute refuses an attribute no run (of the campaign) has.
func checkAttribute(ctx context.Context, db *query.DB, attr string, vars query.Vars) error {
	t, err := db.Query(ctx, `SELECT DISTINCT unnest(map_keys(attrs)) AS attr FROM runs
WHERE getvariable('campaign') IS NULL OR campaign = getvariable('campaign') ORDER BY attr`, query.Vars{"campaign": vars["campaign"]})
	if err != nil {
		return err
	}
	attrs := firstStrings(t.Rows)
	if slices.Contains(attrs, attr) {
		return nil
	}
	if len(attrs) == 0 {
		return fmt.Errorf("no run%s has the attribute %q to group by (--by), nor any other; --by campaign groups runs by campaign", in(vars), attr)
	}
	return fmt.Errorf("no run%s has the attribute %q to group by (--by); they have %s, or --by campaign", in(vars), attr, strings.Join(attrs, ", "))
}

// checkFunc refuses a glob that no function (of the module and
// campaign filters) matches, as the reports match it: its name or its
// demangled name.
func checkFunc(ctx context.Context, db *query.DB, glob string, vars query.Vars) error {
	t, err := db.Query(ctx, `SELECT name, bool_or(name GLOB getvariable('glob')) FROM (
  SELECT func AS name, module, campaign FROM functions
  UNION ALL SELECT demangled, module, campaign FROM functions
)
WHERE (getvariable('module') IS NULL OR module = getvariable('module'))
  AND (getvariable('campaign') IS NULL OR campaign = getvariable('campaign'))
GROUP BY name ORDER BY name`, query.Vars{"glob": glob, "module": vars["module"], "campaign": vars["campaign"]})
	if err != nil {
		return err
	}
	for _, row := range t.Rows {
		if row[1] == true {
			return nil
		}
	}
	names := firstStrings(t.Rows)
	where := ""
	if m, ok := vars["module"].(string); ok {
		where = fmt.Sprintf(" of module %q", m)
	}
	where += in(vars)
	if len(names) == 0 {
		return fmt.Errorf("no function%s matches --func %q: there are none", where, glob)
	}
	if close := closest(glob, names, 5); len(close) > 0 {
		return fmt.Errorf("no function%s matches --func %q; the closest: %s", where, glob, strings.Join(close, ", "))
	}
	return fmt.Errorf("no function%s matches --func %q, nor comes close (the functions view lists the %d names)", where, glob, len(names))
}

// in names the campaign filter in a message.
func in(vars query.Vars) string {
	if c, ok := vars["campaign"].(string); ok {
		return fmt.Sprintf(" in campaign %q", c)
	}
	return ""
}

// firstStrings returns the strings of a result's first column.
func firstStrings(rows [][]any) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		if s, ok := r[0].(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// closest returns up to n names nearest to what the glob spells: those
// it matches but for case first, then by the edit distance from its
// letters (the glob without * ? and [...]) to the closest part of the
// name, within a third of their length; ties go to the name nearest as
// a whole, then to the first by name.
func closest(glob string, names []string, n int) []string {
	lit := strings.ToLower(globLetters(glob))
	limit := max(1, len([]rune(lit))/3)
	type scored struct {
		name        string
		part, whole int
	}
	var near []scored
	for _, name := range names {
		lower := strings.ToLower(name)
		s := scored{name, editDistance(lit, lower, true), editDistance(lit, lower, false)}
		if ok, _ := path.Match(strings.ToLower(glob), lower); ok {
			s.part = -1
		}
		if s.part <= limit {
			near = append(near, s)
		}
	}
	slices.SortFunc(near, func(a, b scored) int {
		return cmp.Or(cmp.Compare(a.part, b.part), cmp.Compare(a.whole, b.whole), strings.Compare(a.name, b.name))
	})
	var out []string
	for _, s := range near[:min(n, len(near))] {
		out = append(out, s.name)
	}
	return out
}

// globLetters drops a glob's wildcards and character classes.
func globLetters(glob string) string {
	var b strings.Builder
	for i := 0; i < len(glob); i++ {
		switch glob[i] {
		case '*', '?':
		case '[':
			if end := strings.IndexByte(glob[i:], ']'); end > 0 {
				i += end
			}
		default:
			b.WriteByte(glob[i])
		}
	}
	return b.String()
}

// editDistance is the Levenshtein distance from p to s, or with inside
// to the part of s closest to p (the name's other letters are free).
func editDistance(p, s string, inside bool) int {
	pr, sr := []rune(p), []rune(s)
	prev, cur := make([]int, len(sr)+1), make([]int, len(sr)+1)
	for j := range prev {
		if !inside {
			prev[j] = j
		}
	}
	for i := 1; i <= len(pr); i++ {
		cur[0] = i
		for j := 1; j <= len(sr); j++ {
			sub := prev[j-1]
			if pr[i-1] != sr[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	if inside {
		return slices.Min(prev)
	}
	return prev[len(sr)]
}
