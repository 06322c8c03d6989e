package pipeline

import (
	"fmt"
	"io"
	"io/fs"

	"golang.org/x/sys/unix"
)

// mapFile maps a file read-only, so the decoder reads its words in place
// instead of copying them through a read buffer. An empty file, or one
// that cannot be mapped, is read instead.
func mapFile(f diskFile) ([]byte, func(), error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return nil, nil, &fs.PathError{Op: "stat", Path: f.Name(), Err: err}
	}
	size := st.Size
	if size == 0 || size != int64(int(size)) {
		b, err := io.ReadAll(f)
		return b, func() {}, err
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_PRIVATE)
	if err != nil {
		b, rerr := io.ReadAll(f)
		if rerr != nil {
			return nil, nil, fmt.Errorf("mapping %s: %v; reading it: %w", f.Name(), err, rerr)
		}
		return b, func() {}, nil
	}
	return data, func() { unix.Munmap(data) }, nil
}
