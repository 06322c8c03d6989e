// Package errno names the kernel's error returns.
//
// A kernel function reports failure by returning -errno, an int that the
// kcov_dataflow writer zero-extends from its size (-14 in an int arrives
// as 0xfffffff2), or an ERR_PTR: a pointer in the last page of the
// address space. Values in [-4095, -1] once sign-extended by their size
// are errors; names follow the generic errno table that x86_64 and arm64
// share, plus the kernel-internal codes from 512 on.
package errno

import "fmt"

// MaxErrno is the kernel's MAX_ERRNO: IS_ERR_VALUE covers [-4095, -1].
const MaxErrno = 4095

// SignExtend reads v as a signed integer of size bytes (1, 2, 4 or 8;
// other sizes are read as 8).
func SignExtend(v uint64, size uint8) int64 {
	switch size {
	case 1:
		return int64(int8(v))
	case 2:
		return int64(int16(v))
	case 4:
		return int64(int32(v))
	}
	return int64(v)
}

// Of reports the errno a return value of the given size carries.
func Of(v uint64, size uint8) (int64, bool) {
	if size != 4 && size != 8 {
		return 0, false // too small for -4095..-1 to be meant as an error
	}
	s := SignExtend(v, size)
	if s < 0 && s >= -MaxErrno {
		return -s, true
	}
	return 0, false
}

// Name returns "EFAULT" for 14, or "E<n>" for a code without a name.
func Name(code int64) string {
	if n, ok := names[code]; ok {
		return n
	}
	return fmt.Sprintf("E%d", code)
}

// Describe returns "-EFAULT" for a return value carrying an errno, or "".
func Describe(v uint64, size uint8) string {
	if code, ok := Of(v, size); ok {
		return "-" + Name(code)
	}
	return ""
}

// Names returns the whole table, for exporting it (to SQL, say).
func Names() map[int64]string {
	m := make(map[int64]string, len(names))
	for k, v := range names {
		m[k] = v
	}
	return m
}
