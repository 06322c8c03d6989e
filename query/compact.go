//go:build duckdb_arrow

package query

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"

	"github.com/kdf-tools/kdf/schema"
	"github.com/kdf-tools/kdf/schema/dataset"
	"github.com/kdf-tools/kdf/schema/part"
)

// compactSQL sorts and writes one campaign's table into the compacted
// parts: DuckDB sorts (out of core, within its memory limit), kdf's own
// Parquet writer writes, so that compacted parts are written exactly as
// ingested ones are.
func (c *compactor) table(ctx context.Context, conn *sql.Conn, t *schema.Table, parts []dataset.Part) ([]*dataset.PartFile, error) {
	paths := make([]string, len(parts))
	for i, p := range parts {
		paths[i] = p.Path
	}
	cols := make([]string, len(t.Columns))
	for i, col := range t.Columns {
		cols[i] = ident(col.Name)
	}
	from := fmt.Sprintf("read_parquet([%s])", quoteAll(paths))
	order := sortKeys[t.Name]
	if t.Name == schema.Records.Name || t.Name == schema.Calls.Name {
		if err := runBands(ctx, conn, from, c.opt.rowGroupRows); err != nil {
			return nil, fmt.Errorf("query: compacting %s of campaign %s: %w", t.Name, c.campaign, err)
		}
		from += " JOIN kdf_run_bands USING (run_id)"
		order = "band, " + order
	}
	q := fmt.Sprintf("SELECT %s FROM %s ORDER BY %s", strings.Join(cols, ", "), from, order)
	var out []*dataset.PartFile
	err := conn.Raw(func(dc any) error {
		a, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		rr, err := a.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rr.Release()
		out, err = c.write(t, rr)
		return err
	})
	if err != nil {
		for _, f := range out {
			f.Abort()
		}
		return nil, fmt.Errorf("query: compacting %s of campaign %s: %w", t.Name, c.campaign, err)
	}
	return out, nil
}

// write writes the sorted batches into parts of about TargetBytes.
func (c *compactor) write(t *schema.Table, rr array.RecordReader) ([]*dataset.PartFile, error) {
	var out []*dataset.PartFile
	var cur *compactPart
	for rr.Next() {
		rec, err := conform(rr.RecordBatch(), t)
		if err != nil {
			return out, err
		}
		if cur == nil {
			if cur, err = c.newPart(t); err != nil {
				rec.Release()
				return out, err
			}
			out = append(out, cur.file)
		}
		err = cur.w.Write(rec)
		rec.Release()
		if err != nil {
			return out, err
		}
		if cur.n.n >= c.opt.TargetBytes {
			if err := cur.close(); err != nil {
				return out, err
			}
			cur = nil
		}
	}
	if err := rr.Err(); err != nil {
		return out, err
	}
	if cur != nil {
		return out, cur.close()
	}
	return out, nil
}

type compactPart struct {
	file *dataset.PartFile
	n    *countingWriter
	w    *part.Writer
}

func (c *compactor) newPart(t *schema.Table) (*compactPart, error) {
	f, err := c.w.CreatePart(t.Name, c.campaign)
	if err != nil {
		return nil, err
	}
	n := &countingWriter{w: f}
	pw, err := part.NewWriter(n, t, part.Options{RowGroupRows: int(c.opt.rowGroupRows), Compression: c.opt.Compression})
	if err != nil {
		f.Abort()
		return nil, err
	}
	return &compactPart{file: f, n: n, w: pw}, nil
}

