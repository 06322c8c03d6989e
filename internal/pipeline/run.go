package pipeline

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sync/semaphore"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/ingest/source"
	"github.com/kdf-tools/kdf/schema/dataset"
	"github.com/kdf-tools/kdf/schema/part"
	"github.com/kdf-tools/kdf/transform/symbolize"
	"github.com/kdf-tools/kdf/transform/types"
)

// Config is one ingest: sources into a dataset's campaign.
type Config struct {
	Dataset  string
	Campaign string
	Sources  []string

	// Layout forces a layout for every buffer; LayoutUnknown detects it
	// (or takes a manifest's layout attribute).
	Layout ingest.Layout
	// Kallsyms and SystemMap, when set, symbolize every buffer instead
	// of the snapshots found beside them; KASLR overrides the offset.
	Kallsyms, SystemMap string
	KASLR               *uint64
	// Types, when set, names every buffer's arguments instead of the
	// type sources found beside them: raw BTF, an ELF vmlinux, or a
	// directory laid out as /sys/kernel/btf. TypesLimits bound what any
	// type source may cost.
	Types       string
	TypesLimits types.Limits

	// Workers decode and write in parallel; 0 means one per core.
	Workers int
	// Shard and Shards split one campaign over hosts: this ingest takes
	// the inputs whose path hashes to Shard modulo Shards.
	Shard, Shards int
	// Force re-ingests inputs the dataset already holds.
	Force bool

	// GroupBytes and GroupRuns bound a commit group (one set of parts
	// committed at once, per worker): the raw bytes and the runs it
	// holds. They bound what an interrupted ingest redoes.
	GroupBytes int64
	GroupRuns  int
	// BatchRows is the Arrow batch size; RowGroupRows the Parquet row
	// group size. Together with Workers they bound memory.
	BatchRows    int
	RowGroupRows int
	// Compression is the parts' codec: zstd (the zero value) writes
	// the smallest, snappy writes faster.
	Compression part.Compression
	// SpoolBytes: archive members up to this size are held in memory
	// while queued, larger ones are copied to a temporary file.
	SpoolBytes int64
	// OnHeap, when set, is called when the heap the ingest needs besides
	// its workers' batches and row groups grows, with all of it: once,
	// when the walk first queues an archive member (ArchiveMemory), and
	// when a symbol table parsed raises what the tables may take
	// (SymbolMemory of the largest, for as many as were parsed). A heap
	// limit sized for directories of small snapshots alone would keep
	// the collector running without pause.
	OnHeap func(extraBytes int64)

	Source source.Options
}

func (c *Config) defaults() error {
	if c.Campaign == "" {
		c.Campaign = "default"
	}
	if err := dataset.CheckCampaign(c.Campaign); err != nil {
		return err
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.Shards <= 0 {
		c.Shards = 1
	}
	if c.Shard < 0 || c.Shard >= c.Shards {
		return fmt.Errorf("shard %d/%d: want 0 <= i < n", c.Shard, c.Shards)
	}
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.GroupBytes, 512<<20)
	def(&c.SpoolBytes, 32<<20)
	if c.GroupRuns <= 0 {
		c.GroupRuns = 4096
	}
	if c.BatchRows <= 0 {
		c.BatchRows = 64 << 10
	}
	if c.RowGroupRows <= 0 {
		c.RowGroupRows = part.DefaultRowGroupRows
	}
	c.Source.MaxMemberBytes = c.Source.MemberCap()
	return nil
}

// partOptions is how every part of the ingest is written.
func (c *Config) partOptions() part.Options {
	return part.Options{RowGroupRows: c.RowGroupRows, Compression: c.Compression}
}

// Progress counts what an ingest has done so far; every field is read
// and written atomically.
type Progress struct {
	Files, Bytes, Records atomic.Int64
	// Files and Bytes count the inputs done: ingested, rejected or
	// found in the dataset already; an archive's bytes, those of its
	// file, as the walk reads it. TotalBytes estimates the bytes of all
	// files under the sources (0 until known): symbol tables make it a
	// rough guide.
	TotalBytes atomic.Int64
	// Estimate asks for TotalBytes, set before Run by a caller that
	// shows it: the estimate walks the sources once more, a stat of
	// every file.
	Estimate bool
}

// done counts an input of size bytes done: a file by its size, an
// archive member by nothing, its archive's bytes counted by the walk as
// it reads them (source.Options.ArchiveRead).
func (p *Progress) done(j *job, size int64) {
	p.Files.Add(1)
	if j.entry.Offset < 0 {
		p.Bytes.Add(size)
	}
}

