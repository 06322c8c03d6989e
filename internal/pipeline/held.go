package pipeline

import (
	"fmt"
	"os"
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
	sha256     string // "" for a reject whose content could not be read
	bytes      int64
	mtimeNS    int64 // -1 when unknown
	symbolized bool  // a run that some symbol table symbolized
	typed      bool  // a run that some type source was applied to
	reason     string
	detail     string
	commit     int64 // the commit whose parts hold the input's rows
}

// funcKey identifies a functions row: one function of one symbol table.
type funcKey struct {
	symbols, name string
	addr          uint64
}

// holdings is what the dataset holds of one campaign, read from its runs,
// rejects and functions parts (the directory is the truth), then kept up
// to date with the parts other writers commit meanwhile. Its methods are
// safe for concurrent use.
type holdings struct {
	campaign string
	mine     func(path string) bool // this shard's inputs; others are not kept

	mu       sync.Mutex
	inputs   map[key]heldInput
	funcs    map[funcKey]bool
	absorbed map[string]bool // parts read, by path
}

func newHoldings(campaign string, mine func(string) bool) *holdings {
	return &holdings{campaign: campaign, mine: mine, inputs: map[key]heldInput{}, funcs: map[funcKey]bool{}, absorbed: map[string]bool{}}
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
	f, err := os.Open(p.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return part.Scan(f, fi.Size(), cols, fn)
}

func (h *holdings) scanRuns(p dataset.Part) error {
	cols := []string{"source", "path", "sha256", "bytes", "mtime_ns", "kallsyms", "system_map", "type_source"}
	return scanPart(p, cols, func(r part.Row) error {
		if !h.mine(r.String("path")) {
			return nil
		}
		k := keyOf(r.String("source"), r.String("path"))
		in := heldInput{run: true, sha256: r.String("sha256"), bytes: r.Int64("bytes"), mtimeNS: -1,
			symbolized: !r.Null("kallsyms") || !r.Null("system_map"), typed: !r.Null("type_source"), commit: p.Commit}
		if !r.Null("mtime_ns") {
			in.mtimeNS = r.Int64("mtime_ns")
		}
		h.set(k, in)
		return nil
	})
}

func (h *holdings) scanRejects(p dataset.Part) error {
	cols := []string{"source", "path", "sha256", "bytes", "reason", "detail"}
	return scanPart(p, cols, func(r part.Row) error {
		if !h.mine(r.String("path")) {
			return nil
		}
		h.set(keyOf(r.String("source"), r.String("path")), heldInput{sha256: r.String("sha256"), bytes: r.Int64("bytes"), mtimeNS: -1,
			reason: r.String("reason"), detail: r.String("detail"), commit: p.Commit})
		return nil
	})
}

// set records what a part says of an input, unless a later commit said
// otherwise already.
func (h *holdings) set(k key, in heldInput) {
	if old, ok := h.inputs[k]; ok && old.commit > in.commit {
		return
	}
	h.inputs[k] = in
}

func (h *holdings) scanFunctions(p dataset.Part) error {
	return scanPart(p, []string{"symbols", "func", "addr"}, func(r part.Row) error {
		h.funcs[funcKey{r.String("symbols"), r.String("func"), uint64(r.Int64("addr"))}] = true
		return nil
	})
}

// lookup returns what the dataset holds for an input.
func (h *holdings) lookup(k key) (heldInput, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	in, ok := h.inputs[k]
	return in, ok
}

// under returns the inputs held under the given sources: whose keys
// start with one of their names.
func (h *holdings) under(sources []string) map[key]heldInput {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[key]heldInput{}
	for k, in := range h.inputs {
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
		k := funcKey{r.symbols, r.name, r.addr}
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
		delete(h.funcs, funcKey{r.symbols, r.name, r.addr})
	}
}

// record notes what a commit of this ingest put in the dataset.
func (h *holdings) record(commit int64, inputs map[key]heldInput) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, in := range inputs {
		in.commit = commit
		h.inputs[k] = in
	}
}

// drop forgets inputs whose rows a commit removed.
func (h *holdings) drop(keys []key) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range keys {
		delete(h.inputs, k)
	}
}
