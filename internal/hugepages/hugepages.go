// Package hugepages asks the kernel for transparent huge pages for the
// heap an ingest grows into.
//
// Most of an ingest's system time is the kernel filling, 4 KiB at a
// time, the memory its workers touch for the first time: their
// columns, pages, chunks and dictionaries, some hundreds of MiB, about
// 9 µs a fault on a virtual machine. 2 MiB pages take a 500th of the
// faults and fewer TLB misses after. Linux gives them to every process
// in the "always" mode of /sys/kernel/mm/transparent_hugepage/enabled,
// but only to memory that asks (madvise(MADV_HUGEPAGE)) in the
// "madvise" mode, Ubuntu's default, and the Go runtime does not ask.
//
// Prefer asks for a range of the heap: it allocates n bytes, which the
// runtime maps fresh and does not touch, advises the huge-page-aligned
// part of it, and frees it. The advice belongs to the mapping and
// outlives the allocation (the runtime returns free memory with
// MADV_DONTNEED, which keeps it), and the runtime's page allocator
// hands out the lowest free addresses first, so what the workers
// allocate next lands in the advised range.
//
// It is a choice, not a default (kdf ingest --huge-pages). It takes
// most of the page faults away, which is most of what a short ingest
// pays beyond its records; on a long one that is a small share. An
// ingest held at its memory limit, where the runtime returns free
// memory all along, was slower with it in four of six alternated pairs
// of runs, faster in two (docs/SCALE.md).
package hugepages

import (
	"os"
	"runtime"
	"strconv"
	"strings"
)

const sysfs = "/sys/kernel/mm/transparent_hugepage/"

// Mode is the system's transparent huge page mode ("always", "madvise"
// or "never"), or "unknown" where the kernel does not say.
func Mode() string {
	b, err := os.ReadFile(sysfs + "enabled")
	if err != nil {
		return "unknown"
	}
	// The modes offered, the one in force in brackets.
	s := string(b)
	if i, j := strings.IndexByte(s, '['), strings.IndexByte(s, ']'); i >= 0 && j > i {
		return s[i+1 : j]
	}
	return "unknown"
}

// size is the huge page size of anonymous memory, 0 if unknown.
func size() uintptr {
	b, err := os.ReadFile(sysfs + "hpage_pmd_size")
	if err != nil {
		return 0
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n&(n-1) != 0 {
		return 0
	}
	return uintptr(n)
}

// Prefer asks for huge pages for the next n bytes of heap, where the
// system's mode gives them only on request; in the mode "always" there
// is nothing to ask, in "never" or where the kernel refuses nothing to
// get.
func Prefer(n int) {
	if Mode() != "madvise" {
		return
	}
	page := size()
	if page == 0 {
		return
	}
	if _, _, err := advise(n, page); err != nil {
		return
	}
	runtime.GC() // the n bytes are free again, before the ingest starts
}
