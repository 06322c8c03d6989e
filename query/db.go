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
	dir   string   // the first dataset
	dirs  []string // every dataset
	tmp   string   // private: spills, and files written for the caller
	spill *spillDir
	defs  []Definition
}

// Open opens the dataset at dir with default options.
func Open(dir string) (*DB, error) {
	return OpenOptions(context.Background(), dir, Options{})
}

// OpenOptions opens one dataset; see OpenAll.
func OpenOptions(ctx context.Context, dir string, o Options) (*DB, error) {
	return OpenAll(ctx, []string{dir}, o)
}

// OpenAll lists the datasets' parts, creates the views and macros over
// them, then shuts DuckDB's access to every other file (see the package
// documentation, Security). Several datasets (one per host, or per
// campaign) are queried as one: their tables are unioned, and every view
// has a dataset column that tells them apart. A dataset is named by its
// directory's base name, or by NAME=DIR.
func OpenAll(ctx context.Context, dirs []string, o Options) (*DB, error) {
	if len(dirs) == 0 {
		return nil, errors.New("query: no dataset to open")
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	srcs, err := openSources(dirs)
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
	db := &DB{db: sql.OpenDB(c), dir: srcs[0].dir, tmp: spill.path, spill: spill}
	for _, s := range srcs {
		db.dirs = append(db.dirs, s.dir)
	}
	if err := db.setup(ctx, srcs, o); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// source is one dataset of a DB, as listed when it was opened.
type source struct {
	name, dir string
	snap      *dataset.Snapshot
}

// DatasetArg splits a dataset argument, DIR or NAME=DIR, into the name
// it was given ("" for none) and the directory.
func DatasetArg(arg string) (name, dir string) {
	name, dir, named := strings.Cut(arg, "=")
	if !named || name == "" || strings.ContainsRune(name, filepath.Separator) {
		return "", arg
	}
	return name, dir
}

// openSources opens and lists each dataset once, naming each.
func openSources(args []string) ([]source, error) {
	var out []source
	names := map[string]string{}
	for _, arg := range args {
		name, dir := DatasetArg(arg)
		ds, err := dataset.Open(dir)
		if err != nil {
			return nil, err
		}
		if name == "" {
			name = filepath.Base(ds.Dir())
		}
		if other, ok := names[name]; ok {
			return nil, fmt.Errorf("query: datasets %s and %s are both named %q: name them, as NAME=DIR", other, ds.Dir(), name)
		}
		names[name] = ds.Dir()
		snap, err := ds.Snapshot()
		if err != nil {
			return nil, err
		}
		out = append(out, source{name: name, dir: ds.Dir(), snap: snap})
	}
	return out, nil
}

// setup runs, in order: the settings, the definitions, the lock.
func (db *DB) setup(ctx context.Context, srcs []source, o Options) error {
	var parts []string
	for _, t := range schema.All {
		for _, s := range srcs {
			parts = append(parts, s.snap.Paths(t.Name)...)
		}
		db.defs = append(db.defs, baseView(t, srcs))
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

// Dir returns the (first) dataset's directory.
func (db *DB) Dir() string { return db.dir }

// Dirs returns every dataset's directory, in the order given.
func (db *DB) Dirs() []string { return slices.Clone(db.dirs) }

// Definitions returns the views and macros Open created, in order.
func (db *DB) Definitions() []Definition { return slices.Clone(db.defs) }

// Close closes DuckDB and removes its private directory.
func (db *DB) Close() error {
	err := db.db.Close()
	return errors.Join(err, db.spill.remove())
}
