package source

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"slices"
)

// listing is one directory's entries in name order, as os.ReadDir gives
// them. A boot directory can hold a million buffers: as fs.DirEntry
// values they took about 90 bytes each, every one pointers the
// collector traced at each cycle, for as long as the directory was
// walked. Here an entry costs its name's bytes and 16 more, in slices
// without pointers.
type listing struct {
	names []byte
	ends  []int // entry i's name ends here, and starts where i-1 ends
	types []fs.FileMode
	order []int32 // entries in name order
}

// listingBatch is how many entries are read from the directory at once.
const listingBatch = 1024

// readListing reads osDir's entries. Like os.ReadDir, it returns the
// entries it could read along with the error that stopped it.
func readListing(osDir string) (*listing, error) {
	l := &listing{}
	f, err := os.Open(osDir)
	if err != nil {
		return l, err
	}
	defer f.Close()
	for {
		ents, err := f.ReadDir(listingBatch)
		for _, de := range ents {
			l.names = append(l.names, de.Name()...)
			l.ends = append(l.ends, len(l.names))
			l.types = append(l.types, de.Type())
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			l.sort()
			return l, err
		}
	}
	l.sort()
	return l, nil
}

func (l *listing) sort() {
	l.order = make([]int32, len(l.ends))
	for i := range l.order {
		l.order[i] = int32(i)
	}
	slices.SortFunc(l.order, func(a, b int32) int { return bytes.Compare(l.name(int(a)), l.name(int(b))) })
}

func (l *listing) name(i int) []byte {
	start := 0
	if i > 0 {
		start = l.ends[i-1]
	}
	return l.names[start:l.ends[i]]
}

func (l *listing) len() int { return len(l.order) }

// entry returns the k-th entry in name order: its name and type bits.
func (l *listing) entry(k int) (string, fs.FileMode) {
	i := int(l.order[k])
	return string(l.name(i)), l.types[i]
}

// lstatInfo is a file's Info, read when asked, as a DirEntry's is.
type lstatInfo string

func (p lstatInfo) Info() (fs.FileInfo, error) { return os.Lstat(string(p)) }
