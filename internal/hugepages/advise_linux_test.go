package hugepages

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The advised range is marked for huge pages in the process's mappings
// (VmFlags hg), and in a fresh process, as an ingest's is when it asks,
// memory allocated after the range is freed lands there and is backed
// by huge pages when touched. The fresh process is this test run again
// (TestAdviseFresh).
func TestAdvise(t *testing.T) {
	page := size()
	if page == 0 {
		t.Skip("the kernel has no transparent huge pages")
	}
	lo, hi, err := advise(64<<20, page)
	if errors.Is(err, unix.EINVAL) {
		t.Skipf("madvise(MADV_HUGEPAGE): %v", err)
	}
	if err != nil || hi-lo < 64<<20-2*page || lo%page != 0 || hi%page != 0 {
		t.Fatalf("advised [%#x, %#x): %v", lo, hi, err)
	}
	flags, _, err := mapping(lo)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(flags, "hg") {
		t.Errorf("the mapping at %#x has flags %v, without hg", lo, flags)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestAdviseFresh$", "-test.v")
	cmd.Env = append(os.Environ(), "KDF_HUGEPAGES_FRESH=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestAdviseFresh") {
		t.Errorf("in a fresh process: %v\n%s", err, out)
	}
}

// TestAdviseFresh is TestAdvise's fresh process.
func TestAdviseFresh(t *testing.T) {
	if os.Getenv("KDF_HUGEPAGES_FRESH") == "" {
		t.Skip("run by TestAdvise")
	}
	page := size()
	lo, hi, err := advise(64<<20, page)
	if err != nil {
		t.Fatal(err)
	}
	// The freed block's first huge page is not whole, so not advised:
	// the allocation may start there.
	runtime.GC()
	b := make([]byte, 8<<20)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if p < lo-page || p+uintptr(len(b)) > hi {
		t.Fatalf("8 MiB allocated after the advice at %#x, outside [%#x, %#x)", p, lo-page, hi)
	}
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	_, huge, err := mapping(lo)
	if err != nil {
		t.Fatal(err)
	}
	if huge == 0 {
		t.Errorf("8 MiB touched in the advised mapping, none of it in huge pages")
	}
	runtime.KeepAlive(b)
}

// mapping returns the VmFlags of the mapping holding addr and the KiB of
// it in huge pages (AnonHugePages), from /proc/self/smaps.
func mapping(addr uintptr) (flags []string, hugeKiB int, err error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var start, end uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x ", &start, &end); n == 2 {
			in = start <= addr && addr < end
			continue
		}
		if !in {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "AnonHugePages:"); ok {
			fmt.Sscanf(rest, "%d", &hugeKiB)
		}
		if rest, ok := strings.CutPrefix(line, "VmFlags:"); ok {
			return strings.Fields(rest), hugeKiB, nil
		}
	}
	return nil, 0, fmt.Errorf("no mapping holds %#x", addr)
}

func TestMode(t *testing.T) {
	if _, err := os.Stat(sysfs + "enabled"); err != nil {
		t.Skip("no transparent huge page settings")
	}
	if m := Mode(); !slices.Contains([]string{"always", "madvise", "never"}, m) {
		t.Errorf("Mode() = %q", m)
	}
}
