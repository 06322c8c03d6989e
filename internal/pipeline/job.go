package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/ingest/source"
)

// job is one input on its way to a worker: a buffer to ingest or a
// problem to record as a reject.
type job struct {
	entry *source.Entry
	// reason, when set, makes the job a reject; detail says why.
	reason ingest.Reason
	detail string

	open  func() (io.ReadCloser, error)
	data  []byte // an archive member held in memory
	spool string // an archive member copied to a temporary file
	sha   string // known when the content was read on the walker's side
	size  int64
}

// newJob turns a walker entry into a job, or nil for metadata files,
// which reach the runs through their buffers. It runs on the walker's
// goroutine.
func (in *ingester) newJob(ctx context.Context, e *source.Entry) (*job, error) {
	if !in.mine(e.Path) {
		return nil, nil
	}
	j := &job{entry: e, size: e.Size}
	switch {
	case e.Err != nil:
		in.recordAs(e)
		j.reason, j.detail = rejectOf(e.Err)
		return j, nil
	case e.Kind == source.KindOther:
		in.recordAs(e)
		j.reason, j.detail = ingest.ReasonNotABuffer, e.Reason
		if j.detail == "" {
			j.detail = "neither a kcov_dataflow buffer (by name or content) nor a kallsyms, System.map or manifest.jsonl"
		}
		return j, nil
	case e.Kind != source.KindBuffer:
		return nil, nil
	}
	in.recordAs(e)
	if !e.Streamed() {
		j.open = e.Open
		return j, nil
	}
	return j, in.materialize(ctx, j)
}

// recordAs sets the path the dataset records an entry under, unique in
// its source for this ingest, since the ledger holds one input per
// source and path. A problem with a source as a whole (a missing
// directory, an archive that is not a tar) is recorded as ".". A path
// met again (a manifest with several bad lines, an archive holding two
// members of one name, a link and a file of one name) gets "#2", "#3",
// ... in walk order, which is fixed, so a re-run finds each in the
// ledger. A file delivered from a directory, or a single-file source,
// has a name no other entry of its source has, and is not held.
func (in *ingester) recordAs(e *source.Entry) {
	if e.Path == "" {
		e.Path = "."
	}
	if e.Err == nil && e.Offset < 0 {
		return
	}
	k := [2]string{e.Source, e.Path}
	n, met := in.paths[k]
	for met {
		n++
		e.Path = fmt.Sprintf("%s#%d", k[1], n)
		_, met = in.paths[[2]string{e.Source, e.Path}]
	}
	in.paths[k] = max(n, 1) // the last suffix given to k's path
	if e.Path != k[1] {
		in.paths[[2]string{e.Source, e.Path}] = 1
	}
}

// rejectOf classifies a walker's problem.
func rejectOf(err error) (ingest.Reason, string) {
	var se *source.Error
	if errors.As(err, &se) && se.Reason != "" {
		return se.Reason, err.Error()
	}
	return ingest.ReasonUnreadable, err.Error()
}

// materialize reads a streamed archive member, which can only be read
// during the walk, into memory or a temporary file, hashing it on the
// way. A read error makes the job a reject.
func (in *ingester) materialize(ctx context.Context, j *job) error {
	r, err := j.entry.Open()
	if err != nil {
		j.reason, j.detail = rejectOf(err)
		return nil
	}
	defer r.Close()
	h := sha256.New()
	var w io.Writer = h
	var spool *os.File
	var mem bytes.Buffer
	if j.size > in.cfg.SpoolBytes {
		if spool, err = in.spoolFile(ctx); err != nil {
			return fmt.Errorf("spooling %s: %w", j.entry.Path, err)
		}
		w = io.MultiWriter(h, spool)
	} else {
		mem.Grow(int(max(j.size, 0)))
		w = io.MultiWriter(h, &mem)
	}
	n, err := io.Copy(w, r)
	j.size, j.sha = n, hex.EncodeToString(h.Sum(nil))
	if spool != nil {
		j.spool = spool.Name()
		if cerr := spool.Close(); err == nil && cerr != nil {
			return fmt.Errorf("spooling %s: %w", j.entry.Path, cerr)
		}
	} else {
		j.data = mem.Bytes()
	}
	if err != nil {
		// What was read is what the archive holds: decode it, the
		// accounting says how much is missing.
		j.detail = fmt.Sprintf("reading stopped after %d bytes: %v", n, err)
	}
	return nil
}

// spoolFile creates a temporary file for a large archive member in the
// dataset's _tmp, under a writer of the walk's own: should the process
// die, the next ingest's recovery removes what it spooled.
func (in *ingester) spoolFile(ctx context.Context) (*os.File, error) {
	if in.spool == nil {
		w, err := in.ds.NewWriter(ctx)
		if err != nil {
			return nil, err
		}
		in.spool = w
	}
	return in.spool.CreateTemp("spool-*")
}

// reader opens the job's content.
func (j *job) reader() (io.ReadCloser, error) {
	switch {
	case j.data != nil:
		return io.NopCloser(bytes.NewReader(j.data)), nil
	case j.spool != "":
		return os.Open(j.spool)
	case j.open != nil:
		return j.open()
	}
	return io.NopCloser(bytes.NewReader(nil)), nil
}

// content returns the job's bytes without copying them: held in memory,
// or the file mapped. The returned function releases a mapping.
func (j *job) content() ([]byte, func(), error) {
	if j.data != nil {
		return j.data, func() {}, nil
	}
	r, err := j.reader()
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	f, ok := r.(*os.File)
	if !ok {
		b, err := io.ReadAll(r)
		return b, func() {}, err
	}
	return mapFile(f)
}

// hash returns the content hash, reading the content once if needed.
func (j *job) hash() (string, error) {
	if j.sha != "" {
		return j.sha, nil
	}
	r, err := j.reader()
	if err != nil {
		return "", err
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return "", err
	}
	j.size, j.sha = n, hex.EncodeToString(h.Sum(nil))
	return j.sha, nil
}

func (j *job) release() {
	if j.spool != "" {
		os.Remove(j.spool)
	}
	j.data = nil
}

// estimateBytes sums the sizes of the sources, for the progress bar.
func estimateBytes(sources []string) int64 {
	var total int64
	for _, src := range sources {
		filepath.WalkDir(src, func(_ string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				if fi, err := d.Info(); err == nil {
					total += fi.Size()
				}
			}
			return nil
		})
	}
	return total
}
