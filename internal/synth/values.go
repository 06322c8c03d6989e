package synth

import (
	"fmt"
	"math/rand/v2"
	"strconv"
)

// domain is a family of realistic values for one argument or field.
type domain uint8

const (
	domSmall  domain = iota // small counts and indices
	domConst                // a fixed value (kN)
	domLocal                // the caller's stack frame
	domZero                 // almost always 0
	domBool                 // 0 or 1
	domAny                  // any 64-bit value
	domFD                   // file descriptors
	domAtFD                 // AT_FDCWD or a descriptor
	domSize                 // byte counts
	domUptr                 // user-space pointers (syzkaller's data area)
	domKptr                 // kernel heap pointers
	domStack                // kernel stack pointers
	domFlags                // bit masks
	domOFlags               // open(2) flags
	domFMode                // fmode_t / mode bits
	domPos                  // file positions
	domPid                  // process ids
	domGFP                  // gfp_t
	domIoctl                // ioctl commands
	domStr                  // the first 8 bytes of a printk format string
	domPLen                 // printk's returned lengths
	numDomains
)

var domainNames = map[string]domain{
	"small": domSmall, "local": domLocal, "zero": domZero, "bool": domBool,
	"any": domAny, "fd": domFD, "atfd": domAtFD, "size": domSize,
	"uptr": domUptr, "kptr": domKptr, "kstack": domStack, "flags": domFlags,
	"oflags": domOFlags, "fmode": domFMode, "pos": domPos, "pid": domPid,
	"gfp": domGFP, "ioctl": domIoctl, "str": domStr, "plen": domPLen,
}

// genKind says where a value comes from.
type genKind uint8

const (
	genDomain genKind = iota // drawn from dom
	genConst                 // the constant c
	genLocal                 // a pointer into the caller's frame
	genArg                   // the caller's argument n (own argument n, for returns)
	genField                 // the caller's argument n, field m
	genSum                   // returns: the sum of the own arguments and fields
	genChild                 // returns: the last value-returning callee's return
)

type valueGen struct {
	kind genKind
	dom  domain
	n, m int8
	c    uint64
}

func parseDomain(s string) (domain, uint64, error) {
	if len(s) > 1 && s[0] == 'k' && (s[1] == '-' || s[1] >= '0' && s[1] <= '9') {
		v, err := strconv.ParseInt(s[1:], 0, 64)
		if err != nil {
			u, uerr := strconv.ParseUint(s[1:], 0, 64)
			if uerr != nil {
				return 0, 0, fmt.Errorf("constant %q", s)
			}
			return domConst, u, nil
		}
		return domConst, uint64(v), nil
	}
	d, ok := domainNames[s]
	if !ok {
		return 0, 0, fmt.Errorf("unknown domain %q", s)
	}
	return d, 0, nil
}

// Commands the ioctl domain draws from, with syzkaller's names.
var ioctlCmds = []struct {
	cmd  uint64
	name string
}{
	{0xc0046209, "BINDER_VERSION"}, {0x40046205, "BINDER_SET_MAX_THREADS"},
	{0xc0306201, "BINDER_WRITE_READ"}, {0x40046207, "BINDER_SET_CONTEXT_MGR"},
	{0x5401, "TCGETS"}, {0x5402, "TCSETS"}, {0x541b, "FIONREAD"},
	{0x8912, "SIOCGIFCONF"}, {0x5421, "FIONBIO"},
}

// printk format strings as the hook reads them: 8 bytes at the pointer,
// KERN_SOH and the level first (0x6f635f6966663601 is "\x016ffi_co").
var printkWords = []uint64{
	0x6f635f6966663601, 0x6f635f6966663301, 0x6e69623a72656401,
	0x203a7974743a3401, 0x7265766972643601, 0x6f6e206b73696401,
}

var sizes = []uint64{0, 1, 4, 8, 16, 24, 64, 128, 256, 512, 4096, 8192}

// draw returns a value of the domain; signed values come back as their
// 64-bit two's complement and are truncated by the caller.
func draw(rng *rand.Rand, d domain) uint64 {
	switch d {
	case domZero:
		if rng.IntN(16) == 0 {
			return uint64(rng.IntN(4))
		}
		return 0
	case domBool:
		return uint64(rng.IntN(2))
	case domAny:
		return rng.Uint64()
	case domFD:
		if rng.IntN(40) == 0 {
			return ^uint64(0) // -1
		}
		return 3 + uint64(rng.IntN(10))
	case domAtFD:
		if rng.IntN(2) == 0 {
			return 0xffffffffffffff9c // AT_FDCWD
		}
		return 3 + uint64(rng.IntN(10))
	case domSize:
		if rng.IntN(4) == 0 {
			return uint64(rng.IntN(1 << 16))
		}
		return sizes[rng.IntN(len(sizes))]
	case domUptr:
		return 0x20000000 + 0x40*uint64(rng.IntN(256))
	case domKptr:
		return 0xffff888000000000 + 0x40*uint64(rng.IntN(1<<26))
	case domStack:
		return 0xffffc90000000000 + 0x8*uint64(rng.IntN(1<<22))
	}
	return drawMore(rng, d)
}

func drawMore(rng *rand.Rand, d domain) uint64 {
	switch d {
	case domFlags:
		return uint64(rng.IntN(256)) << (4 * rng.IntN(3))
	case domOFlags:
		return []uint64{0, 1, 2, 0x42, 0x241, 0x80000, 0x800, 0x10000}[rng.IntN(8)]
	case domFMode:
		return []uint64{0, 0x1d, 0x1f, 0x1a4, 0x1b6, 0x4001d}[rng.IntN(6)]
	case domPos:
		if rng.IntN(2) == 0 {
			return 0
		}
		return uint64(rng.IntN(1 << 20))
	case domPid:
		return 1 + uint64(rng.IntN(4000))
	case domGFP:
		return []uint64{0xcc0, 0xdc0, 0x820, 0x400cc0}[rng.IntN(4)]
	case domIoctl:
		return ioctlCmds[rng.IntN(len(ioctlCmds))].cmd
	case domStr:
		return printkWords[rng.IntN(len(printkWords))]
	case domPLen:
		return 0x20 + uint64(rng.IntN(0x40))
	}
	return uint64(rng.IntN(17)) // domSmall
}

// errPtr is ERR_PTR(-errno).
func errPtr(errno int) uint64 { return uint64(-int64(errno)) }

// errnoValue is -errno as a return of size bytes, zero-extended.
func errnoValue(errno, size int) uint64 {
	return uint64(-int64(errno)) & sizeMask(uint32(size))
}

// errnoOf reads a signed return of size bytes as an errno (negative, in
// [-4095, -1]), or 0.
func errnoOf(v uint64, size int) int {
	if size <= 0 || size > 8 {
		return 0
	}
	shift := 64 - 8*uint(size)
	s := int64(v<<shift) >> shift
	if s < 0 && s >= -4095 {
		return int(s)
	}
	return 0
}
