package query

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/kdf-tools/kdf/query/internal/sqltext"
	"github.com/kdf-tools/kdf/schema"
	"github.com/kdf-tools/kdf/schema/dataset"
	"github.com/kdf-tools/kdf/transform/errno"
)

//go:embed sql/*.sql
var sqlFiles embed.FS

// Options tune the DuckDB database Open creates.
type Options struct {
	// Threads DuckDB may use; 0 means one per core.
	Threads int
	// MemoryLimit in DuckDB's syntax ("4GB"); empty means DuckDB's
	// default, 80% of RAM. Past it, DuckDB spills to a private
	// temporary directory.
	MemoryLimit string
}

// DB is an in-memory DuckDB database whose views read one snapshot of
// a dataset. Its methods may be called from several goroutines; each
// query runs on a connection of its own.
type DB struct {
	db    *sql.DB
	dir   string
	tmp   string // private: spills, and files written for the caller
	spill *spillDir
	defs  []Definition
}

// Open opens the dataset at dir with default options.
func Open(dir string) (*DB, error) {
	return OpenOptions(context.Background(), dir, Options{})
}

// OpenOptions reads the dataset's ledger, creates the views and macros
// over its committed parts, then shuts DuckDB's access to every other
// file (see the package documentation, Security).
func OpenOptions(ctx context.Context, dir string, o Options) (*DB, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	ds, err := dataset.Open(dir)
	if err != nil {
		return nil, err
	}
	led, err := ds.Committed()
	if err != nil {
		return nil, err
	}
	spill, err := newSpillDir()
	if err != nil {
		return nil, err
	}
	c, err := duckdb.NewConnector("", nil)
	if err != nil {
		spill.remove()
		return nil, fmt.Errorf("query: starting DuckDB: %w", err)
	}
	db := &DB{db: sql.OpenDB(c), dir: ds.Dir(), tmp: spill.path, spill: spill}
	if err := db.setup(ctx, led, o); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// setup runs, in order: the settings, the definitions, the lock.
func (db *DB) setup(ctx context.Context, led *dataset.Ledger, o Options) error {
	var parts []string
	for _, t := range schema.All {
		p, err := led.Parts(t.Name)
		if err != nil {
			return err
		}
		excl, err := led.Excluded(t.Name)
		if err != nil {
			return err
		}
		parts = append(parts, p...)
		db.defs = append(db.defs, baseView(t, p, excl))
	}
	embedded, err := embeddedDefinitions()
	if err != nil {
		return err
	}
	db.defs = append(append(db.defs, errnoNames()), embedded...)
	stmts := settings(o, db.tmp)
	for _, d := range db.defs {
		stmts = append(stmts, d.SQL)
	}
	stmts = append(stmts, lockdown(parts, db.tmp)...)
	for _, s := range stmts {
		if _, err := db.db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("query: setting up the dataset's views: %w\n%s", err, s)
		}
	}
	return nil
}

// settings come first: they can no longer change once locked.
func settings(o Options, tmp string) []string {
	s := []string{
		"SET temp_directory = " + literal(tmp),
		// Parts never change once committed, so their footers can be
		// cached across queries.
		"SET parquet_metadata_cache = true",
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
	}
	if o.Threads > 0 {
		s = append(s, fmt.Sprintf("SET threads = %d", o.Threads))
	}
	if o.MemoryLimit != "" {
		s = append(s, "SET memory_limit = "+literal(o.MemoryLimit))
	}
	return s
}

// lockdown allows reading exactly the committed parts and writing only
// the private directory, turns every other file, extension and
// database access off, and locks the configuration but for settings
// that only tune a query.
func lockdown(parts []string, tmp string) []string {
	quoted := make([]string, len(parts))
	for i, p := range parts {
		quoted[i] = literal(p)
	}
	return []string{
		"SET allowed_paths = [" + strings.Join(quoted, ", ") + "]",
		"SET allowed_directories = [" + literal(tmp+string(filepath.Separator)) + "]",
		"SET enable_external_access = false",
		"SET allow_community_extensions = false",
		"SET allowed_configs = ['threads', 'memory_limit', 'preserve_insertion_order', 'default_order', 'default_null_order']",
		"SET lock_configuration = true",
	}
}

// embeddedDefinitions reads the macros and views kdf defines in SQL.
func embeddedDefinitions() ([]Definition, error) {
	var out []Definition
	for _, name := range []string{"sql/macros.sql", "sql/views.sql"} {
		b, err := sqlFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		for _, s := range sqltext.Split(string(b)) {
			d := Definition{Doc: s.Doc, SQL: stripDoc(s.SQL)}
			f := strings.Fields(d.SQL)
			if len(f) < 3 || f[0] != "CREATE" {
				return nil, fmt.Errorf("query: %s: not a CREATE statement: %.40q", name, d.SQL)
			}
			d.Kind, d.Name = strings.ToLower(f[1]), strings.TrimSuffix(f[2], "(")
			d.Name, _, _ = strings.Cut(d.Name, "(")
			out = append(out, d)
		}
	}
	return out, nil
}

// stripDoc drops the comment lines before a statement.
func stripDoc(sql string) string {
	lines := strings.Split(sql, "\n")
	i := 0
	for i < len(lines) && (strings.HasPrefix(strings.TrimSpace(lines[i]), "--") || strings.TrimSpace(lines[i]) == "") {
		i++
	}
	return strings.Join(lines[i:], "\n")
}

// errnoNames exports kdf's errno table as a list indexed by code, so
// that errno_name is a list lookup, not a join.
func errnoNames() Definition {
	names := errno.Names()
	codes := make([]int64, 0, len(names))
	for c := range names {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	list := make([]string, codes[len(codes)-1])
	for i := range list {
		list[i] = "NULL"
		if n, ok := names[int64(i+1)]; ok {
			list[i] = literal(n)
		}
	}
	return Definition{Name: "errno_names", Kind: "macro",
		Doc: "errno_names(): the errno names as a list, errno_names()[14] = 'EFAULT'; NULL where a code has no name.",
		SQL: "CREATE MACRO errno_names() AS [" + strings.Join(list, ", ") + "]"}
}

// Dir returns the dataset's directory.
func (db *DB) Dir() string { return db.dir }

// Definitions returns the views and macros Open created, in order.
func (db *DB) Definitions() []Definition { return slices.Clone(db.defs) }

// Close closes DuckDB and removes its private directory.
func (db *DB) Close() error {
	err := db.db.Close()
	return errors.Join(err, db.spill.remove())
}
