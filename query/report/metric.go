package report

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strings"

	"github.com/kdf-tools/kdf/query"
	"github.com/kdf-tools/kdf/query/table"
)

// A Metric is one quantity compare summarizes over the trials of each
// group: a built-in one (value_coverage, functions, records, runs), or
// one given as
//
//	NAME=EXPR [FROM TABLE] [WHERE CONDITION]
//
// EXPR is a SQL aggregate, evaluated once per trial over the rows of
// TABLE that belong to the trial's runs (WHERE CONDITION narrows
// them): count(DISTINCT pc) FROM records, count(DISTINCT value) FROM
// args WHERE func = 'do_vfs_ioctl' AND arg_idx = 2. TABLE is one of
// runs (the default), records, calls, args, arg_fields, rets; over
// runs, a manifest field is attrs['cmp_hits'] (text: cast it,
// max(attrs['corpus']::BIGINT)), and exec_ns, baseline_ns, the
// runs' own columns. The aggregate must give one number per trial; a
// trial where it is NULL (sum of no rows, an attribute none of its runs
// has) counts as missing and is left out of the metric's statistics.
type Metric struct {
	Name  string
	Expr  string // "" for a built-in
	Table string
	Where string
}

// builtinMetrics are the per-trial columns of compare.sql that compare
// summarizes; the first three unless --metric says otherwise.
var builtinMetrics = []string{"value_coverage", "functions", "records", "runs"}

// metricTables are the tables a metric may aggregate: those with a
// row per run, or per record or call of a run.
var metricTables = []string{"runs", "records", "calls", "args", "arg_fields", "rets"}

var metricName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ParseMetric reads a --metric: NAME alone names a built-in metric,
// NAME=EXPR [FROM TABLE] [WHERE CONDITION] defines one. The SQL is
// checked for what would let it out of its one expression: a
// semicolon, a comment, an unclosed string or parenthesis, a FROM of
// anything but one of the tables, a clause but WHERE after it.
func ParseMetric(spec string) (Metric, error) {
	name, sql, defined := strings.Cut(spec, "=")
	name = strings.TrimSpace(name)
	m := Metric{Name: name}
	if !metricName.MatchString(name) {
		return m, fmt.Errorf("%q: a metric is NAME or NAME=SQL, NAME letters, digits and _", spec)
	}
	if !defined {
		if !slices.Contains(builtinMetrics, name) {
			return m, fmt.Errorf("no built-in metric %s (they are %s); define one as %s=SQL", name, strings.Join(builtinMetrics, ", "), name)
		}
		return m, nil
	}
	if slices.Contains(builtinMetrics, name) || slices.Contains([]string{"group", "campaign", "trial", "baseline"}, name) {
		return m, fmt.Errorf("%s is a column of compare's trials already: name the metric otherwise", name)
	}
	parts, err := clauses(sql)
	if err != nil {
		return m, fmt.Errorf("%s: %w", name, err)
	}
	m.Expr, m.Table, m.Where = parts[0], "runs", parts[2]
	if parts[1] != "" {
		if !slices.Contains(metricTables, parts[1]) {
			return m, fmt.Errorf("%s: FROM %s: a metric aggregates one of %s", name, parts[1], strings.Join(metricTables, ", "))
		}
		m.Table = parts[1]
	}
	if m.Expr == "" {
		return m, fmt.Errorf("%s: no expression before FROM: %s=count(DISTINCT pc) FROM records, say", name, name)
	}
	return m, nil
}

// clauses cuts a metric's SQL into its expression, the table after
// FROM and the condition after WHERE, at those keywords outside
// strings and parentheses.
func clauses(sql string) ([3]string, error) {
	var out [3]string
	cuts := []int{} // offsets of FROM and WHERE
	words := []string{}
	depth := 0
	for i := 0; i < len(sql); i++ {
		switch c := sql[i]; {
		case c == '\'' || c == '"':
			j := i + 1
			for ; j < len(sql); j++ {
				if sql[j] == c {
					if j+1 < len(sql) && sql[j+1] == c { // a doubled quote
						j++
						continue
					}
					break
				}
			}
			if j >= len(sql) {
				return out, fmt.Errorf("a string or name opened with %c is not closed", c)
			}
			i = j
		case c == ';':
			return out, fmt.Errorf("a metric is one expression: no ;")
		case strings.HasPrefix(sql[i:], "--") || strings.HasPrefix(sql[i:], "/*"):
			return out, fmt.Errorf("a metric is one expression: no comments")
		case c == '(':
			depth++
		case c == ')':
			if depth--; depth < 0 {
				return out, fmt.Errorf("a ) closes nothing")
			}
		case depth == 0 && isWordStart(c) && (i == 0 || !isWordByte(sql[i-1])):
			j := i
			for j < len(sql) && isWordByte(sql[j]) {
				j++
			}
			if w := strings.ToUpper(sql[i:j]); w == "FROM" || w == "WHERE" {
				cuts, words = append(cuts, i), append(words, w)
			}
			i = j - 1
		}
	}
	if depth > 0 {
		return out, fmt.Errorf("a ( is not closed")
	}
	cuts = append(cuts, len(sql))
	out[0] = strings.TrimSpace(sql[:cuts[0]])
	for k, w := range words {
		text := strings.TrimSpace(sql[cuts[k]+len(w) : cuts[k+1]])
		switch {
		case w == "FROM" && (k > 0 || out[1] != ""):
			return out, fmt.Errorf("FROM after WHERE, or twice: a metric is EXPR [FROM TABLE] [WHERE CONDITION]")
		case w == "FROM":
			if !metricName.MatchString(text) {
				return out, fmt.Errorf("FROM %s: one table, and only WHERE after it", text)
			}
			out[1] = strings.ToLower(text)
		case out[2] != "":
			return out, fmt.Errorf("WHERE twice: join conditions with AND")
		case text == "":
			return out, fmt.Errorf("WHERE without a condition")
		default:
			out[2] = text
		}
	}
	return out, nil
}

func isWordStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isWordByte(c byte) bool  { return isWordStart(c) || c >= '0' && c <= '9' }

// SQL is the query giving the metric per trial, with the group_by and
// campaign variables as compare.sql reads them: one row per trial of
// the runs, with the group, campaign and trial compare.sql names it by,
// and the value.
func (m Metric) SQL() string {
	where := ""
	if m.Where != "" {
		where = " AND (" + m.Where + ")"
	}
	return `WITH keys AS (
  SELECT campaign, run_id, trial AS kdf_trial,
         run_group(coalesce(getvariable('group_by'), 'arm'), campaign, attrs) AS kdf_group
  FROM runs
  WHERE getvariable('campaign') IS NULL OR campaign = getvariable('campaign')
),
trials AS (SELECT DISTINCT kdf_group, campaign AS kdf_campaign, kdf_trial FROM keys)
SELECT t.kdf_group AS "group", t.kdf_campaign AS campaign, t.kdf_trial AS trial, (
  SELECT (` + m.Expr + `)
  FROM ` + m.Table + ` JOIN keys k USING (campaign, run_id)
  WHERE k.kdf_group IS NOT DISTINCT FROM t.kdf_group AND k.campaign = t.kdf_campaign
    AND k.kdf_trial IS NOT DISTINCT FROM t.kdf_trial` + where + `
) AS value
FROM trials t`
}

// String writes the metric back as --metric takes it.
func (m Metric) String() string {
	if m.Expr == "" {
		return m.Name
	}
	s := m.Name + "=" + m.Expr
	if m.Table != "runs" {
		s += " FROM " + m.Table
	}
	if m.Where != "" {
		s += " WHERE " + m.Where
	}
	return s
}

// trialKey names a trial by its group, campaign and trial, NULLs
// included.
func trialKey(group, campaign, trial any) string {
	return fmt.Sprintf("%T %v\x00%v\x00%T %v", group, group, campaign, trial, trial)
}

// addMetrics adds a column per defined metric to the per-trial table
// of compare.sql: its value in each trial, a float64 (nil where the
// aggregate is NULL).
func addMetrics(ctx context.Context, db *query.DB, t *table.Table, metrics []Metric, vars query.Vars) error {
	g, c, tr := t.Index("group"), t.Index("campaign"), t.Index("trial")
	if g < 0 || c < 0 || tr < 0 {
		return fmt.Errorf("the compare query lacks group, campaign or trial")
	}
	for _, m := range metrics {
		if m.Expr == "" {
			continue
		}
		got, err := db.Query(ctx, m.SQL(), query.Vars{"group_by": vars["group_by"], "campaign": vars["campaign"]})
		if err != nil && strings.Contains(err.Error(), "More than one row returned by a subquery") {
			return fmt.Errorf("--metric %s: %s gives several values per trial: aggregate them into one (count, sum, max, ...)", m.Name, m.Expr)
		}
		if err != nil {
			return fmt.Errorf("--metric %s: %w", m, err)
		}
		if k := got.Columns[3].Kind; k == table.KindString || k > table.KindDecimal {
			return fmt.Errorf("--metric %s: the metric is %s per trial, not a number: aggregate the rows into one (count, sum, max, ...), casting text (attrs['x']::BIGINT)", m.Name, got.Columns[3].Type)
		}
		values := map[string]any{}
		for _, row := range got.Rows {
			v, err := number(row[3])
			if err != nil {
				return fmt.Errorf("--metric %s: %w", m.Name, err)
			}
			values[trialKey(row[0], row[1], row[2])] = v
		}
		t.Columns = append(t.Columns, table.Column{Name: m.Name, Kind: table.KindFloat, Type: "DOUBLE"})
		for i, row := range t.Rows {
			t.Rows[i] = append(row, values[trialKey(row[g], row[c], row[tr])])
		}
	}
	return nil
}

// number reads a numeric SQL value as a float64; NULL stays nil.
func number(v any) (any, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case int64:
		return float64(v), nil
	case uint64:
		return float64(v), nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("a trial's value is %v", v)
		}
		return v, nil
	case *big.Int:
		f, _ := new(big.Float).SetInt(v).Float64()
		return f, nil
	case table.Dec:
		f, _ := new(big.Rat).SetFrac(v.Unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(v.Scale)), nil)).Float64()
		return f, nil
	}
	return nil, fmt.Errorf("a trial's value %v is %T, not a number", v, v)
}