// Summary is what an ingest did.
type Summary struct {
	Dataset  string           `json:"dataset"`
	Campaign string           `json:"campaign"`
	Inputs   int64            `json:"inputs"`
	Runs     int64            `json:"runs"`
	Skipped  int64            `json:"skipped"`  // in the dataset already, unchanged
	Replaced int64            `json:"replaced"` // in the dataset, ingested again: --force, symbols now found, a reject that changed
	Rejects  int64            `json:"rejects"`
	ByReason map[string]int64 `json:"rejects_by_reason"`
	// Changed counts files the dataset holds with other content: left as
	// they were (--force replaces them); ChangedPaths names the first.
	Changed      int64    `json:"changed"`
	ChangedPaths []string `json:"changed_paths,omitempty"`
	// Concurrent counts inputs another ingest committed first, while
	// this one had them in a group: theirs stand.
	Concurrent int64 `json:"concurrent"`
	// StaleRejects counts rejects removed because a complete walk of
	// their source no longer met the problem.
	StaleRejects int64 `json:"stale_rejects"`
	// Unsymbolized counts runs ingested without any symbol table.
	Unsymbolized int64 `json:"unsymbolized"`
	// Unresolved counts runs most of whose pcs resolved to no function
	// though a symbol table applied (the runs' problems say why);
	// UnresolvedPaths names the first.
	Unresolved      int64    `json:"unresolved"`
	UnresolvedPaths []string `json:"unresolved_paths,omitempty"`
	// Unnamed counts runs ingested without names: no type source, or
	// one their records disagreed with.
	Unnamed int64   `json:"unnamed"`
	Records int64   `json:"records"`
	Calls   int64   `json:"calls"`
	Bytes   int64   `json:"bytes"`
	Commits int64   `json:"commits"`
	Seconds float64 `json:"seconds"`
	// Warnings are problems that did not stop the ingest.
	Warnings []string `json:"warnings,omitempty"`
}

// maxChangedPaths bounds Summary.ChangedPaths and UnresolvedPaths.
const maxChangedPaths = 10

// Run ingests cfg.Sources into the dataset, creating it if needed.
func Run(ctx context.Context, cfg Config, prog *Progress) (*Summary, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if prog == nil {
		prog = &Progress{}
	}
	ds, err := dataset.Create(cfg.Dataset)
	if err != nil {
		return nil, err
	}
	in := &ingester{cfg: cfg, ds: ds, prog: prog, paths: map[[2]string]int{}, seen: map[hash128]bool{},
		names: map[string]string{}, named: map[string]bool{},
		partial: map[string]bool{}, sum: &Summary{Dataset: cfg.Dataset, Campaign: cfg.Campaign, ByReason: map[string]int64{}}}
	in.extra.report = cfg.OnHeap
	in.symbols.parsed = func(t *symbolize.Table) { in.extra.tableParsed(t, &in.cfg) }
	if in.overrides, err = loadOverrides(cfg); err != nil {
		return nil, err
	}
	if in.typesOverride, err = loadTypesOverride(cfg); err != nil {
		return nil, err
	}
	start := time.Now()
	if err := in.load(ctx); err != nil {
		return nil, err
	}
	if prog.Estimate {
		go prog.TotalBytes.Store(estimateBytes(cfg.Sources, cfg.Source.BufferSuffixes))
	}
	err = in.run(ctx)
	if err == nil {
		err = in.removeStale(ctx)
	}
	in.sum.Seconds = time.Since(start).Seconds()
	return in.sum, err
}

// load reads what the dataset holds of the campaign, after recovering
// what an interrupted ingest left.
func (in *ingester) load(ctx context.Context) error {
	if _, err := in.ds.Recover(ctx); err != nil {
		return err
	}
	snap, err := in.ds.Snapshot()
	if err != nil {
		return err
	}
	in.held = newHoldings(in.cfg.Campaign, in.mineID)
	for _, t := range []string{"runs", "rejects", "functions"} {
		if err := in.held.absorb(snap.Campaign(t, in.cfg.Campaign)); err != nil {
			return err
		}
	}
	in.held.seal()
	in.seen0 = snap.Last
	return nil
}

