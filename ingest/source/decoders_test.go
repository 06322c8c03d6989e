package source

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// zstStream compresses b as a streaming encoder writes it: a frame
// without its content size, whose window a decoder must allocate whole,
// as the zstd tool piped from tar gives.
func zstStream(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw, err := zstd.NewWriter(&out, zstd.WithWindowSize(8<<20), zstd.WithSingleSegment(false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestDecodersReused walks many small archives, damaged ones among
// them: one decoder of each format serves them all, each archive reads
// as it was written, including those after a damaged one, and the walk
// allocates a fraction of what a decoder per archive and pass did.
func TestDecodersReused(t *testing.T) {
	dir := t.TempDir()
	const archives = 24
	want := map[string]string{} // archive -> its buffer's bytes
	for i := range archives {
		// Past a zstd block (128 KiB), incompressible: the decoder
		// fills its buffers as for a genuine program's buffer.
		tail := make([]byte, 300<<10)
		rnd := rand.New(rand.NewPCG(uint64(i), 1))
		for j := range tail {
			tail[j] = byte(rnd.Uint32())
		}
		body := string(append(bufferA(), tail...))
		tr := makeTar(t, reg("kallsyms", "ffffffff81000000 T _stext\n"), reg(fmt.Sprintf("prog-%d.kcdf", i), body))
		name := fmt.Sprintf("boot=%02d.tar.zst", i)
		data := zstStream(t, tr)
		if i%2 == 1 {
			name, data = fmt.Sprintf("boot=%02d.tar.gz", i), gz(t, tr)
		}
		switch i {
		case 7: // a gzip stream failing its checksum
			data = append([]byte(nil), data...)
			data[len(data)-6] ^= 0xff
		case 10: // a zstd stream cut short
			data = data[:len(data)/2]
		default:
			want[name] = body
		}
		writeFile(t, dir, name, data)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got := map[string]string{} // archive -> its buffer's bytes as read
	var damaged []string
	err := Walk(context.Background(), []string{dir}, Options{}, func(e *Entry) error {
		switch {
		case e.Err != nil:
			damaged = append(damaged, filepath.Base(e.Source))
		case e.Kind == KindBuffer:
			r, err := e.Open()
			if err != nil {
				return err
			}
			defer r.Close()
			b, err := io.ReadAll(r)
			got[filepath.Base(e.Source)] = string(b)
			return err
		}
		return nil
	})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(damaged, []string{"boot=07.tar.gz", "boot=10.tar.zst"}) {
		t.Errorf("problems in %q, want the 2 damaged archives", damaged)
	}
	if !maps.Equal(got, want) {
		t.Errorf("%d archives delivered their buffer as written, want %d", len(got), len(want))
		for name, body := range want {
			if got[name] != body {
				t.Errorf("%s: its buffer reads %d bytes unlike the %d written", name, len(got[name]), len(body))
			}
		}
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("walking %d small archives allocated %d MiB", archives, alloc>>20)
	}
}

// TestDecodersTwoAtOnce: a stream opened while the shared decoder is
// lent gets one of its own, and both read their own bytes; once both
// are closed, the shared one serves again.
func TestDecodersTwoAtOnce(t *testing.T) {
	var d decoders
	defer d.close()
	a, b := bytes.Repeat([]byte("a"), 300<<10), bytes.Repeat([]byte("bc"), 200<<10)
	open := func(kind string, data []byte) io.ReadCloser {
		var r io.ReadCloser
		var err error
		if kind == "zstd" {
			r, err = d.zstd(bytes.NewReader(zstStream(t, data)), 8<<20)
		} else {
			r, err = d.gzip(bytes.NewReader(gz(t, data)))
		}
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, kind := range []string{"zstd", "gzip", "zstd"} {
		ra, rb := open(kind, a), open(kind, b)
		var gotA, gotB bytes.Buffer
		for {
			na, errA := io.CopyN(&gotA, ra, 4096)
			nb, errB := io.CopyN(&gotB, rb, 4096)
			if na == 0 && nb == 0 && errA != nil && errB != nil {
				break
			}
		}
		ra.Close()
		rb.Close()
		if !bytes.Equal(gotA.Bytes(), a) || !bytes.Equal(gotB.Bytes(), b) {
			t.Errorf("%s: read %d and %d bytes, want %d and %d, each its own", kind, gotA.Len(), gotB.Len(), len(a), len(b))
		}
		if d.zstdUsed || d.gzUsed {
			t.Errorf("%s: the shared decoder is still lent after both streams closed", kind)
		}
	}
}
