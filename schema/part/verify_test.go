package part

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/schema"
)

// TestVerify reads whole parts of each table back, and finds a byte
// flipped in the middle of each column chunk's data: the page's
// checksum, naming the column and the row group.
func TestVerify(t *testing.T) {
	for _, tbl := range schema.All {
		t.Run(tbl.Name, func(t *testing.T) {
			data, rows := writeRandomPart(t, tbl, 1000)
			n, err := Verify(bytes.NewReader(data), int64(len(data)))
			if err != nil || n != int64(len(rows)) {
				t.Fatalf("a whole part: %d rows, %v; want %d", n, err, len(rows))
			}
			r, err := openReader(bytes.NewReader(data), int64(len(data)), tbl)
			if err != nil {
				t.Fatal(err)
			}
			g := len(r.foot.groups) - 1
			for j, c := range r.foot.groups[g].chunks {
				bad := bytes.Clone(data)
				bad[chunkStart(&c)+c.size/2] ^= 0x10
				_, err := Verify(bytes.NewReader(bad), int64(len(bad)))
				var fe *FormatError
				col := strings.Join(r.leaves[j].path, ".")
				if !errors.As(err, &fe) || fe.Column != col || !strings.Contains(err.Error(), "row group ") {
					t.Errorf("column %s, a byte flipped in row group %d: %v", col, g, err)
				}
			}
		})
	}
}
