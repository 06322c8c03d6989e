package query

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"

	"github.com/kdf-tools/kdf/query/internal/sqltext"
	"github.com/kdf-tools/kdf/query/table"
)

// Vars are SQL variables a query reads with getvariable('name'): the
// parameters of kdf's report files, which DuckDB's own shell runs just
// as well after SET VARIABLE. A nil value is NULL.
type Vars map[string]any

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// set declares the variables on the connection, for a query that may
// see them otherwise than through getvariable('name') (see bind). A nil
// variable is left unset: getvariable then returns an untyped NULL,
// which compares with anything, where SET VARIABLE x = NULL would make
// an INTEGER.
func (v Vars) set(ctx context.Context, c *sql.Conn) error {
	for _, name := range v.setNames() {
		lit, err := sqlValue(v[name])
		if err != nil {
			return fmt.Errorf("query: variable %s: %w", name, err)
		}
		if _, err := c.ExecContext(ctx, "SET VARIABLE "+name+" = "+lit); err != nil {
			return fmt.Errorf("query: variable %s: %w", name, err)
		}
	}
	return nil
}

// reset removes the variables, so the pooled connection forgets them.
func (v Vars) reset(c *sql.Conn) {
	for _, name := range v.setNames() {
		c.ExecContext(context.Background(), "RESET VARIABLE "+name)
	}
}

// setNames returns the names of the variables with a value, sorted.
func (v Vars) setNames() []string {
	names := make([]string, 0, len(v))
	for k, val := range v {
		if val != nil {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	return names
}

// check rejects names that are not identifiers before any SQL is built.
func (v Vars) check() error {
	for k := range v {
		if !varName.MatchString(k) {
			return fmt.Errorf("query: variable name %q: want letters, digits and _", k)
		}
	}
	return nil
}

// bind writes into the query, as constants of the variables' types,
// the variables it reads only through getvariable('name'): DuckDB folds
// such a call into that constant anyway, and declaring a variable costs
// two statements (SET and RESET) of about 0.1 ms each. It
// returns the query and the variables still to declare: all of them
// when the query may see variables some other way.
func (v Vars) bind(query string) (string, Vars, error) {
	if err := v.check(); err != nil {
		return "", nil, err
	}
	if len(v) == 0 {
		return query, nil, nil
	}
	var err error
	bound, ok := sqltext.BindVariables(query, func(name string) (string, bool) {
		val, known := v[name]
		if !known || err != nil {
			return "", false
		}
		var lit string
		if lit, err = sqlValue(val); err != nil {
			err = fmt.Errorf("query: variable %s: %w", name, err)
		}
		return "(" + lit + ")", err == nil
	})
	if err != nil {
		return "", nil, err
	}
	if !ok {
		return query, v, nil
	}
	return bound, nil, nil
}

// sqlValue writes a Go value as a SQL constant of the type SET VARIABLE
// would give it.
func sqlValue(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "NULL", nil
	case string:
		return "CAST(" + literal(v) + " AS VARCHAR)", nil
	case bool:
		return strconv.FormatBool(v), nil
	case int:
		return intValue(int64(v)), nil
	case int64:
		return intValue(v), nil
	case uint64:
		return strconv.FormatUint(v, 10) + "::UBIGINT", nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return literal(strconv.FormatFloat(v, 'g', -1, 64)) + "::DOUBLE", nil
		}
		return strconv.FormatFloat(v, 'g', -1, 64) + "::DOUBLE", nil
	}
	return "", fmt.Errorf("values of type %T are not supported", v)
}

func intValue(n int64) string {
	if n >= math.MinInt32 && n <= math.MaxInt32 {
		return "CAST(" + strconv.FormatInt(n, 10) + " AS INTEGER)"
	}
	return "CAST(" + strconv.FormatInt(n, 10) + " AS BIGINT)"
}

// Rows is a query's result, read row by row into the table model.
type Rows struct {
	conn  *sql.Conn
	owned bool // the connection is the result's, to close with it
	vars  Vars
	rows  *sql.Rows
	cols  []table.Column
	types []*sqlType
	dest  []any
	row   []any
	err   error
}

// Rows runs the query (several statements are run in turn, and the
// last one's result is returned) with the variables set. The caller
// must Close the result.
func (db *DB) Rows(ctx context.Context, query string, vars Vars) (*Rows, error) {
	query, vars, err := vars.bind(query)
	if err != nil {
		return nil, err
	}
	c, err := db.conn(ctx, vars)
	if err != nil {
		return nil, err
	}
	return newRows(ctx, c, true, query, vars)
}

