package symbolize

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// synthSymbols is about the size of a distribution kernel's kallsyms.
const synthSymbols = 200_000

// synthKallsyms writes n kallsyms lines shaped like a real snapshot:
// core text with __pfx_ padding, a data symbol every 16 functions,
// some Rust names, and the last fifth in modules of 500 symbols.
func synthKallsyms(n int) []byte {
	var b bytes.Buffer
	addr := uint64(0xffffffffab000000)
	fmt.Fprintf(&b, "%016x T _text\n", addr)
	core := n * 4 / 5
	for i := 1; i < n; i++ {
		if i == core {
			addr = 0xffffffffc0a00000
		}
		typ, name := byte('T'), fmt.Sprintf("function_number_%d", i)
		switch {
		case i%16 == 0:
			typ, name = 'd', fmt.Sprintf("data_object_%d", i)
		case i%2 == 1:
			name = "__pfx_" + name
		case i%50 == 0:
			name = fmt.Sprintf("_RNvCs3p16QzTwthP_15eight_args_rust%d%s", len(name), name)
		}
		fmt.Fprintf(&b, "%016x %c %s", addr, typ, name)
		if i >= core {
			fmt.Fprintf(&b, "\t[module_%d]", i/500)
		}
		b.WriteByte('\n')
		addr += 16 + uint64(i%7)*64
	}
	return b.Bytes()
}

func BenchmarkParseKallsyms(b *testing.B) {
	data := synthKallsyms(synthSymbols)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseKallsyms(bytes.NewReader(data), "synth"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(synthSymbols)*float64(b.N)/b.Elapsed().Seconds(), "symbols/s")
}

// BenchmarkParseKallsymsBytes parses a snapshot held in memory, as an
// ingest does once per boot: the generator's shape, and this machine's
// own /proc/kallsyms where its addresses are visible.
func BenchmarkParseKallsymsBytes(b *testing.B) {
	cases := []struct {
		name string
		data []byte
	}{{"synth", synthKallsyms(synthSymbols)}}
	if real, err := os.ReadFile("/proc/kallsyms"); err == nil && !bytes.HasPrefix(real, []byte("0000000000000000 ")) {
		cases = append(cases, struct {
			name string
			data []byte
		}{"proc", real})
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			for b.Loop() {
				if _, err := ParseKallsymsBytes(c.data, c.name); err != nil {
					b.Fatal(err)
				}
			}
		})
		// Another boot of the same kernel with KASLR, guided by the
		// first boot's table.
		b.Run(c.name+"-like", func(b *testing.B) {
			prev, err := ParseKallsymsBytes(c.data, c.name)
			if err != nil {
				b.Fatal(err)
			}
			next := shifted(c.data, 0x1e00000)
			b.SetBytes(int64(len(next)))
			for b.Loop() {
				if _, err := ParseKallsymsBytesLike(next, c.name, prev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// The same, its last module loaded first: the core kernel's lines
	// are read as the first boot's, the modules' (a fifth) parsed.
	b.Run("synth-like-reordered", func(b *testing.B) {
		data := cases[0].data
		prev, err := ParseKallsymsBytes(data, "synth")
		if err != nil {
			b.Fatal(err)
		}
		lineStart := func(i int) int { return bytes.LastIndexByte(data[:i], '\n') + 1 }
		firstMod := lineStart(bytes.Index(data, []byte("\t[module_")))
		lastMod := lineStart(bytes.Index(data, fmt.Appendf(nil, "\t[module_%d]\n", (synthSymbols-1)/500)))
		next := shifted(slices.Concat(data[:firstMod], data[lastMod:], data[firstMod:lastMod]), 0x1e00000)
		b.SetBytes(int64(len(next)))
		for b.Loop() {
			if _, err := ParseKallsymsBytesLike(next, "synth", prev); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkLookup(b *testing.B) {
	tab, err := ParseKallsyms(bytes.NewReader(synthKallsyms(synthSymbols)), "synth")
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	hot := fixturePCs(tab, 1024, r)     // fits the cache: a trace's hot set
	cold := fixturePCs(tab, 1<<20, r)   // far more than the cache holds
	b.Run("table", func(b *testing.B) { // binary search every time
		benchLookups(b, cold, func(pc uint64) bool { _, ok := tab.Lookup(pc); return ok })
	})
	for _, c := range []struct {
		name string
		pcs  []uint64
	}{{"cached", hot}, {"uncached", cold}} {
		b.Run("symbolizer/"+c.name, func(b *testing.B) {
			s, err := New(Config{Runtime: tab})
			if err != nil {
				b.Fatal(err)
			}
			benchLookups(b, c.pcs, func(pc uint64) bool { _, ok := s.Lookup(pc); return ok })
		})
	}
}

var sink int

func benchLookups(b *testing.B, pcs []uint64, lookup func(uint64) bool) {
	i, found := 0, 0
	for b.Loop() {
		if lookup(pcs[i&(len(pcs)-1)]) {
			found++
		}
		i++
	}
	sink = found
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
}
