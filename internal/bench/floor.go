package main

import (
	"io/fs"
	"time"

	"golang.org/x/sys/unix"
)

// readFloor is what the system charges to read a campaign's buffers
// one at a time, as an ingest of a directory does for each: open the
// file, stat it, read it whole into reused memory, close it. It returns
// the seconds that took on one core, the files in the page cache as the
// ingest just before left them. For small buffers, this is the part of
// the per-input overhead that is the kernel's, not kdf's.
func readFloor(campaign string) (float64, error) {
	files, err := bufferFiles(campaign)
	if err != nil {
		return 0, err
	}
	buf := make([]byte, 1<<20)
	start := time.Now()
	for _, p := range files {
		fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOFOLLOW, 0)
		if err != nil {
			return 0, &fs.PathError{Op: "open", Path: p, Err: err}
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return 0, &fs.PathError{Op: "stat", Path: p, Err: err}
		}
		// As an ingest does: the stat's size read, no read more to see
		// the end.
		for left := st.Size; left > 0; {
			n, err := unix.Read(fd, buf[:min(left, int64(len(buf)))])
			if err != nil {
				unix.Close(fd)
				return 0, &fs.PathError{Op: "read", Path: p, Err: err}
			}
			if n == 0 {
				break
			}
			left -= int64(n)
		}
		unix.Close(fd)
	}
	return time.Since(start).Seconds(), nil
}
