package dataset

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/kdf-tools/kdf/schema"
)

// Writer is one writing session: a unique ID, a private directory
// _tmp/<id>/ for parts in progress, and an exclusive flock on
// _tmp/<id>.lock held for its lifetime, by which recovery in other
// processes tells that it is alive. Its methods are safe for concurrent
// use.
type Writer struct {
	d     *Dataset
	id    string
	dir   string   // _tmp/<id>
	lockf *os.File // _tmp/<id>.lock, flocked while the writer lives

	mu       sync.Mutex
	seen     int64              // see Seen
	next     int                // counter naming temporary parts
	parts    map[*PartFile]bool // parts not yet committed or aborted
	closed   bool
	recovery Recovery
}

// NewWriter starts a writing session. Under the ledger lock it first
// recovers what interrupted writers left (see Recover), then registers
// the writer, so that no recovery can mistake a starting writer for a
// dead one. It refuses a dataset of another schema version: parts of two
// schemas must not mix in one table.
func (d *Dataset) NewWriter(ctx context.Context) (*Writer, error) {
	return d.NewWriterAs(ctx, "")
}

// NewWriterAs is NewWriter for a writer whose ID, and so its parts'
// names, start with role: "compact" marks the parts kdf compact wrote.
func (d *Dataset) NewWriterAs(ctx context.Context, role string) (*Writer, error) {
	if d.meta.SchemaVersion != schema.Version {
		return nil, fmt.Errorf("dataset: %s has schema version %d and this kdf writes version %d: ingest into a new dataset",
			d.root, d.meta.SchemaVersion, schema.Version)
	}
	lk, err := d.lockLedger(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock(lk)
	rec, err := d.recoverLocked()
	if err != nil {
		return nil, err
	}
	st, err := d.readLedger()
	if err != nil {
		return nil, err
	}
	w, err := d.register(role)
	if err != nil {
		return nil, err
	}
	w.recovery, w.seen = rec, st.last
	return w, nil
}

// register creates the writer's lock file and directory. It runs under
// the ledger lock, as recovery does.
func (d *Dataset) register(role string) (*Writer, error) {
	tmp, err := d.mkdirWithin(tmpDir)
	if err != nil {
		return nil, err
	}
	var b [6]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	if role != "" {
		if strings.ContainsAny(role, "/-.\x00") {
			return nil, fmt.Errorf("dataset: writer role %q: want letters and digits", role)
		}
		id = role + "-" + id
	}
	f, err := os.OpenFile(filepath.Join(tmp, id+".lock"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("dataset: registering a writer: %w", err)
	}
	if held, err := flockNB(f); err != nil || held {
		f.Close()
		if err == nil {
			err = errors.New("held by another process")
		}
		return nil, fmt.Errorf("dataset: locking writer %s: %w", id, err)
	}
	dir := filepath.Join(tmp, id)
	if err := os.Mkdir(dir, 0o755); err != nil {
		f.Close()
		return nil, fmt.Errorf("dataset: registering a writer: %w", err)
	}
	return &Writer{d: d, id: id, dir: dir, lockf: f, parts: map[*PartFile]bool{}}, nil
}

// ID returns the writer's unique ID, part of its parts' names.
func (w *Writer) ID() string { return w.id }

// Dir returns the writer's private directory: scratch files there (a
// query engine's spill files, say) are removed with it, by Close or, if
// the process dies, by the next writer's recovery.
func (w *Writer) Dir() string { return w.dir }

// Role returns the role a writer's ID starts with ("" for none).
func (p Part) Role() string {
	role, _, ok := strings.Cut(p.Writer, "-")
	if !ok {
		return ""
	}
	return role
}

// Recovery returns what NewWriter's recovery mended.
func (w *Writer) Recovery() Recovery { return w.recovery }

// CreateTemp creates a scratch file in the writer's private directory,
// named after pattern as os.CreateTemp names it. Recovery removes it
// with the directory if the process dies; otherwise the caller removes
// it, or Close does.
func (w *Writer) CreateTemp(pattern string) (*os.File, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, fmt.Errorf("dataset: writer %s is closed", w.id)
	}
	f, err := os.CreateTemp(w.dir, pattern)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	return f, nil
}

// CreatePart opens a new part of the table in the campaign, in the
// writer's temporary directory. The caller writes the Parquet content
// into it, then Closes it and passes it to Commit, or Aborts it.
func (w *Writer) CreatePart(table, campaign string) (*PartFile, error) {
	if _, err := lookupTable(table); err != nil {
		return nil, err
	}
	if err := CheckCampaign(campaign); err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, fmt.Errorf("dataset: writer %s is closed", w.id)
	}
	name := filepath.Join(w.dir, fmt.Sprintf("%d-%s.parquet", w.next, table))
	w.next++
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("dataset: creating part of %s for campaign %s: %w", table, campaign, err)
	}
	p := &PartFile{w: w, table: table, campaign: campaign, tmp: name, f: f}
	w.parts[p] = true
	return p, nil
}

