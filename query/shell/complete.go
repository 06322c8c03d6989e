package shell

import (
	"context"
	"strings"
	"unicode"

	"github.com/peterh/liner"
)

// catalogNames lists what a statement can name: tables, views and
// macros, kdf's and the session's, and their columns.
const catalogNames = `SELECT DISTINCT name FROM (
  SELECT table_name AS name FROM duckdb_tables()
  UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal
  UNION ALL SELECT function_name FROM duckdb_functions() WHERE function_type IN ('macro', 'table_macro') AND NOT internal
  UNION ALL SELECT column_name FROM duckdb_columns() WHERE NOT internal
) ORDER BY name`

// completer completes the word before the cursor: a command at the
// start of a line, else a name of DuckDB's catalog. What was typed of
// the word keeps its case (DuckDB's names ignore it).
func (s *Shell) completer(ctx context.Context) liner.WordCompleter {
	return func(line string, pos int) (string, []string, string) {
		r := []rune(line)
		before, tail := string(r[:pos]), string(r[pos:])
		start := strings.LastIndexFunc(before, func(c rune) bool { return !isNameRune(c) }) + 1
		head, word := before[:start], before[start:]
		var candidates []string
		if strings.TrimSpace(head) == "." {
			head, word = strings.TrimSuffix(head, "."), "."+word
			for _, c := range commands {
				candidates = append(candidates, c.name)
			}
		} else {
			candidates = s.catalog(ctx)
		}
		var out []string
		for _, c := range candidates {
			if len(c) >= len(word) && strings.EqualFold(c[:len(word)], word) {
				out = append(out, word+c[len(word):])
			}
		}
		return head, out, tail
	}
}

// catalog returns the names to complete, read again after each
// statement (it may have created or dropped some); none when reading
// them fails.
func (s *Shell) catalog(ctx context.Context) []string {
	if s.names != nil {
		return s.names
	}
	t, err := s.sess.Query(ctx, catalogNames)
	if err != nil {
		return nil
	}
	s.names = make([]string, 0, len(t.Rows))
	for _, row := range t.Rows {
		if name, ok := row[0].(string); ok {
			s.names = append(s.names, name)
		}
	}
	return s.names
}

func isNameRune(c rune) bool { return c == '_' || unicode.IsLetter(c) || unicode.IsDigit(c) }
