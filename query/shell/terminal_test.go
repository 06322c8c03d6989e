package shell

import (
	"context"
	"io"
	"path/filepath"
	"slices"
	"testing"
)

// TestComplete: Tab completes the session's tables and their columns,
// kdf's views and macros, and commands, keeping the case typed.
func TestComplete(t *testing.T) {
	db := seedDB(t)
	ctx := context.Background()
	sess, err := db.Session(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	s := &Shell{DB: db, Out: io.Discard, Err: io.Discard, sess: sess}
	complete := s.completer(ctx)
	s.execute(ctx, "CREATE TEMP TABLE mine AS SELECT 1 AS my_column;")
	for _, tc := range []struct {
		line       string
		pos        int
		head, tail string
		want       []string
	}{
		{"SELECT my_c FROM mine", 11, "SELECT ", " FROM mine", []string{"my_column"}},
		{"SELECT * FROM MIN", 17, "SELECT * FROM ", "", []string{"MINe"}},
		{"SELECT run_g", 12, "SELECT ", "", []string{"run_group"}},
		{"SELECT * FROM arg", 17, "SELECT * FROM ", "", []string{"arg_fields", "arg_idx", "arg_name", "arg_names", "arg_sizes", "arg_type", "args"}},
		{"  .sch", 6, "  ", "", []string{".schema"}},
		{".schema arg_f", 13, ".schema ", "", []string{"arg_fields"}},
		{"SELECT nosuchname", 17, "SELECT ", "", nil},
	} {
		head, got, tail := complete(tc.line, tc.pos)
		if head != tc.head || tail != tc.tail || !slices.Equal(got, tc.want) {
			t.Errorf("%q at %d: %q %q %q, want %q %q %q", tc.line, tc.pos, head, got, tail, tc.head, tc.want, tc.tail)
		}
	}
	s.execute(ctx, "DROP TABLE mine;")
	if _, got, _ := complete("SELECT * FROM min", 17); len(got) != 0 {
		t.Errorf("a dropped table is still completed: %q", got)
	}
}

// TestHistoryEntries: a statement over several lines is one line of
// the history file, unless a line comment would swallow the rest.
func TestHistoryEntries(t *testing.T) {
	if got := historyEntries([]string{"SELECT a", "  FROM t;"}); !slices.Equal(got, []string{"SELECT a FROM t;"}) {
		t.Errorf("joined: %q", got)
	}
	lines := []string{"SELECT a -- the key", "FROM t;"}
	if got := historyEntries(lines); !slices.Equal(got, lines) {
		t.Errorf("with a comment: %q", got)
	}
}

func TestHistoryFile(t *testing.T) {
	t.Setenv("HOME", "/home/u")
	t.Setenv("XDG_STATE_HOME", "/state")
	if got := HistoryFile(); got != filepath.Join("/state", "kdf", "history") {
		t.Errorf("with XDG_STATE_HOME: %s", got)
	}
	t.Setenv("XDG_STATE_HOME", "relative") // the specification ignores it
	if got := HistoryFile(); got != filepath.Join("/home/u", ".local", "state", "kdf", "history") {
		t.Errorf("without XDG_STATE_HOME: %s", got)
	}
}