func newRows(ctx context.Context, c *sql.Conn, owned bool, query string, vars Vars) (*Rows, error) {
	r := &Rows{conn: c, owned: owned, vars: vars}
	var err error
	if r.rows, err = c.QueryContext(ctx, query); err != nil {
		r.Close()
		return nil, fmt.Errorf("query: %w", err)
	}
	if err := r.describe(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// conn takes a connection of the pool and sets the variables on it.
func (db *DB) conn(ctx context.Context, vars Vars) (*sql.Conn, error) {
	c, err := db.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	if err := vars.set(ctx, c); err != nil {
		vars.reset(c)
		c.Close()
		return nil, err
	}
	return c, nil
}

func (r *Rows) describe() error {
	cts, err := r.rows.ColumnTypes()
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	for _, ct := range cts {
		t := parseType(ct.DatabaseTypeName())
		r.types = append(r.types, t)
		r.cols = append(r.cols, table.Column{Name: ct.Name(), Kind: t.kind(), Style: styleOf(ct.Name(), t), Type: ct.DatabaseTypeName()})
	}
	r.dest = make([]any, len(cts))
	for i := range r.dest {
		r.dest[i] = new(any)
	}
	return nil
}

// Columns returns the result's columns.
func (r *Rows) Columns() []table.Column { return r.cols }

// Next reads the next row; it returns false at the end or on an error.
func (r *Rows) Next() bool {
	if r.err != nil || !r.rows.Next() {
		return false
	}
	if err := r.rows.Scan(r.dest...); err != nil {
		r.err = fmt.Errorf("query: %w", err)
		return false
	}
	r.row = make([]any, len(r.dest))
	for i, d := range r.dest {
		r.row[i] = r.types[i].value(r.cols[i].Kind, *d.(*any))
	}
	return true
}

// Row returns the row Next read; it is the caller's to keep.
func (r *Rows) Row() []any { return r.row }

// Err returns the error that ended Next early, if any.
func (r *Rows) Err() error {
	if r.err != nil {
		return r.err
	}
	if err := r.rows.Err(); err != nil {
		return fmt.Errorf("query: %w", err)
	}
	return nil
}

// Close releases the result and its connection.
func (r *Rows) Close() error {
	var err error
	if r.rows != nil {
		err = r.rows.Close()
	}
	if !r.owned {
		return err
	}
	r.vars.reset(r.conn)
	return errors.Join(err, r.conn.Close())
}

// value converts a scanned value for a column of kind k. When the
// driver chose a Go type the kind does not hold (a JSON column scanned
// into Go maps, say) the value becomes JSON text.
func (t *sqlType) value(k table.Kind, raw any) any {
	v := t.convert(raw)
	if _, ok := v.(string); k != table.KindString || v == nil || ok {
		return v
	}
	if b, err := json.Marshal(raw); err == nil {
		return string(b)
	}
	return fmt.Sprint(raw)
}

// Query runs the query and collects its result as a table.
func (db *DB) Query(ctx context.Context, query string, vars Vars) (*table.Table, error) {
	r, err := db.Rows(ctx, query, vars)
	if err != nil {
		return nil, err
	}
	return collect(r)
}

// collect reads a result into a table and closes it.
func collect(r *Rows) (*table.Table, error) {
	defer r.Close()
	t := table.New(r.Columns()...)
	for r.Next() {
		t.Rows = append(t.Rows, r.Row())
	}
	return t, r.Err()
}

// Exec runs statements whose results are not wanted.
func (db *DB) Exec(ctx context.Context, query string, vars Vars) error {
	query, vars, err := vars.bind(query)
	if err != nil {
		return err
	}
	c, err := db.conn(ctx, vars)
	if err != nil {
		return err
	}
	defer c.Close()
	defer vars.reset(c)
	if _, err := c.ExecContext(ctx, query); err != nil {
		return fmt.Errorf("query: %w", err)
	}
	return nil
}

// Session is one connection kept across statements: what a SQL shell
// needs, where SET VARIABLE and temporary tables made by one statement
// must be there for the next. It is for one goroutine, one result at a
// time.
type Session struct {
	c *sql.Conn
}

// Session takes a connection for a session; Close gives it back.
func (db *DB) Session(ctx context.Context) (*Session, error) {
	c, err := db.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	return &Session{c: c}, nil
}

// Rows runs the query on the session's connection; see DB.Rows.
func (s *Session) Rows(ctx context.Context, query string) (*Rows, error) {
	return newRows(ctx, s.c, false, query, nil)
}

// Query runs the query on the session's connection; see DB.Query.
func (s *Session) Query(ctx context.Context, query string) (*table.Table, error) {
	r, err := s.Rows(ctx, query)
	if err != nil {
		return nil, err
	}
	return collect(r)
}

// Close ends the session.
func (s *Session) Close() error { return s.c.Close() }
