package sqltext

import "testing"

func TestBindVariables(t *testing.T) {
	values := map[string]string{"a": "CAST('x' AS VARCHAR)", "it's": "42", "n": "NULL"}
	lookup := func(name string) (string, bool) {
		v, ok := values[name]
		return v, ok
	}
	for _, c := range []struct {
		text, want string
		ok         bool
	}{
		{"SELECT getvariable('a')", "SELECT CAST('x' AS VARCHAR)", true},
		{"SELECT GetVariable ( 'a' ) + getvariable('it''s'), getvariable('n') IS NULL", "SELECT CAST('x' AS VARCHAR) + 42, NULL IS NULL", true},
		// Names it does not bind stay for DuckDB to read.
		{"SELECT getvariable('other'), getvariable('a')", "SELECT getvariable('other'), CAST('x' AS VARCHAR)", true},
		// Strings, identifiers and comments are not calls.
		{"SELECT 'getvariable(''a'')', \"getvariable('a')\" -- getvariable('a')\n/* getvariable('a') */", "SELECT 'getvariable(''a'')', \"getvariable('a')\" -- getvariable('a')\n/* getvariable('a') */", true},
		{"SELECT my_getvariable('a'), getvariable_x('a'), égetvariable('a')", "SELECT my_getvariable('a'), getvariable_x('a'), égetvariable('a')", true},
		// Variables seen otherwise: only SET VARIABLE keeps the meaning.
		{"SELECT getvariable(name) FROM t", "", false},
		{"SELECT getvariable('a' || 'b')", "", false},
		{"SET VARIABLE a = 1; SELECT getvariable('a')", "", false},
		{"reset variable a", "", false},
		{"SELECT * FROM duckdb_variables()", "", false},
		{"SELECT getvariable('a", "", false},
	} {
		got, ok := BindVariables(c.text, lookup)
		if ok != c.ok {
			t.Errorf("BindVariables(%q): ok %v, want %v", c.text, ok, c.ok)
			continue
		}
		if !ok && got != c.text {
			t.Errorf("BindVariables(%q) changed the text it refused: %q", c.text, got)
		}
		if ok && got != c.want {
			t.Errorf("BindVariables(%q)\n got %q\nwant %q", c.text, got, c.want)
		}
	}
}

// FuzzBindVariables: binding never panics, leaves a text it binds
// nothing in as it was, and never moves a statement boundary.
func FuzzBindVariables(f *testing.F) {
	f.Add("SELECT getvariable('a'); SELECT 'getvariable(''a'')' -- getvariable('a')")
	f.Add("SELECT $$getvariable('a')$$, getvariable ( 'a''b' ), \"getvariable('a')\"; /* ; */")
	f.Add("SET VARIABLE a = 1; SELECT getvariable(a)")
	f.Fuzz(func(t *testing.T, text string) {
		if got, _ := BindVariables(text, func(string) (string, bool) { return "", false }); got != text {
			t.Fatalf("nothing bound, yet %q became %q", text, got)
		}
		got, ok := BindVariables(text, func(string) (string, bool) { return "(42)", true })
		if !ok {
			return
		}
		if a, b := len(Split(text)), len(Split(got)); a != b {
			t.Fatalf("%q has %d statements, bound %q has %d", text, a, got, b)
		}
	})
}
