package pipeline

import (
	"cmp"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/kdf-tools/kdf/schema/dataset"
	"github.com/kdf-tools/kdf/schema/part"
)

// key is an input's identity within its campaign: its source's name and
// its path in that source, joined. Identical content at another path is
// another run. A source named for its key=value directories (see
// source.Name) and the same files given through a subdirectory of it
// name each file alike: campaign + arm=a/trial=1/p.kcdf and
// campaign/arm=a/trial=1 + p.kcdf.
type key string

func keyOf(source, path string) key { return key(source + "/" + path) }

// heldInput is what the dataset holds for one input: a run, or a reject.
type heldInput struct {
	run        bool
	sha        digest // zero for a reject whose content could not be read
	bytes      int64
	mtimeNS    int64 // -1 when unknown
	symbolized bool  // a run that some symbol table symbolized
	typed      bool  // a run that some type source was applied to
	reason     string
	detail     string
	commit     int64 // the commit whose parts hold the input's rows
}

// digest is the first 8 bytes of a content hash: enough to tell content
// that changed (a false match is one chance in 2^64), in a quarter of
// the memory of the whole hash, held for every run of a campaign.
type digest [8]byte

// digestOf reads a hex content hash; "" is the zero digest.
func digestOf(sha256 string) digest {
	var d digest
	if len(sha256) >= 16 {
		hex.Decode(d[:], []byte(sha256[:16]))
	}
	return d
}

// heldRun is a run as holdings keep it. Runs are known by run_id, the
// hash of their key, so the scan of the runs parts reads no path.
type heldRun struct {
	sha        digest
	bytes      int64
	mtimeNS    int64
	commit     int64
	symbolized bool
	typed      bool
	gone       bool // a tombstone: the run's rows were removed
}

// runTable holds a campaign's runs: as slices sorted by run_id (48
// bytes a run: a campaign of 10^8 runs in 4.8 GB on one host, a tenth
// of it on each of ten shards), and what changed since they were last
// sorted, in a map. The map is merged into the slices whenever it holds
// a quarter as many runs as they do (and at least mergeRuns): a map
// takes about 90 bytes a run, and an ingest of a million new inputs put
// every one of them there.
type runTable struct {
	ids    []int64 // sorted
	base   []heldRun
	recent map[int64]heldRun
	sealed bool // loaded: base is sorted, and merges can begin
	// mergeRuns is the least size of recent that is merged; tests
	// lower it.
	mergeRuns int
}

const defaultMergeRuns = 1 << 16

func (t *runTable) get(id int64) (heldRun, bool) {
	if r, ok := t.recent[id]; ok {
		return r, !r.gone
	}
	if i, ok := slices.BinarySearch(t.ids, id); ok {
		return t.base[i], true
	}
	return heldRun{}, false
}

// put notes what holds of a run now: it replaces whatever the table
// had of it, and a tombstone (gone) removes it.
func (t *runTable) put(id int64, r heldRun) {
	t.recent[id] = r
	if t.sealed && len(t.recent) >= max(cmp.Or(t.mergeRuns, defaultMergeRuns), len(t.ids)/4) {
		t.merge()
	}
}

// merge folds recent into the sorted slices, in one pass over both.
func (t *runTable) merge() {
	news := make([]int64, 0, len(t.recent))
	for id := range t.recent {
		news = append(news, id)
	}
	slices.Sort(news)
	ids, base := make([]int64, 0, len(t.ids)+len(news)), make([]heldRun, 0, len(t.ids)+len(news))
	i := 0
	for _, id := range news {
		for ; i < len(t.ids) && t.ids[i] < id; i++ {
			ids, base = append(ids, t.ids[i]), append(base, t.base[i])
		}
		if i < len(t.ids) && t.ids[i] == id {
			i++ // replaced
		}
		if r := t.recent[id]; !r.gone {
			ids, base = append(ids, id), append(base, r)
		}
	}
	ids, base = append(ids, t.ids[i:]...), append(base, t.base[i:]...)
	t.ids, t.base, t.recent = ids, base, map[int64]heldRun{}
}

// add appends a run read while loading, unsorted; seal sorts them.
func (t *runTable) add(id int64, r heldRun) {
	t.ids = append(t.ids, id)
	t.base = append(t.base, r)
}

