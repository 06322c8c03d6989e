package sqltext

import (
	"reflect"
	"testing"
)

func TestSplit(t *testing.T) {
	text := `-- file header

-- one
-- doc
SELECT 'a;b', "c;d" FROM t; -- trailing ; comment
/* block ; */ SELECT $$x;y$$, $tag$z;$tag$, $1;
;
SELECT 3`
	got := Split(text)
	want := []Statement{
		{Doc: "one\ndoc", SQL: "-- file header\n\n-- one\n-- doc\nSELECT 'a;b', \"c;d\" FROM t"},
		{Doc: "trailing ; comment", SQL: "-- trailing ; comment\n/* block ; */ SELECT $$x;y$$, $tag$z;$tag$, $1"},
		{SQL: "SELECT 3"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Split:\n got %#v\nwant %#v", got, want)
	}
}

func TestComplete(t *testing.T) {
	for text, want := range map[string]bool{
		"SELECT 1;":             true,
		"SELECT 1; -- done":     true,
		"SELECT 1":              false,
		"SELECT ';":             false,
		"SELECT 1 /* ; */":      false,
		"SELECT 1;\nSELECT 2":   false,
		"SELECT 'it''s';":       true,
		"SELECT $$;":            false,
		"":                      false,
		"-- only a comment ;\n": false,
	} {
		if got := Complete(text); got != want {
			t.Errorf("Complete(%q) = %v, want %v", text, got, want)
		}
	}
}
