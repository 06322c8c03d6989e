package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/ingest/source"
)

// job is one input on its way to a worker: a buffer to ingest or a
// problem to record as a reject.
type job struct {
	entry   *source.Entry
	srcName string // the source's name in the dataset
	key     key    // the input's identity: srcName and the entry's path
	// was is what the dataset held of the input when it was decided
	// (wasHeld false: nothing): a group replaces that, or, if another
	// ingest commits the input meanwhile, drops it.
	was     heldInput
	wasHeld bool
	// reason, when set, makes the job a reject; detail says why.
	reason ingest.Reason
	detail string

	open  func() (io.ReadCloser, error)
	r     io.ReadCloser // opened ahead of reading (openInput)
	data  []byte        // an archive member held in memory
	spool string        // an archive member copied to a temporary file
	sha   string        // known when the content was read on the walker's side
	size  int64
	// queueWeight is what an archive member's job holds of the queue's
	// budget for members until a worker takes it.
	queueWeight int64
}

// newJob turns a walker entry into a job, or nil for metadata files,
// which reach the runs through their buffers. It runs on the walker's
// goroutine.
func (in *ingester) newJob(ctx context.Context, e *source.Entry) (*job, error) {
	if e.Err != nil && stopsWalk(e.Err) {
		in.walkedPart(in.sourceName(e.Source))
	}
	j := &job{entry: e, size: e.Size}
	switch {
	case e.Err != nil:
		j.reason, j.detail = rejectOf(e.Err)
	case e.Kind == source.KindOther:
		j.reason, j.detail = ingest.ReasonNotABuffer, e.Reason
		if j.detail == "" {
			j.detail = "neither a kcov_dataflow buffer (by name or content) nor a kallsyms, System.map or manifest.jsonl"
		}
	case e.Kind != source.KindBuffer:
		return nil, nil
	}
	// Every shard names every input alike, then takes its share.
	in.recordAs(e)
	j.srcName = in.sourceName(e.Source)
	j.key = keyOf(j.srcName, e.Path)
	if !in.mine(j.key) {
		return nil, nil
	}
	if !in.noteSeen(j.key) {
		return nil, nil // given twice (a source and a directory inside it): taken once
	}
	if j.reason != "" {
		return j, nil
	}
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

// sourceName is the name a source goes by in the dataset (source.Name),
// unique in this ingest: two sources of one name in one ingest (b/camp
// beside a/camp) would otherwise be one, so the second is "camp#2",
// the third "camp#3", in the order the walk meets them, which is fixed.
func (in *ingester) sourceName(given string) string {
	in.mu.Lock()
	defer in.mu.Unlock()
	if n, ok := in.names[given]; ok {
		return n
	}
	base := source.Name(given)
	name := base
	for k := 2; in.named[name]; k++ {
		name = fmt.Sprintf("%s#%d", base, k)
	}
	in.names[given], in.named[name] = name, true
	return name
}

// stopsWalk reports whether a walker's problem left part of its source
// unread: then the rejects the dataset holds for that source cannot be
// told stale by their absence from this walk.
func stopsWalk(err error) bool {
	var se *source.Error
	if !errors.As(err, &se) {
		return true
	}
	switch se.Reason {
	case ingest.ReasonUnreadable, ingest.ReasonTruncated, ingest.ReasonCorrupt, ingest.ReasonLimit:
		return true
	}
	return se.Path == "" || se.Path == "."
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
// during the walk, into memory (memberBuf) or a temporary file, and
// hashes it. A read error makes the job a reject.
func (in *ingester) materialize(ctx context.Context, j *job) error {
	r, err := j.entry.Open()
	if err != nil {
		j.reason, j.detail = rejectOf(err)
		return nil
	}
	defer r.Close()
	var n int64
	if j.size > in.cfg.SpoolBytes {
		var spool *os.File
		if spool, err = in.spoolFile(ctx); err != nil {
			return fmt.Errorf("spooling %s: %w", j.entry.Path, err)
		}
		h := sha256.New()
		n, err = io.Copy(io.MultiWriter(h, spool), r)
		j.spool, j.sha = spool.Name(), hex.EncodeToString(h.Sum(nil))
		if cerr := spool.Close(); err == nil && cerr != nil {
			return fmt.Errorf("spooling %s: %w", j.entry.Path, cerr)
		}
	} else {
		j.data, err = readMember(memberBuf(j.size), r)
		n = int64(len(j.data))
		j.hash(j.data)
	}
	j.size = n
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

// smallBytes is the size up to which an input file is read into the
// worker's reused buffer instead of being mapped: most buffers are small
// (one program's records), and mapping and unmapping each cost more than
// copying it.
const smallBytes = 1 << 20

// read returns the job's bytes, reading the input once: an archive
// member was read on the walker's side; a small file is read into buf,
// reused from input to input; a large one is mapped. release undoes a
// mapping; the bytes are valid until then, or until buf is reused.
func (j *job) read(buf *[]byte) (data []byte, release func(), err error) {
	if j.data != nil {
		return j.data, func() {}, nil
	}
	var f diskFile
	switch {
	case j.spool != "":
		f, err = os.Open(j.spool)
	case j.open != nil:
		r := j.r
		if j.r = nil; r == nil {
			r, err = j.open()
		}
		if err == nil {
			var ok bool
			if f, ok = r.(diskFile); !ok {
				defer r.Close()
				data, err = io.ReadAll(r)
				j.size = int64(len(data))
				return data, func() {}, err
			}
		}
	default:
		return nil, func() {}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	// The size the file had when opened (or the walk found), rather
	// than another stat: each system call counts for a small input. It
	// only guides: a file that changed since is read to its end, and
	// mapped once it is past smallBytes, so that one still being
	// written does not fill the heap.
	size := j.entry.Size
	mapped := func() ([]byte, func(), error) {
		data, release, err := mapFile(f)
		j.size = int64(len(data))
		return data, release, err
	}
	if size > smallBytes {
		return mapped()
	}
	b := slices.Grow((*buf)[:0], int(max(size, 0))+1)
	for {
		if len(b) > smallBytes {
			return mapped()
		}
		n, err := f.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if errors.Is(err, io.EOF) || err == nil && int64(len(b)) == size {
			// All the walk saw: a read more would find the end, or
			// bytes appended since, no different from bytes appended
			// just after it.
			break
		}
		if err != nil {
			return nil, nil, err
		}
		if len(b) == cap(b) { // the file grew since the walk
			b = slices.Grow(b, len(b))
		}
	}
	*buf = b
	j.size = int64(len(b))
	return b, func() {}, nil
}

// diskFile is an input file on disk: read, or mapped by its descriptor
// (an *os.File, or a directory source's *source.File).
type diskFile interface {
	io.ReadCloser
	Fd() uintptr
	Name() string
}

// hash returns the content hash of the job's bytes, computed once.
func (j *job) hash(data []byte) string {
	if j.sha == "" {
		sum := sha256.Sum256(data)
		j.sha = hex.EncodeToString(sum[:])
	}
	return j.sha
}

// openInput opens a file ahead of reading it and takes its size and
// modification time from the open file: the walk does not stat a
// directory's buffers, and these decide whether a held input changed.
// Archive members are read by other means.
func (j *job) openInput() error {
	if j.r != nil || j.open == nil || j.data != nil || j.spool != "" {
		return nil
	}
	r, err := j.open()
	if err != nil {
		return err
	}
	j.r = r
	if s, ok := r.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := s.Stat(); err == nil {
			e := j.entry
			e.Size, e.ModTime, e.Mode = fi.Size(), fi.ModTime(), fi.Mode()
		}
	}
	return nil
}

func (j *job) release() {
	if j.r != nil {
		j.r.Close()
		j.r = nil
	}
	if j.spool != "" {
		os.Remove(j.spool)
	}
	if b := j.data; b != nil {
		memberBufs.Put(&b)
		j.data = nil
	}
}

// memberBufs recycles the memory of archive members read into memory,
// from a job's release to the next member read: an archive of small
// buffers otherwise allocated each member anew, which the collector
// then had to find and free.
var memberBufs sync.Pool // of *[]byte, empty

// memberBuf returns an empty slice with room for size bytes and the
// read that finds the end.
func memberBuf(size int64) []byte {
	size = max(size, 0) + 1
	if p, ok := memberBufs.Get().(*[]byte); ok && int64(cap(*p)) >= size {
		return (*p)[:0]
	}
	return make([]byte, 0, size)
}

// readMember appends r's bytes to b up to the end or an error.
func readMember(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = slices.Grow(b, max(len(b), 512))
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// estimateBytes sums the sizes of the sources, for the progress bar.
// It runs beside the ingest, so it holds no directory's listing whole
// and stats a sample of a large directory's files: a boot directory of
// a million buffers cost a million lstat calls, and as many entries
// held at once, for a guide that need not be exact. Directory entries
// come in the file system's order, not by name, so every estStride-th
// buffer past the first estExact stands for the buffers around it; other
// files (a manifest, a kallsyms) are all stat'ed.
func estimateBytes(sources []string, suffixes []string) int64 {
	var total int64
	for _, src := range sources {
		fi, err := os.Lstat(src)
		switch {
		case err != nil:
		case fi.IsDir():
			total += estimateDir(src, suffixes)
		case fi.Mode().IsRegular():
			total += fi.Size()
		}
	}
	return total
}

const (
	estExact  = 4096
	estStride = 64
)

func estimateDir(dir string, suffixes []string) int64 {
	f, err := os.Open(dir)
	if err != nil {
		return 0
	}
	defer f.Close()
	var total int64
	var files int
	for {
		ents, err := f.ReadDir(1024)
		for _, de := range ents {
			t := de.Type()
			switch {
			case t.IsDir():
				total += estimateDir(filepath.Join(dir, de.Name()), suffixes)
			case t.IsRegular():
				n, weight := files, int64(1)
				files++
				if n >= estExact && source.BufferName(de.Name(), suffixes) {
					if (n-estExact)%estStride != 0 {
						continue
					}
					weight = estStride
				}
				if fi, err := de.Info(); err == nil {
					total += weight * fi.Size()
				}
			}
		}
		if err != nil {
			return total
		}
	}
}