// seal sorts what was added and merges what changed since into the
// sorted slice: for a run_id read twice (its rows were moved by a later
// commit), the later commit's.
func (t *runTable) seal() {
	for id, r := range t.recent {
		t.add(id, r)
	}
	idx := make([]int32, len(t.ids))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int {
		return cmp.Or(cmp.Compare(t.ids[a], t.ids[b]), cmp.Compare(t.base[a].commit, t.base[b].commit), cmp.Compare(a, b))
	})
	ids, base := make([]int64, 0, len(idx)), make([]heldRun, 0, len(idx))
	for n, i := range idx {
		if n+1 < len(idx) && t.ids[idx[n+1]] == t.ids[i] {
			continue // a later one says what holds
		}
		if !t.base[i].gone {
			ids, base = append(ids, t.ids[i]), append(base, t.base[i])
		}
	}
	t.ids, t.base, t.recent, t.sealed = ids, base, map[int64]heldRun{}, true
}

// funcKey identifies a functions row (one function of one symbol
// table): every ingest reads its campaign's functions table into a set
// of them.
type funcKey = hash128

func funcKeyOf(symbols, name string, addr uint64) funcKey {
	return hashOf([]string{symbols, name}, addr)
}

// hash128 is two independently seeded 64-bit hashes of some strings and
// words. The sets that grow with a campaign (the functions it holds, the
// inputs a walk met) keep it, 16 bytes, where the strings took some
// hundred.
type hash128 [2]uint64

var hashSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

func hashOf(strs []string, words ...uint64) hash128 {
	var k hash128
	var word [8]byte
	for i, seed := range hashSeeds {
		var h maphash.Hash
		h.SetSeed(seed)
		for _, s := range strs { // each after its length, so that no two lists write the same bytes
			binary.LittleEndian.PutUint64(word[:], uint64(len(s)))
			h.Write(word[:])
			h.WriteString(s)
		}
		for _, w := range words {
			binary.LittleEndian.PutUint64(word[:], w)
			h.Write(word[:])
		}
		k[i] = h.Sum64()
	}
	return k
}

// holdings is what the dataset holds of one campaign, read from its runs,
// rejects and functions parts (the directory is the truth), then kept up
// to date with the parts other writers commit meanwhile. Its methods are
// safe for concurrent use.
type holdings struct {
	campaign string
	mine     func(runID int64) bool // this shard's inputs; others are not kept

	mu       sync.Mutex
	loading  bool // until seal: runs read are appended, not looked up
	runs     runTable
	rejects  map[key]heldInput // few: kept whole
	funcs    map[funcKey]bool
	absorbed map[string]bool // parts read, by path
}

func newHoldings(campaign string, mine func(int64) bool) *holdings {
	return &holdings{campaign: campaign, mine: mine, loading: true, runs: runTable{recent: map[int64]heldRun{}}, rejects: map[key]heldInput{},
		funcs: map[funcKey]bool{}, absorbed: map[string]bool{}}
}

// seal packs what was read: the runs in their sorted slice.
func (h *holdings) seal() {
	h.mu.Lock()
	h.runs.seal()
	h.loading = false
	h.mu.Unlock()
}

// absorb reads the parts not read yet, of this campaign: later commits
// override what earlier ones said of an input.
func (h *holdings) absorb(parts []dataset.Part) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range parts {
		if p.Campaign != h.campaign || h.absorbed[p.Path] {
			continue
		}
		var err error
		switch p.Table {
		case "runs":
			err = h.scanRuns(p)
		case "rejects":
			err = h.scanRejects(p)
		case "functions":
			err = h.scanFunctions(p)
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w (move the part aside and run kdf check on the dataset)", p.Path, err)
		}
		h.absorbed[p.Path] = true
	}
	return nil
}

func scanPart(p dataset.Part, cols []string, fn func(part.Row) error) error {
	return part.WithFile(p.Path, func(f io.ReaderAt, size int64) error {
		return part.Scan(f, size, cols, fn)
	})
}