func (p *compactPart) close() error {
	if err := p.w.Close(); err != nil {
		return err
	}
	return p.file.Close()
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// conform gives a batch DuckDB produced the table's exact Arrow types:
// DuckDB names a list's element "l" where kdf's schema says "item"; the
// buffers are the same, so only the type is replaced, nothing copied.
func conform(rec arrow.RecordBatch, t *schema.Table) (arrow.RecordBatch, error) {
	if int(rec.NumCols()) != len(t.Columns) {
		return nil, fmt.Errorf("%d columns for table %s's %d", rec.NumCols(), t.Name, len(t.Columns))
	}
	cols := make([]arrow.Array, len(t.Columns))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, c := range t.Columns {
		a := rec.Column(i)
		d := a.Data()
		if arrow.TypeEqual(a.DataType(), c.Type) {
			a.Retain()
			cols[i] = a
			continue
		}
		if a.DataType().ID() != c.Type.ID() {
			return nil, fmt.Errorf("column %s is %s, the table says %s", c.Name, a.DataType(), c.Type)
		}
		nd := array.NewData(c.Type, d.Len(), d.Buffers(), d.Children(), d.NullN(), d.Offset())
		cols[i] = array.MakeFromData(nd)
		nd.Release()
	}
	return array.NewRecordBatch(t.Schema(), cols, rec.NumRows()), nil
}

// Compact rewrites the dataset's small parts into large ones; see
// CompactOptions and the package doc of schema/dataset for how it
// commits.
func Compact(ctx context.Context, dir string, opt CompactOptions) ([]CompactResult, error) {
	opt = opt.withDefaults()
	ds, err := dataset.Open(dir)
	if err != nil {
		return nil, err
	}
	w, err := ds.NewWriterAs(ctx, compactRole)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	snap, err := ds.Snapshot()
	if err != nil {
		return nil, err
	}
	campaigns := snap.Campaigns()
	if opt.Campaign != "" {
		campaigns = []string{opt.Campaign}
	}
	var results []CompactResult
	for _, camp := range campaigns {
		c := &compactor{ds: ds, w: w, campaign: camp, opt: opt}
		r, err := c.run(ctx, snap)
		if err != nil {
			return results, err
		}
		results = append(results, r)
	}
	return results, nil
}

// runBands fills the temporary table kdf_run_bands (run_id, band) for
// the rows of from: runs in run_id order, cut into bands of about
// sqrt(G) row groups' worth of rows each, where G is the row groups the
// table fills. Rows sorted by band, then function, put each row group in
// one band and a narrow range of functions: a one-run query reads the
// row groups of its band, about sqrt(G), and a one-function query about
// one or two per band, also about sqrt(G), instead of all G for the one
// of the two that a single sort key does not serve.
func runBands(ctx context.Context, conn *sql.Conn, from string, groupRows int64) error {
	var rows int64
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+from).Scan(&rows); err != nil {
		return err
	}
	groups := (rows + groupRows - 1) / groupRows
	bandRows := int64(math.Ceil(math.Sqrt(float64(max(groups, 1))))) * groupRows
	_, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE kdf_run_bands AS
SELECT run_id, (sum(n) OVER (ORDER BY run_id) - n) // %d AS band
FROM (SELECT run_id, count(*) AS n FROM %s GROUP BY run_id)`, bandRows, from))
	return err
}

// compactRole names the writers of compacted parts.
const compactRole = "compact"

type compactor struct {
	ds       *dataset.Dataset
	w        *dataset.Writer
	campaign string
	opt      CompactOptions
}

// run compacts one campaign: the parts of every commit it chose, every
// table, into one commit, so that an input's rows of each table stay
// within the parts of one commit (which is how a forced re-ingest finds
// them).
func (c *compactor) run(ctx context.Context, snap *dataset.Snapshot) (CompactResult, error) {
	start := time.Now()
	r := CompactResult{Campaign: c.campaign}
	chosen := c.choose(snap)
	for _, t := range schema.All {
		for _, p := range chosen[t.Name] {
			r.PartsBefore++
			r.BytesBefore += p.Size
		}
	}
	if r.PartsBefore == 0 {
		r.Skipped = "nothing to compact: its parts are compacted already"
		return r, nil
	}
	if err := verifyChosen(ctx, c.campaign, chosen); err != nil {
		return r, err
	}
	db, conn, err := c.duck(ctx)
	if err != nil {
		return r, err
	}
	defer db.Close()
	defer conn.Close()
	var files []*dataset.PartFile
	var remove []dataset.Part
	for _, t := range schema.All {
		if len(chosen[t.Name]) == 0 {
			continue
		}
		out, err := c.table(ctx, conn, t, chosen[t.Name])
		if err != nil {
			abort(files)
			return r, err
		}
		files = append(files, out...)
		remove = append(remove, chosen[t.Name]...)
	}
	for _, f := range files {
		r.PartsAfter++
		r.BytesAfter += f.Size()
	}
	err = c.w.Commit(ctx, dataset.Group{Parts: files, Remove: remove, Note: "compact"})
	if errors.Is(err, dataset.ErrConflict) {
		abort(files)
		return r, fmt.Errorf("query: campaign %s changed while it was compacted (%w): run kdf compact again", c.campaign, err)
	}
	r.Seconds = time.Since(start).Seconds()
	return r, err
}

// verifyChosen checks every page of the parts to compact against its
// checksum (part.Verify) before any is read: compaction rewrites rows
// with fresh checksums, so a page damaged on disk would come out of it
// as good pages of wrong values, or, where DuckDB notices, fail without
// naming the part.
func verifyChosen(ctx context.Context, campaign string, chosen map[string][]dataset.Part) error {
	for _, t := range schema.All {
		for _, p := range chosen[t.Name] {
			if err := ctx.Err(); err != nil {
				return err
			}
			if _, err := part.VerifyFile(p.Path); err != nil {
				return fmt.Errorf("query: campaign %s: %s is damaged (%w): nothing was compacted; move it out of the dataset, ingest the campaign's sources again with --force, then compact (kdf check --data lists every damaged part)",
					campaign, p.Rel(), err)
			}
		}
	}
	return nil
}

// choose picks the commits to compact: every commit an ingest wrote, and
// earlier compactions' commits too small to stand alone (under half the
// target). A single commit of compacted parts is left as it is, so that
// compacting again does nothing.
func (c *compactor) choose(snap *dataset.Snapshot) map[string][]dataset.Part {
	type commit struct {
		parts     []dataset.Part
		bytes     int64
		compacted bool
	}
	commits := map[int64]*commit{}
	for _, t := range schema.All {
		for _, p := range snap.Campaign(t.Name, c.campaign) {
			cm := commits[p.Commit]
			if cm == nil {
				cm = &commit{compacted: true}
				commits[p.Commit] = cm
			}
			cm.parts = append(cm.parts, p)
			cm.bytes += p.Size
			cm.compacted = cm.compacted && p.Role() == compactRole
		}
	}
	var take []*commit
	for _, cm := range commits {
		if !cm.compacted || cm.bytes < c.opt.TargetBytes/2 {
			take = append(take, cm)
		}
	}
	out := map[string][]dataset.Part{}
	if len(take) == 0 || len(take) == 1 && take[0].compacted {
		return out
	}
	for _, cm := range take {
		for _, p := range cm.parts {
			out[p.Table] = append(out[p.Table], p)
		}
	}
	return out
}

// duck starts a DuckDB of its own for the sort, spilling into the
// writer's private directory, which recovery removes should kdf die.
func (c *compactor) duck(ctx context.Context) (*sql.DB, *sql.Conn, error) {
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return nil, nil, fmt.Errorf("query: starting DuckDB: %w", err)
	}
	db := sql.OpenDB(connector)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	for _, s := range []string{
		"SET temp_directory = " + literal(filepath.Join(c.w.Dir(), "duckdb")),
		"SET memory_limit = " + literal(c.opt.MemoryLimit),
		fmt.Sprintf("SET threads = %d", c.opt.Threads),
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
	} {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			conn.Close()
			db.Close()
			return nil, nil, fmt.Errorf("query: %s: %w", s, err)
		}
	}
	return db, conn, nil
}

func abort(files []*dataset.PartFile) {
	for _, f := range files {
		f.Abort()
	}
}

func quoteAll(paths []string) string {
	q := make([]string, len(paths))
	for i, p := range paths {
		q[i] = literal(p)
	}
	return strings.Join(q, ", ")
}
