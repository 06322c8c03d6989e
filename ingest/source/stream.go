package source

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// errLimit is returned by a stream that reached Options.MaxArchiveBytes.
var errLimit = errors.New("decompressed size limit reached")

// stream is one pass over an archive: the file, an optional
// decompressor, and the tar reader on top. It counts bytes on both sides
// of the decompressor so problems can be positioned: Offset is exact in
// the tar stream, the compressed position is approximate (decompressors
// read ahead).
type stream struct {
	file   *os.File
	format format
	raw    *counter // compressed bytes taken from the file
	data   *counter // bytes given to the tar reader
	dec    io.Closer
	tr     *tar.Reader
	size   int64 // the file's size, -1 if unknown
}

func (w *walker) openStream(src string, f format) (*stream, error) {
	file, err := os.Open(src)
	if err != nil {
		return nil, err
	}
	s := &stream{file: file, format: f, raw: &counter{r: file, max: -1}, size: -1}
	if fi, err := file.Stat(); err == nil {
		s.size = fi.Size()
	}
	if w.meter != nil {
		s.raw.moved = w.meter.pass(s.size)
	}
	var r io.Reader
	switch f {
	case formatTar:
		// No decompression: the tar reader may seek over member data,
		// so pass 1 reads only headers and metadata.
		r = &seekCounter{counter: s.raw, f: file}
	case formatGzip:
		zr, err := w.decoders.gzip(s.raw)
		if err != nil {
			file.Close()
			return nil, fmt.Errorf("not a gzip stream: %w", err)
		}
		s.dec, r = zr, zr
	case formatZstd:
		rc, err := w.decoders.zstd(s.raw, w.opt.MaxWindowBytes)
		if err != nil {
			file.Close()
			return nil, err
		}
		s.dec, r = rc, rc
	}
	if f == formatTar {
		s.data = s.raw
		s.tr = tar.NewReader(r)
		return s, nil
	}
	s.data = &counter{r: r, max: w.opt.MaxArchiveBytes}
	s.tr = tar.NewReader(s.data)
	return s, nil
}

// decoders keeps one decompressor of each format for the walk's
// archives, one stream at a time: a zstd decoder allocates its window's
// history on first use, and 2,000 small archives, each decoded twice
// with a decoder of its own, allocated 9 GB of them, which the
// collector then spent a sixth of the ingest's CPU on. A stream opened
// while another holds the decoder gets one of its own.
type decoders struct {
	zstdDec          *zstd.Decoder
	gzipDec          *gzip.Reader
	zstdUsed, gzUsed bool
}

// zstd decodes r synchronously (the caller's workers own the cores)
// with a capped window: a frame may ask for a window of up to 3.75 TB,
// and the decoder would allocate it.
func (d *decoders) zstd(r io.Reader, maxWindow int64) (io.ReadCloser, error) {
	if d.zstdUsed {
		zr, err := zstd.NewReader(r, zstdOptions(maxWindow)...)
		if err != nil {
			return nil, err
		}
		return zr.IOReadCloser(), nil
	}
	if d.zstdDec == nil {
		zr, err := zstd.NewReader(nil, zstdOptions(maxWindow)...)
		if err != nil {
			return nil, err
		}
		d.zstdDec = zr
	}
	if err := d.zstdDec.Reset(r); err != nil {
		return nil, err
	}
	d.zstdUsed = true
	return &lent{Reader: d.zstdDec, done: func() {
		d.zstdDec.Reset(nil) // lets go of the stream
		d.zstdUsed = false
	}}, nil
}

func zstdOptions(maxWindow int64) []zstd.DOption {
	return []zstd.DOption{
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(uint64(maxWindow)),
		zstd.WithDecoderMaxMemory(uint64(maxWindow)),
	}
}

// gzip starts decompressing r, reading its header.
func (d *decoders) gzip(r io.Reader) (io.ReadCloser, error) {
	if d.gzUsed {
		return gzip.NewReader(r)
	}
	if d.gzipDec == nil {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, err
		}
		d.gzipDec = zr
	} else if err := d.gzipDec.Reset(r); err != nil {
		return nil, err
	}
	d.gzUsed = true
	return &lent{Reader: d.gzipDec, done: func() { d.gzUsed = false }}, nil
}

