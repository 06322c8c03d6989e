package query

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

// TestCheckSettings: a statement that would set threads or
// memory_limit out of bounds is refused with the bound, in whatever
// form DuckDB would run it; the others pass, and DuckDB runs them.
func TestCheckSettings(t *testing.T) {
	db, _ := seedDB(t)
	ctx := context.Background()
	sess, err := db.Session(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if _, err := sess.Query(ctx, "SET VARIABLE many = 20000"); err != nil {
		t.Fatal(err)
	}
	most := "1 to " + strconv.Itoa(MaxThreads())
	for _, tc := range []struct{ sql, want string }{
		{"SET threads = 20000", most},
		{"set THREADS to 20000", most},
		{"SET GLOBAL worker_threads = 20000", most},
		{`SET "threads" = 20000`, most},
		{"SET /* a comment */ threads = -- another\n 10 * 2000", most},
		{"PRAGMA threads = 20000", most},
		{"EXPLAIN ANALYZE SET threads = 20000", most},
		{"SET threads = getvariable('many')", most},
		{"SET threads = 0", most},
		{"SELECT 1; SET threads = 20000", most},
		{"SET threads = getvariable('unset')", "no value (NULL)"},
		{"SET threads = 'many'", "threads = 'many'"},
		{"SET threads 20000", "SET threads = value"},
		{"SET memory_limit = '1000TB'", "up to the machine's memory"},
		{"SET memory_limit = '1KB'", "64MiB up to"},
		{"SET max_memory = '-1'", "a size such as"},
		{"PRAGMA memory_limit = 'none'", "a size such as"},
	} {
		err := sess.CheckSettings(ctx, tc.sql)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error with %q", tc.sql, err, tc.want)
		}
	}
	for _, sql := range []string{"SET threads = 2", "SET worker_threads TO 1 + 1", "SET memory_limit = '1GB'", "SET memory_limit = '1.5 gib'",
		"RESET threads", "SET VARIABLE threads = 20000", "SELECT 20000 AS threads", "SELECT current_setting('threads')",
		"SET preserve_insertion_order = false"} {
		if err := sess.CheckSettings(ctx, sql); err != nil {
			t.Errorf("%q: %v", sql, err)
		}
		if _, err := sess.Query(ctx, sql); err != nil {
			t.Errorf("DuckDB refused %q: %v", sql, err)
		}
	}
	if err := db.CheckSettings(ctx, "SET threads = getvariable('n')", Vars{"n": int64(20000)}); err == nil {
		t.Error("DB.CheckSettings let threads = 20000 through a variable")
	}
}

// TestOptionsBounded: Open refuses the same values as options.
func TestOptionsBounded(t *testing.T) {
	_, ds := seedDB(t)
	for _, o := range []Options{{Threads: MaxThreads() + 1}, {Threads: -1}, {MemoryLimit: "1KB"}, {MemoryLimit: "lots"}} {
		if db, err := OpenOptions(context.Background(), ds, o); err == nil {
			db.Close()
			t.Errorf("Open took %+v", o)
		}
	}
	db, err := OpenOptions(context.Background(), ds, Options{Threads: MaxThreads(), MemoryLimit: "256MB"})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}

func TestParseMemory(t *testing.T) {
	for text, want := range map[string]int64{"1GB": 1e9, "1gb": 1e9, " 1.5 GiB ": 3 << 29, "64MiB": 64 << 20, "512k": 512e3, "10bytes": 10} {
		if got, ok := parseMemory(text); !ok || got != want {
			t.Errorf("parseMemory(%q) = %d, %v, want %d", text, got, ok, want)
		}
	}
	for _, text := range []string{"", "-1", "none", "80%", "1 GBs", "1e3GB", "99999999999TB"} {
		if n, ok := parseMemory(text); ok {
			t.Errorf("parseMemory(%q) = %d", text, n)
		}
	}
}