// ingester is the state one Run shares between its walker and workers.
type ingester struct {
	cfg       Config
	ds        *dataset.Dataset
	held      *holdings
	seen0     int64 // the commit the holdings were read at
	prog      *Progress
	overrides *tables
	symbols   symbolCache
	extra     heapNeeds
	// typesOverride is the command line's type source; types caches
	// those found in the sources.
	typesOverride *typeSource
	types         typesCache

	// paths are the source and path of every input recorded so far
	// that some other entry could share, each with the last #n suffix
	// given to another entry of its path (see recordAs); the walker's
	// goroutine alone uses it.
	paths map[[2]string]int
	// spool is the walker's writer, whose private directory holds the
	// archive members too large to keep in memory; made when first
	// needed.
	spool *dataset.Writer

	mu      sync.Mutex
	names   map[string]string // source as given -> its name in the dataset
	named   map[string]bool   // names given
	seen    map[hash128]bool  // inputs this walk met, of this shard, by hashOf their key
	partial map[string]bool   // sources this walk did not read whole
	sum     *Summary
}

// queuedPerWorker is how many jobs wait for each worker. The walker
// shares the workers' cores: with one job queued per worker, a worker
// done with a small input often found the queue empty and waited for
// the walker to be scheduled. At 64, an ingest of 100,000 buffers of 87
// records took 4.7-4.9 s instead of 5.2-5.4 s on 2 cores. A queued
// file is its path; it is opened by the worker that takes it.
const queuedPerWorker = 64

// run walks the sources on this goroutine and feeds the workers.
func (in *ingester) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan *job, queuedPerWorker*in.cfg.Workers)
	// An archive member is read during the walk and queued with its
	// bytes, or a spooled copy: the members queued hold at most
	// SpoolBytes per worker, a spooled one counting as SpoolBytes.
	members := semaphore.NewWeighted(int64(in.cfg.Workers) * in.cfg.SpoolBytes)
	errs := make(chan error, in.cfg.Workers)
	var wg sync.WaitGroup
	for range in.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := in.work(ctx, jobs, members); err != nil {
				errs <- err
				cancel()
			}
		}()
	}
	walk := in.cfg.Source
	walk.ArchiveRead = &in.prog.Bytes
	var prefetches sync.WaitGroup
	werr := source.Walk(ctx, in.cfg.Sources, walk, func(e *source.Entry) error {
		if in.overrides == nil {
			in.symbols.prefetch(e, &prefetches)
		}
		var weight int64
		if e.Streamed() {
			in.extra.archiveMet(in.cfg.ArchiveMemory())
			weight = in.queueWeight(e)
			if err := members.Acquire(ctx, weight); err != nil {
				return err
			}
		}
		j, err := in.newJob(ctx, e)
		if j == nil || err != nil {
			members.Release(weight)
			return err
		}
		j.queueWeight = weight
		select {
		case jobs <- j:
			return nil
		case <-ctx.Done():
			dequeued(j, members)
			j.release()
			return ctx.Err()
		}
	})
	close(jobs)
	wg.Wait()
	prefetches.Wait()
	if in.spool != nil {
		in.spool.Close()
	}
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return werr
}

// ArchiveMemory is what archive members take of the heap, all workers
// together: each worker's group holds its members until it commits (up
// to heldPerSpool SpoolBytes, passed by one member at most), and its
// share of the queue holds SpoolBytes more. Members larger than
// SpoolBytes are spooled to disk.
func (c *Config) ArchiveMemory() int64 {
	return int64(c.Workers) * (heldPerSpool + 2) * c.SpoolBytes
}

// SymbolMemory is what symbol tables the size of t take of the heap,
// once parsed tables have been parsed: as many as can be alive at once,
// at most the cache's and each worker's (those it keeps, one more until
// it trims, and one its pending batch still names), each with what a
// worker makes per symbol of it. A boot's kallsyms of 150,000 lines
// takes some 12 MB so. Boots that share one kallsyms (without KASLR)
// parse it once, and need one table's room.
func (c *Config) SymbolMemory(t *symbolize.Table, parsed int) int64 {
	return c.tablesMemory(tableMemory(t), parsed)
}

// tablesMemory is SymbolMemory of tables taking perTable each.
func (c *Config) tablesMemory(perTable int64, parsed int) int64 {
	return int64(min(parsed, maxParsedTables+c.Workers*(maxTablesKept+2))) * perTable
}

// tableMemory is what one table takes, with a worker's slices of it.
func tableMemory(t *symbolize.Table) int64 {
	return t.Bytes() + perSymbolBytes*int64(t.Len())
}

// perSymbolBytes is what a worker makes per symbol of a table it uses:
// its dictionary slot, its run mark and its prototype's slot.
const perSymbolBytes = int64(unsafe.Sizeof(symSlot{}) + unsafe.Sizeof(uint32(0)) + unsafe.Sizeof(uint32(0)))

