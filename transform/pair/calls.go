package pair

import (
	"slices"

	"github.com/kdf-tools/kdf/ingest"
)

// Calls pairs a whole buffer's records held in memory: the calls in ID
// order, and one link per record in record order.
func Calls(recs []ingest.Record) ([]*Call, []Link, *Stats) {
	var calls []*Call
	links := make([]Link, 0, len(recs))
	p := NewPairer(func(c *Call) { calls = append(calls, c) },
		func(l Link) { links = append(links, l) })
	for i := range recs {
		p.Push(&recs[i], int64(i))
	}
	p.Close()
	slices.SortFunc(calls, func(a, b *Call) int { return int(a.ID - b.ID) })
	return calls, links, p.Stats()
}
