package ingest_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/internal/synth"
)

// eachBuffer runs a generated campaign in memory with the generator's
// truth for every buffer.
func eachBuffer(t *testing.T, cfg synth.Config, fn func(name string, b *synth.Buffer)) {
	t.Helper()
	c, err := synth.NewCampaign(cfg)
	if err != nil {
		t.Fatal(err)
	}
	boots := c.Boots()
	for i := range boots {
		err := c.RunBoot(&boots[i], true, func(b *synth.Buffer) error {
			fn(boots[i].Dir+"/"+b.File, b)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// roundTripConfig is a campaign with everything a buffer can suffer:
// drops, torn tails, counter resets, forks, whole-mapping dumps with
// stale words, compare records and 16+-field structs.
func roundTripConfig(layout ingest.Layout) synth.Config {
	cfg := synth.DefaultConfig()
	cfg.Layout = layout
	cfg.Seed = 7
	cfg.TornProb, cfg.FullDumpProb, cfg.ForkProb = 0.2, 0.5, 0.1
	cfg.Kernel.Hostile = true
	return cfg
}

// TestRoundTrip decodes generated buffers and checks every record the
// kernel model wrote is recovered exactly, and the accounting is exact.
func TestRoundTrip(t *testing.T) {
	for _, layout := range []ingest.Layout{ingest.LayoutA, ingest.LayoutB} {
		t.Run(layout.String(), func(t *testing.T) {
			buffers, undecidable := 0, 0
			eachBuffer(t, roundTripConfig(layout), func(name string, b *synth.Buffer) {
				buffers++
				switch err := checkBuffer(b); {
				case errors.Is(err, errUndecidable):
					undecidable++
				case err != nil:
					t.Errorf("%s: %v", name, err)
				}
			})
			t.Logf("%d buffers, %d with a torn slot whose stale words continue the sequence", buffers, undecidable)
			if buffers == 0 || undecidable*20 > buffers {
				t.Fatalf("%d buffers, %d undecidable", buffers, undecidable)
			}
		})
	}
}

// errUndecidable marks a buffer whose torn slot holds stale words that
// read as the next record.
var errUndecidable = errors.New("a torn slot's stale words continue the sequence")

func checkBuffer(b *synth.Buffer) error {
	tr := b.Program.Truth
	d := ingest.NewDecoder(bytes.NewReader(b.Program.Bytes), b.File, ingest.Options{Capacity: int64(tr.Capacity)})
	var want []synth.Record
	damaged := 0
	for _, r := range tr.Records {
		if r.CorruptHeader {
			damaged += r.Words
			continue
		}
		want = append(want, r)
	}
	i := 0
	for ; d.Next(); i++ {
		if i >= len(want) {
			// Stale words in a torn slot that continue the sequence are
			// a record as far as anything in the buffer can tell.
			r := d.Record()
			if tr.Torn != nil && r.Offset >= int64(tr.Torn.Offset) && r.Offset+r.Words() <= int64(tr.Torn.Offset+tr.Torn.Words) {
				return errUndecidable
			}
			return fmt.Errorf("decoded record %d at word %d beyond the %d written (seq %d after %d): %+v", i, r.Offset, len(want), r.Seq, want[len(want)-1].Seq, *r)
		}
		if err := sameRecord(d.Record(), &want[i], tr.Layout); err != nil {
			return fmt.Errorf("record %d: %v", i, err)
		}
	}
	if d.Err() != nil {
		return d.Err()
	}
	if i != len(want) {
		return fmt.Errorf("decoded %d records, %d written", i, len(want))
	}
	st := d.Stats()
	if tr.Torn != nil && st.DamagedWords != int64(damaged) && len(st.Problems) > 0 &&
		st.Problems[len(st.Problems)-1].Offset >= int64(tr.Torn.Offset) {
		// Stale words in the torn slot read as damage followed by a
		// record that the damage could explain.
		return errUndecidable
	}
	return sameStats(st, &tr.Stats, want, damaged)
}

func sameRecord(got *ingest.Record, want *synth.Record, layout ingest.Layout) error {
	addr := want.Word2
	if layout == ingest.LayoutA {
		addr = want.Word2 & (1<<48 - 1)
	}
	if got.Offset != int64(want.Offset) || got.Kind != want.Kind || got.Seq != want.Seq || got.PC != want.PC ||
		got.ArgIdx != want.ArgIdx || got.Size != want.Size || got.Addr != addr || !equal(got.Values, want.Values) {
		return fmt.Errorf("\n got %+v\nwant %+v", *got, *want)
	}
	return nil
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sameStats(got *ingest.Stats, want *synth.Stats, recs []synth.Record, damaged int) error {
	var kinds [4]int64
	for _, r := range recs {
		kinds[r.Kind]++
	}
	type pair struct {
		name      string
		got, want int64
	}
	checks := []pair{
		{"words", int64(got.Words), int64(want.Words)},
		{"file words", got.FileWords, int64(want.FileWords)},
		{"capacity", got.Capacity, int64(want.Capacity)},
		{"entries", got.Entries, kinds[ingest.KindEntry]},
		{"rets", got.Rets, kinds[ingest.KindRet]},
		{"cmps", got.Cmps, kinds[ingest.KindCmp]},
		{"damaged words", got.DamagedWords, int64(damaged)},
		{"torn", b2i(got.Torn), b2i(want.Torn)},
		{"saturated", b2i(got.Saturated), b2i(want.Saturated)},
		{"segments", got.Segments, int64(want.Segments)},
		{"first seq", int64(got.FirstSeq), int64(want.FirstSeq)},
		{"last seq", int64(got.LastSeq), int64(want.LastSeq)},
	}
	for _, c := range checks {
		if c.got != c.want {
			return fmt.Errorf("%s: got %d, want %d (stats %+v)", c.name, c.got, c.want, *got)
		}
	}
	return got.Check()
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
