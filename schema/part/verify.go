package part

import (
	"fmt"
	"io"
	"os"

	"github.com/parquet-go/parquet-go/format"
)

// Verify checks every page of every column chunk of the part src
// against its CRC-32, and that the data pages hold the chunk's values;
// a chunk with a page that carries no checksum (a part kdf did not
// write) is decoded instead, which is all a reader can check of it. It
// returns the part's rows. A part's footer can be whole while a page is
// damaged (a bit flipped on a disk or in a copy); engines that do not
// check page checksums (DuckDB does not) then read wrong values, or
// fail on the damaged column only. It holds one column chunk at a time.
func Verify(src io.ReaderAt, size int64) (rows int64, err error) {
	r, err := openPart(src, size)
	if err != nil {
		return 0, err
	}
	for g := range r.foot.groups {
		for j := range r.leaves {
			if err := r.verifyChunk(g, j); err != nil {
				return rows, fmt.Errorf("row group %d: %w", g, err)
			}
		}
		rows += r.foot.groups[g].numRows
	}
	return rows, nil
}

func (r *reader) verifyChunk(g, j int) error {
	l, c := &r.leaves[j], &r.foot.groups[g].chunks[j]
	start := chunkStart(c)
	r.chunk = grow(r.chunk, int(c.size))
	if err := r.read(r.chunk, start); err != nil {
		return err
	}
	var values int64
	for pos := 0; pos < len(r.chunk); {
		h, _, next, err := r.pageAt(l, start, pos)
		if err != nil {
			return err
		}
		if h.crc == 0 {
			_, err := r.readLeaf(g, j)
			return err
		}
		if t := format.PageType(h.typ); t == format.DataPage || t == format.DataPageV2 {
			values += h.numValues
		}
		pos = next
	}
	if values != c.numValues {
		return pageError(l, start, 0, fmt.Sprintf("the chunk's pages hold %d values, its metadata says %d", values, c.numValues), nil)
	}
	return nil
}

// VerifyFile is Verify of the part at path.
func VerifyFile(path string) (rows int64, err error) {
	err = WithFile(path, func(src io.ReaderAt, size int64) error {
		rows, err = Verify(src, size)
		return err
	})
	return rows, err
}

// WithFile calls read with the part at path, open, and its size.
func WithFile(path string, read func(src io.ReaderAt, size int64) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return read(f, fi.Size())
}
