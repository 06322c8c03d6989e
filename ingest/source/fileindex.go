package source

import (
	"hash/maphash"
	"math/bits"
	"unsafe"
)

// fileIndex finds a manifest's entries by the file they name: an
// open-addressing table (linear probing) of entry indexes, hashed by
// name, whose names are read from the manifest itself, so that it holds
// no pointers. It stays at most half full.
type fileIndex struct {
	slots []int32 // entry index + 1, 0 when empty
	shift uint
}

var fileSeed = maphash.MakeSeed()

func (x *fileIndex) init(size int) {
	x.slots = make([]int32, size)
	x.shift = uint(64 - bits.Len(uint(size-1)))
}

// find returns the slot of the entry in force for name and true, or
// the empty slot where it belongs.
func (x *fileIndex) find(m *manifest, name string) (int, bool) {
	if x.slots == nil {
		x.init(64)
	}
	mask := len(x.slots) - 1
	for i := int(maphash.String(fileSeed, name) >> x.shift); ; i = (i + 1) & mask {
		e := x.slots[i]
		if e == 0 {
			return i, false
		}
		if string(m.fileOf(&m.entries[e-1])) == name {
			return i, true
		}
	}
}

// put makes slot, as find returned it, hold the last entry of m,
// growing the table when it is half full.
func (x *fileIndex) put(m *manifest, slot int, replaced bool) {
	x.slots[slot] = int32(len(m.entries))
	if n := len(m.entries); !replaced && 2*n > len(x.slots) {
		x.rebuild(m)
	}
}

// rebuild indexes the entries of m not replaced by later ones again, in
// a table of twice their number at least.
func (x *fileIndex) rebuild(m *manifest) {
	x.init(max(64, 1<<bits.Len(uint(2*len(m.entries)))))
	for i := range m.entries {
		if e := &m.entries[i]; !e.gone {
			name := m.fileOf(e)
			slot, _ := x.find(m, unsafe.String(unsafe.SliceData(name), len(name)))
			x.slots[slot] = int32(i + 1)
		}
	}
}

// lookup returns the index of the entry in force for name.
func (x *fileIndex) lookup(m *manifest, name string) (int, bool) {
	if len(m.entries) == 0 {
		return 0, false
	}
	slot, ok := x.find(m, name)
	return int(x.slots[slot]) - 1, ok
}
