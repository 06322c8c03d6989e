package pipeline

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// A list of strings column holds what was added: null rows, empty
// lists, null elements; lent, its elements are dictionary-encoded with
// repeated names stored once, owned they are plain strings; and again
// after a reset.
func TestStringListCol(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, b := range []batchSlices{owned, lent} {
		var c stringListCol
		for batch := range 2 {
			c.reset(4)
			c.elems.add("file")
			c.elems.nulls(1)
			c.elems.add("count")
			c.end()
			c.nulls(2)
			c.end() // empty
			c.elems.add("count")
			c.elems.add("file")
			c.end()
			a := c.array(mem, b)
			l := a.(*array.List)
			got := ""
			for i := range l.Len() {
				if l.IsNull(i) {
					got += "null;"
					continue
				}
				s, e := l.ValueOffsets(i)
				got += "["
				for j := s; j < e; j++ {
					v := l.ListValues()
					switch {
					case v.IsNull(int(j)):
						got += "null,"
					case b == lent:
						d := v.(*array.Dictionary)
						got += fmt.Sprint(d.Dictionary().(*array.String).Value(d.GetValueIndex(int(j))), ",")
					default:
						got += fmt.Sprint(v.(*array.String).Value(int(j)), ",")
					}
				}
				got += "];"
			}
			if want := "[file,null,count,];null;null;[];[count,file,];"; got != want {
				t.Errorf("lent=%v batch %d: %s, want %s", b, batch, got, want)
			}
			if d, ok := l.ListValues().(*array.Dictionary); b == lent && (!ok || d.Dictionary().Len() != 2) {
				t.Errorf("lent batch %d: elements %s, want a dictionary of 2 names", batch, l.ListValues().DataType())
			}
			a.Release()
		}
	}
}

// bitmap packs validity eight bools at a time: every length and
// pattern gives Arrow's bitmap and count of nulls.
func TestBitmap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for n := range 70 {
		for _, share := range []float64{0, 0.1, 0.5, 1} {
			valid := make([]bool, n)
			nulls := 0
			for i := range valid {
				valid[i] = rng.Float64() >= share
				if !valid[i] {
					nulls++
				}
			}
			buf, got := bitmap(valid)
			if got != nulls || (nulls == 0) != (buf == nil) {
				t.Fatalf("%d bools, %d null: bitmap says %d null, buffer %v", n, nulls, got, buf != nil)
			}
			for i, v := range valid {
				if buf != nil && bitutil.BitIsSet(buf.Bytes(), i) != v {
					t.Fatalf("%d bools: bit %d is not %v", n, i, v)
				}
			}
		}
	}
}