func (h *holdings) scanRuns(p dataset.Part) error {
	cols := []string{"run_id", "sha256", "bytes", "mtime_ns", "kallsyms", "system_map", "type_source"}
	return scanPart(p, cols, func(r part.Row) error {
		id := r.Int64("run_id")
		if !h.mine(id) {
			return nil
		}
		run := heldRun{sha: digestOf(r.String("sha256")), bytes: r.Int64("bytes"), mtimeNS: -1, commit: p.Commit,
			symbolized: !r.Null("kallsyms") || !r.Null("system_map"), typed: !r.Null("type_source")}
		if !r.Null("mtime_ns") {
			run.mtimeNS = r.Int64("mtime_ns")
		}
		if h.loading {
			h.runs.add(id, run) // sorted, and the latest kept, by seal
		} else if old, ok := h.runs.get(id); !ok || old.commit <= p.Commit {
			h.runs.put(id, run)
		}
		return nil
	})
}

func (h *holdings) scanRejects(p dataset.Part) error {
	cols := []string{"source", "path", "sha256", "bytes", "reason", "detail"}
	return scanPart(p, cols, func(r part.Row) error {
		k := keyOf(r.String("source"), r.String("path"))
		if !h.mine(runIDOf(h.campaign, k)) {
			return nil
		}
		if old, ok := h.rejects[k]; ok && old.commit > p.Commit {
			return nil
		}
		h.rejects[k] = heldInput{sha: digestOf(r.String("sha256")), bytes: r.Int64("bytes"), mtimeNS: -1,
			reason: r.String("reason"), detail: r.String("detail"), commit: p.Commit}
		return nil
	})
}

func (h *holdings) scanFunctions(p dataset.Part) error {
	return scanPart(p, []string{"symbols", "func", "addr"}, func(r part.Row) error {
		h.funcs[funcKeyOf(r.String("symbols"), r.String("func"), uint64(r.Int64("addr")))] = true
		return nil
	})
}

// lookup returns what the dataset holds for an input: its run, or
// else its reject, whichever a later commit holds when both are there.
func (h *holdings) lookup(k key) (heldInput, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	run, isRun := h.runs.get(runIDOf(h.campaign, k))
	rej, isRej := h.rejects[k]
	switch {
	case isRun && (!isRej || run.commit >= rej.commit):
		return heldInput{run: true, sha: run.sha, bytes: run.bytes, mtimeNS: run.mtimeNS,
			symbolized: run.symbolized, typed: run.typed, commit: run.commit}, true
	case isRej:
		return rej, true
	}
	return heldInput{}, false
}

// under returns the rejects held under the given sources: whose keys
// start with one of their names.
func (h *holdings) under(sources []string) map[key]heldInput {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[key]heldInput{}
	for k, in := range h.rejects {
		for _, s := range sources {
			if strings.HasPrefix(string(k), s+"/") {
				out[k] = in
				break
			}
		}
	}
	return out
}

// newFuncs returns the rows not in the dataset yet, and records them as
// in it: the caller commits them, under the ledger lock.
func (h *holdings) newFuncs(rows []functionRow) []functionRow {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []functionRow
	for _, r := range rows {
		k := funcKeyOf(r.symbols, r.name, r.addr)
		if !h.funcs[k] {
			h.funcs[k] = true
			out = append(out, r)
		}
	}
	return out
}

// forget drops function rows recorded by newFuncs for a commit that did
// not happen.
func (h *holdings) forget(rows []functionRow) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range rows {
		delete(h.funcs, funcKeyOf(r.symbols, r.name, r.addr))
	}
}

// record notes what a commit of this ingest put in the dataset.
func (h *holdings) record(commit int64, inputs map[key]heldInput) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, in := range inputs {
		id := runIDOf(h.campaign, k)
		if in.run {
			h.runs.put(id, heldRun{sha: in.sha, bytes: in.bytes, mtimeNS: in.mtimeNS, commit: commit,
				symbolized: in.symbolized, typed: in.typed})
			delete(h.rejects, k)
		} else {
			in.commit = commit
			h.rejects[k] = in
			h.runs.put(id, heldRun{gone: true})
		}
	}
}

// drop forgets inputs whose rows a commit removed.
func (h *holdings) drop(keys []key) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range keys {
		delete(h.rejects, k)
		h.runs.put(runIDOf(h.campaign, k), heldRun{gone: true})
	}
}
