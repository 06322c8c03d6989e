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
			calls := 0
			eachBuffer(t, layout, 11, func(boot string, b *synth.Buffer, recs []ingest.Record) {
				n, err := comparePairing(b, recs)
				calls += n
				if err != nil {
					t.Errorf("%s/%s: %v", boot, b.File, err)
				}
			})
			t.Logf("%d complete calls checked", calls)
		})
	}
}

// eachBuffer calls fn with every buffer of a generated campaign of the
// layout, with forks and torn tails, and its records decoded.
func eachBuffer(t *testing.T, layout ingest.Layout, seed uint64, fn func(boot string, b *synth.Buffer, recs []ingest.Record)) {
	t.Helper()
	cfg := synth.DefaultConfig()
	cfg.Layout, cfg.Seed, cfg.ForkProb, cfg.TornProb = layout, seed, 0.1, 0.1
	c, err := synth.NewCampaign(cfg)
	if err != nil {
		t.Fatal(err)
	}
	boots := c.Boots()
	for i := range boots {
		err := c.RunBoot(&boots[i], true, func(b *synth.Buffer) error {
			var recs []ingest.Record
			d := ingest.NewDecoder(bytes.NewReader(b.Program.Bytes), b.File, ingest.Options{})
			for d.Next() {
				recs = append(recs, d.Record().Clone())
			}
			fn(boots[i].Dir, b, recs)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// comparePairing returns the number of complete calls compared.
func comparePairing(b *synth.Buffer, recs []ingest.Record) (int, error) {
	tr := b.Program.Truth
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

// Lent calls, copied as onCall gets them, are the calls a Pairer hands
// out to keep: the same fields, values and words, call for call, on
// generated buffers of both layouts with forks and torn tails.
func TestLentCalls(t *testing.T) {
	for _, layout := range []ingest.Layout{ingest.LayoutA, ingest.LayoutB} {
		var kept, lent []string
		var lender pair.Pairer
		lender.LendCalls()
		calls := 0
		eachBuffer(t, layout, 5, func(_ string, _ *synth.Buffer, recs []ingest.Record) {
			var keptCalls []*pair.Call
			keeper := pair.NewPairer(func(c *pair.Call) { keptCalls = append(keptCalls, c) }, nil)
			lender.Reset(func(c *pair.Call) { lent = append(lent, describe(c)) }, nil)
			for j := range recs {
				keeper.Push(&recs[j], int64(j))
				lender.Push(&recs[j], int64(j))
			}
			keeper.Close()
			lender.Close()
			for _, c := range keptCalls {
				kept = append(kept, describe(c))
			}
			calls += len(keptCalls)
		})
		if calls == 0 || len(kept) != len(lent) {
			t.Fatalf("%s: %d calls kept, %d lent", layout, len(kept), len(lent))
		}
		for i := range kept {
			if kept[i] != lent[i] {
				t.Fatalf("%s: call %d kept %s, lent %s", layout, i, kept[i], lent[i])
			}
		}
		t.Logf("%s: %d calls", layout, calls)
	}
}

// describe spells out what a call holds.
func describe(c *pair.Call) string {
	ret := "none"
	if c.Ret != nil {
		ret = fmt.Sprintf("%+v", *c.Ret)
	}
	return fmt.Sprintf("id %d parent %d depth %d segment %d pc %#x %s args %+v ret %s records %d-%d",
		c.ID, c.Parent, c.Depth, c.Segment, c.PC, c.Status, c.Args, ret, c.First, c.Last)
}