// Close ends the session: parts not committed are removed with the
// writer's directory, and its lock is released. Committed parts stay.
// Call it once every Commit has returned.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	for p := range w.parts {
		p.close()
	}
	w.parts = nil
	w.mu.Unlock()
	// The lock goes last: while the directory exists, the writer is alive.
	err := os.RemoveAll(w.dir)
	if rerr := os.Remove(w.lockf.Name()); err == nil {
		err = rerr
	}
	w.lockf.Close()
	if err != nil {
		return fmt.Errorf("dataset: closing writer %s: %w", w.id, err)
	}
	return nil
}

// kill stops the writer as a SIGKILL would: its lock is released and
// nothing is cleaned. Tests use it to leave a dead writer behind.
func (w *Writer) kill() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for p := range w.parts {
		p.f.Close()
	}
	w.lockf.Close()
}

// PartFile is a part being written in a writer's temporary directory.
// Write errors are sticky and name the file: a part that failed to write
// cannot be committed.
type PartFile struct {
	w               *Writer
	table, campaign string
	tmp             string
	f               *os.File // nil once closed
	size            int64    // bytes written
	err             error    // the first write or close error
	state           partState
}

type partState int

const (
	partOpen partState = iota
	partClosed
	partCommitting
	partDone // committed or aborted
)

// Table returns the part's table.
func (p *PartFile) Table() string { return p.table }

// Campaign returns the part's campaign.
func (p *PartFile) Campaign() string { return p.campaign }

// Size returns the bytes written to the part.
func (p *PartFile) Size() int64 { return p.size }

// Name returns the part's temporary file name.
func (p *PartFile) Name() string { return p.tmp }

// Write writes to the part's file.
func (p *PartFile) Write(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	if p.f == nil {
		return 0, fmt.Errorf("dataset: writing part %s: closed", p.tmp)
	}
	var n int
	err := p.w.d.hooks.write(p.tmp, len(b))
	if err == nil {
		n, err = p.f.Write(b)
		p.size += int64(n)
	}
	if err != nil {
		p.err = fmt.Errorf("dataset: writing part %s (table %s, campaign %s): %w", p.tmp, p.table, p.campaign, err)
	}
	return n, p.err
}

// Close finishes the part: its content is synced to disk, so that the
// rename Commit makes of it cannot publish a file whose data a crash
// would lose. It returns the part's first write error, if any.
func (p *PartFile) Close() error {
	p.w.mu.Lock()
	defer p.w.mu.Unlock()
	if p.state != partOpen {
		return p.err
	}
	if p.err == nil {
		if err := p.f.Sync(); err != nil {
			p.err = fmt.Errorf("dataset: syncing part %s: %w", p.tmp, err)
		}
	}
	if err := p.f.Close(); err != nil && p.err == nil {
		p.err = fmt.Errorf("dataset: closing part %s: %w", p.tmp, err)
	}
	p.f = nil
	p.state = partClosed
	return p.err
}

// Abort discards the part.
func (p *PartFile) Abort() error {
	p.w.mu.Lock()
	defer p.w.mu.Unlock()
	if p.state == partCommitting {
		return fmt.Errorf("dataset: part %s is being committed", p.tmp)
	}
	return p.close()
}

// close removes the part's file unless it was committed. Callers hold
// w.mu.
func (p *PartFile) close() error {
	if p.state == partDone {
		return nil
	}
	if p.f != nil {
		p.f.Close()
		p.f = nil
	}
	p.state = partDone
	delete(p.w.parts, p)
	if err := os.Remove(p.tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("dataset: removing part %s: %w", p.tmp, err)
	}
	return nil
}