func (d *decoders) close() {
	if d.zstdDec != nil {
		d.zstdDec.Close()
	}
}

// lent is a decoder lent to one stream until it is closed.
type lent struct {
	io.Reader
	done func()
}

func (l *lent) Close() error {
	if l.done != nil {
		l.done()
		l.done = nil
	}
	return nil
}

func (s *stream) Close() {
	if s.dec != nil {
		s.dec.Close()
	}
	s.file.Close()
}

// offset is the position in the tar stream.
func (s *stream) offset() int64 { return s.data.n }

// end is offset clamped to the file's size: in a plain tar the reader
// seeks over member data, and a seek may go past the end of a truncated
// file before the read after it finds out.
func (s *stream) end() int64 {
	if s.format == formatTar && s.size >= 0 {
		return min(s.data.n, s.size)
	}
	return s.data.n
}

// where describes a position for a message.
func (s *stream) where() string {
	if s.format == formatTar {
		return fmt.Sprintf("offset %d", s.end())
	}
	return fmt.Sprintf("tar offset %d, near byte %d of the %s stream", s.data.n, s.raw.n, s.format)
}

// counter counts the bytes read through it and, when max >= 0, fails
// with errLimit once more than max bytes were asked for. moved, when
// set, is told each position reached.
type counter struct {
	r     io.Reader
	n     int64
	max   int64
	moved func(pos int64)
}

func (c *counter) Read(p []byte) (int, error) {
	if c.max >= 0 {
		if c.n > c.max {
			return 0, errLimit
		}
		if rest := c.max - c.n + 1; int64(len(p)) > rest {
			p = p[:rest]
		}
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.moved != nil {
		c.moved(c.n)
	}
	if c.max >= 0 && c.n > c.max && err == nil {
		err = errLimit
	}
	return n, err
}

// seekCounter lets the tar reader seek over member data in a plain tar
// while keeping the count right.
type seekCounter struct {
	*counter
	f *os.File
}

func (s *seekCounter) Seek(off int64, whence int) (int64, error) {
	pos, err := s.f.Seek(off, whence)
	if err == nil {
		s.n = pos
		if s.moved != nil {
			s.moved(pos)
		}
	}
	return pos, err
}

// readMeter counts one archive's file into Options.ArchiveRead: half
// of the way each of its passes gets, then, when it is done, the rest
// of its size.
type readMeter struct {
	sum     *atomic.Int64
	counted int64
}

// pass returns the counter's callback for a pass over a file of size
// bytes (-1 if unknown).
func (m *readMeter) pass(size int64) func(pos int64) {
	var at int64
	return func(pos int64) {
		if size >= 0 {
			pos = min(pos, size) // a seek may pass the end of a truncated file
		}
		if pos > at {
			d := pos/2 - at/2
			m.sum.Add(d)
			m.counted += d
			at = pos
		}
	}
}

// done counts the rest of the archive's size, read or not: an archive
// that ended early is as done as one read whole.
func (m *readMeter) done(src string) {
	if fi, err := os.Stat(src); err == nil && fi.Size() > m.counted {
		m.sum.Add(fi.Size() - m.counted)
	}
}

// liveReader is a streamed member's content. It refuses reads once its
// callback has returned: an archive member is a window on the stream,
// and reading it later would read some other member's bytes.
type liveReader struct {
	r    io.Reader
	live *bool
	left int64 // bytes of the member not yet read
}

var errStale = errors.New("archive member read after its callback returned: read streamed entries inside the callback")

func (l *liveReader) Read(p []byte) (int, error) {
	if !*l.live {
		return 0, errStale
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left <= 0 && err != nil {
		// The member is complete. A decompressor can return the stream's
		// damage with the last bytes before it; that damage lies after
		// this member and is reported after it, as pass 1 saw it.
		err = io.EOF
	}
	return n, err
}