// heapNeeds is the heap an ingest needs besides its workers' batches,
// reported to Config.OnHeap as it grows.
type heapNeeds struct {
	mu                sync.Mutex
	archives, symbols int64
	report            func(int64)
	// parsed counts the tables parsed, of which largest is the one
	// that takes the most (kept by its size, not to keep it alive).
	parsed  int
	largest int64
}

// archiveMet counts what archive members take, n, once.
func (h *heapNeeds) archiveMet(n int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.archives == 0 {
		h.archives = n
		h.reportLocked()
	}
}

// tableParsed counts t and raises symbols to what the tables parsed so
// far may take, all as large as the largest.
func (h *heapNeeds) tableParsed(t *symbolize.Table, c *Config) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.parsed++
	h.largest = max(h.largest, tableMemory(t))
	if n := c.tablesMemory(h.largest, h.parsed); n > h.symbols {
		h.symbols = n
		h.reportLocked()
	}
}

func (h *heapNeeds) reportLocked() {
	if h.report != nil {
		h.report(h.archives + h.symbols)
	}
}

// queueWeight is what an archive member counts for in the queue's
// budget: its size, SpoolBytes for one spooled to disk or of unknown
// size.
func (in *ingester) queueWeight(e *source.Entry) int64 {
	if e.Size < 0 || e.Size > in.cfg.SpoolBytes {
		return in.cfg.SpoolBytes
	}
	return max(e.Size, 1)
}

// mine reports whether this shard ingests input k.
func (in *ingester) mine(k key) bool { return in.mineID(runIDOf(in.cfg.Campaign, k)) }

// mineID reports whether this shard ingests the input of run_id id:
// shards split the run_ids, which are hashes, evenly.
func (in *ingester) mineID(id int64) bool {
	return in.cfg.Shards == 1 || int(uint64(id)%uint64(in.cfg.Shards)) == in.cfg.Shard
}

// noteSeen records an input this walk met; it reports false if the walk
// met it before.
func (in *ingester) noteSeen(k key) bool {
	h := hashOf([]string{string(k)})
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.seen[h] {
		return false
	}
	in.seen[h] = true
	return true
}

// met reports whether this walk met the input.
func (in *ingester) met(k key) bool {
	h := hashOf([]string{string(k)})
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.seen[h]
}

// walkedPart notes that a source was not read whole.
func (in *ingester) walkedPart(src string) {
	in.mu.Lock()
	in.partial[src] = true
	in.mu.Unlock()
}

// count adds a committed group's outcome to the summary.
func (in *ingester) count(g *group) {
	in.mu.Lock()
	defer in.mu.Unlock()
	s := in.sum
	s.Commits++
	s.Runs += int64(len(g.runs))
	s.Records += g.records
	s.Calls += g.calls
	s.Bytes += g.bytes
	for _, r := range g.runs {
		switch {
		case !r.kallsyms.ok && !r.systemMap.ok:
			s.Unsymbolized++
		case symbolize.MostlyUnresolved(r.unresolved, r.records):
			s.Unresolved++
			if len(s.UnresolvedPaths) < maxChangedPaths {
				s.UnresolvedPaths = append(s.UnresolvedPaths, string(keyOf(r.source, r.path)))
			}
		}
		if !r.named {
			s.Unnamed++
		}
	}
	for _, r := range g.rejects {
		s.Rejects++
		s.ByReason[r.reason]++
	}
	s.Replaced += int64(len(g.replaces))
	s.Inputs += int64(len(g.runs) + len(g.rejects))
}

func (in *ingester) countSkipped() {
	in.mu.Lock()
	in.sum.Skipped++
	in.sum.Inputs++
	in.mu.Unlock()
}

func (in *ingester) countChanged(k key) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.sum.Changed++
	in.sum.Inputs++
	if len(in.sum.ChangedPaths) < maxChangedPaths {
		in.sum.ChangedPaths = append(in.sum.ChangedPaths, string(k))
	}
}

func (in *ingester) countConcurrent(n int) {
	in.mu.Lock()
	in.sum.Concurrent += int64(n)
	in.sum.Inputs += int64(n)
	in.mu.Unlock()
}

func (in *ingester) warn(format string, args ...any) {
	in.mu.Lock()
	in.sum.Warnings = append(in.sum.Warnings, fmt.Sprintf(format, args...))
	in.mu.Unlock()
}
