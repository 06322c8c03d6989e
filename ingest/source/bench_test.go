package source

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
)

// benchCampaign is many small buffers: 20 boots of 200 buffers of 4 KiB,
// each boot with a kallsyms and a manifest naming every buffer.
func benchCampaign() (ms []member, bytes int64) {
	body := string(bufferA()) + strings.Repeat("\x00", 4096-len(bufferA()))
	for boot := range 20 {
		dir := fmt.Sprintf("arm=df/trial=1/boot=%d", boot)
		var man strings.Builder
		for i := range 200 {
			fmt.Fprintf(&man, `{"file":"prog-%d.kcdf","exec_ns":%d,"program":"r0 = open()"}`+"\n", i, 1000+i)
			ms = append(ms, reg(fmt.Sprintf("%s/prog-%d.kcdf", dir, i), body))
		}
		ms = append(ms, reg(dir+"/kallsyms", strings.Repeat("ffffffff81000000 T func\n", 1000)), reg(dir+"/manifest.jsonl", man.String()))
	}
	for _, m := range ms {
		bytes += int64(len(m.body))
	}
	return ms, bytes
}

func benchWalk(b *testing.B, src string, files int, size int64) {
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	buf := make([]byte, 64<<10)
	for b.Loop() {
		n := 0
		err := Walk(context.Background(), []string{src}, Options{}, func(e *Entry) error {
			n++
			if e.Kind != KindBuffer || e.Err != nil {
				return nil
			}
			r, err := e.Open()
			if err != nil {
				return err
			}
			defer r.Close()
			_, err = io.CopyBuffer(io.Discard, r, buf)
			return err
		})
		if err != nil || n != files {
			b.Fatalf("Walk: %v after %d of %d files", err, n, files)
		}
	}
	b.ReportMetric(float64(files)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

func BenchmarkWalkDir(b *testing.B) {
	ms, size := benchCampaign()
	benchWalk(b, writeTree(b, ms...), len(ms), size)
}

func BenchmarkWalkTarZst(b *testing.B) {
	ms, size := benchCampaign()
	src := writeFile(b, b.TempDir(), "c.tar.zst", zst(b, makeTar(b, ms...)))
	benchWalk(b, src, len(ms), size)
}

func BenchmarkWalkTarGz(b *testing.B) {
	ms, size := benchCampaign()
	src := writeFile(b, b.TempDir(), "c.tar.gz", gz(b, makeTar(b, ms...)))
	benchWalk(b, src, len(ms), size)
}

func BenchmarkParseManifest(b *testing.B) {
	var man strings.Builder
	const lines = 10000
	for i := range lines {
		fmt.Fprintf(&man, `{"file":"arm=df/trial=1/boot=%d/prog-%d.kcdf","exec_ns":%d,"baseline_ns":%d,"program":"r0 = openat(0xffffffffffffff9c, &(0x7f0000000000)='./file0\u0000', 0x0, 0x0)","vm":3,"arm":"df","trial":1}`+"\n",
			i%20, i, 1000+i, 900+i)
	}
	data := []byte(man.String())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if m := mustParseManifest(b, string(data), "s", "manifest.jsonl"); len(m.entries) != lines {
			b.Fatalf("%d entries, problems %v", len(m.entries), m.problems[:1])
		}
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkManifestHeld reports the heap a parsed manifest holds per
// line, held in memory (archives) and lazy (directories), for lines of
// syzkaller-like programs of about 600 bytes.
func BenchmarkManifestHeld(b *testing.B) {
	var man strings.Builder
	const lines = 20000
	prog := strings.Repeat(`r0 = openat(0xffffffffffffff9c, &(0x7f0000000000)='./file0\x00', 0x0, 0x0)\n`, 8)
	for i := range lines {
		fmt.Fprintf(&man, `{"file":"prog-%06d.kcdf","exec_ns":%d,"baseline_ns":%d,"program":%q,"vm":"vm-3","timestamp":"2026-06-15T00:07:15Z","capacity_words":65536,"layout":"B"}`+"\n",
			i, 1000+i, 900+i, prog)
	}
	p := writeFile(b, b.TempDir(), "manifest.jsonl", []byte(man.String()))
	for _, lazy := range []bool{false, true} {
		b.Run(map[bool]string{false: "in-memory", true: "lazy"}[lazy], func(b *testing.B) {
			var held uint64
			for b.Loop() {
				f, err := os.Open(p)
				if err != nil {
					b.Fatal(err)
				}
				before := heapInUse()
				var m *manifest
				if lazy {
					m, err = parseManifestFile(f, "s", "manifest.jsonl", Options{}.withDefaults())
				} else {
					m, err = parseManifest(f, "s", "manifest.jsonl", Options{}.withDefaults())
				}
				if err != nil || len(m.entries) != lines {
					b.Fatalf("%v, %d entries", err, len(m.entries))
				}
				held = heapInUse() - before
				runtime.KeepAlive(m)
				f.Close()
			}
			b.ReportMetric(float64(held)/lines, "held-B/line")
		})
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
