package part

import (
	"math/rand/v2"
	"testing"
)

// TestWordTable fills a word table past its growths and its largest
// size, with words that repeat, and checks that every word finds the
// index it was first given, before and after a clear.
func TestWordTable(t *testing.T) {
	w := newDictNumWriter[uint64]()
	rng := rand.New(rand.NewPCG(1, 2))
	n := maxWordSlots * 3 / 4 // the fullest a table gets
	words := make([]uint64, 0, n)
	for len(words) < n {
		v := rng.Uint64()
		if len(words)%5 == 0 {
			v &= 0xff // small words, whose home slots crowd together
		}
		words = append(words, v)
	}
	first := map[uint64]int32{}
	for round := range 2 {
		clear(first)
		w.reset()
		for i := 0; i < len(words); i += 1000 {
			block := words[i:min(i+1000, len(words))]
			w.idx = w.idx[:0]
			w.addWords(block)
			for k, v := range block {
				e, seen := first[v]
				if !seen {
					e = int32(len(first))
					first[v] = e
				}
				if w.idx[k] != e {
					t.Fatalf("round %d: word %#x at %d: index %d, want %d", round, v, i+k, w.idx[k], e)
				}
			}
		}
		if len(w.dict) != len(first) {
			t.Fatalf("round %d: %d dictionary words, want %d", round, len(w.dict), len(first))
		}
		if got := len(w.table.slots); got != maxWordSlots {
			t.Fatalf("round %d: %d slots, want %d", round, got, maxWordSlots)
		}
	}
}

// TestShortStrings looks up strings shorter than 8 bytes, which are
// their own words in the dictionary's table, among longer ones.
func TestShortStrings(t *testing.T) {
	w := newDictStringWriter()
	var strs []string
	for i := range 5000 {
		strs = append(strs, string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676%26)))
		strs = append(strs, "a string of eight or more bytes "+string(rune('a'+i%26)))
		if i < 7 {
			strs = append(strs, "abcdefg"[:i]) // the empty string among them
		}
	}
	for round := range 2 {
		w.reset()
		index := map[string]int32{}
		for _, s := range strs {
			e := w.lookup([]byte(s))
			if want, ok := index[s]; ok && e != want {
				t.Fatalf("round %d: %q: entry %d, then %d", round, s, want, e)
			}
			index[s] = e
			if got := string(w.entry(e)); got != s {
				t.Fatalf("round %d: %q: entry %d holds %q", round, s, e, got)
			}
		}
		if len(w.starts)-1 != len(index) {
			t.Fatalf("round %d: %d entries, want %d", round, len(w.starts)-1, len(index))
		}
	}
}
