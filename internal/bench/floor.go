package main

import (
	"io/fs"
	"time"

	"golang.org/x/sys/unix"
)

// readFloor is what the system charges to read a campaign's buffers
// one at a time, as an ingest of a directory does for each: lstat the
// file, open it, read it whole into reused memory, close it. It returns
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
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return 0, err
		}
		fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return 0, err
		}
		for {
			n, err := unix.Read(fd, buf)
			if err != nil {
				unix.Close(fd)
				return 0, &fs.PathError{Op: "read", Path: p, Err: err}
			}
			if n == 0 {
				break
			}
		}
		unix.Close(fd)
	}
	return time.Since(start).Seconds(), nil
}
