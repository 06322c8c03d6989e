package hugepages

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// advise allocates n bytes, advises the page-aligned part of them for
// huge pages and drops them.
func advise(n int, page uintptr) (lo, hi uintptr, err error) {
	b := make([]byte, n)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo = (p + page - 1) &^ (page - 1)
	hi = (p + uintptr(n)) &^ (page - 1)
	if lo >= hi {
		return 0, 0, nil
	}
	err = unix.Madvise(b[lo-p:hi-p], unix.MADV_HUGEPAGE)
	runtime.KeepAlive(b)
	return lo, hi, err
}
