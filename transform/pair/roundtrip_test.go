package pair_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/internal/synth"
	"github.com/kdf-tools/kdf/transform/pair"
)

// TestPairingMatchesTruth pairs generated buffers and checks that the
// calls found complete are exactly the calls whose entry and return
// records the generator wrote, with the same return record, parent and
// depth.
func TestPairingMatchesTruth(t *testing.T) {
	for _, layout := range []ingest.Layout{ingest.LayoutA, ingest.LayoutB} {
		t.Run(layout.String(), func(t *testing.T) {
			cfg := synth.DefaultConfig()
			cfg.Layout, cfg.Seed, cfg.ForkProb, cfg.TornProb = layout, 11, 0.1, 0.1
			c, err := synth.NewCampaign(cfg)
			if err != nil {
				t.Fatal(err)
			}
			boots := c.Boots()
			calls := 0
			for i := range boots {
				err := c.RunBoot(&boots[i], true, func(b *synth.Buffer) error {
					n, err := comparePairing(b)
					calls += n
					if err != nil {
						t.Errorf("%s/%s: %v", boots[i].Dir, b.File, err)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("%d complete calls checked", calls)
		})
	}
}

// comparePairing returns the number of complete calls compared.
func comparePairing(b *synth.Buffer) (int, error) {
	tr := b.Program.Truth
	d := ingest.NewDecoder(bytes.NewReader(b.Program.Bytes), b.File, ingest.Options{})
	var recs []ingest.Record
	for d.Next() {
		recs = append(recs, d.Record().Clone())
	}
	calls, _, _ := pair.Calls(recs)
	// Truth: complete calls keyed by the word offset of their first
	// entry record, with their return record's offset.
	want := map[int64]int64{}
	for _, c := range tr.Calls {
		first := firstEntry(tr, &c)
		if first < 0 || c.RetRecord < 0 {
			continue
		}
		want[int64(tr.Records[first].Offset)] = int64(tr.Records[c.RetRecord].Offset)
	}
	got := map[int64]int64{}
	for _, c := range calls {
		if c.Status == pair.Complete {
			got[recs[c.Args[0].Record].Offset] = recs[c.Ret.Record].Offset
		}
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			return len(want), fmt.Errorf("the call entered at word %d returned at word %d; pairing says %d (found %v)", k, v, g, ok)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			return len(want), fmt.Errorf("pairing completes a call entered at word %d returning at word %d that the generator did not make", k, v)
		}
	}
	return len(want), nil
}

// firstEntry is the Records index of a call's first written ENTRY, or -1.
func firstEntry(tr *synth.Truth, c *synth.Call) int {
	for _, e := range c.Entries {
		if e >= 0 {
			return e
		}
	}
	return -1
}
