package source

import (
	"bufio"
	"errors"
	"io"
)

// lineReader reads a manifest line by line, holding at most max bytes
// of a line: a longer one is skipped as it streams by and reported by
// its length only. A hostile line of 60 MiB then costs a scan, not 60
// MiB and its JSON decoding.
type lineReader struct {
	r   *bufio.Reader
	max int
	buf []byte
	off int64 // where the line next returned starts
	pos int64 // bytes read so far
}

func newLineReader(r io.Reader, max int64) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10), max: int(min(max, 1<<40))}
}

// errLongLine is next's answer for a line longer than max, which it
// skipped; reading can go on.
var errLongLine = errors.New("line too long")

// next returns the next line without its "\n" and its length. The line
// is valid until the next call. err is errLongLine for a line longer
// than max (then only n is set), io.EOF after the last line, or the
// read error.
func (l *lineReader) next() (line []byte, n int64, err error) {
	l.buf, l.off = l.buf[:0], l.pos
	long, newline := false, false
	for {
		chunk, err := l.r.ReadSlice('\n')
		n += int64(len(chunk))
		l.pos += int64(len(chunk))
		if !long && len(l.buf)+len(chunk) <= l.max+1 { // +1: the "\n"
			l.buf = append(l.buf, chunk...)
		} else {
			long, l.buf = true, l.buf[:0]
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil && (err != io.EOF || n == 0) {
			return nil, n, err
		}
		newline = err == nil // the line ends in "\n", not at the end of the input
		break
	}
	if newline {
		n--
		if !long {
			l.buf = l.buf[:len(l.buf)-1]
		}
	}
	if long || len(l.buf) > l.max {
		return nil, n, errLongLine
	}
	return l.buf, n, nil
}
