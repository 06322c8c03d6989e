package calltree

import (
	"fmt"
	"io"
	"strings"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/transform/pair"
)

// Print prints the kept records in the seed's notation, `f(args)`
// on entry and `ret = f()` on return, indented by the paired depth.
// Consecutive argument records of one call share a line; a call whose
// first arguments fall outside the selection starts with "...".
func (v *Tree) Print(w io.Writer, keep []bool) {
	base := v.minDepth(keep)
	for i := 0; i < len(v.recs); i++ {
		if !keep[i] {
			continue
		}
		r := &v.recs[i]
		l := v.links[i]
		switch {
		case r.Kind == ingest.KindEntry:
			c := v.calls[l.Call]
			end := i + 1
			for end < len(v.recs) && keep[end] && v.recs[end].Kind == ingest.KindEntry && v.links[end].Call == l.Call {
				end++
			}
			ret := ""
			if r, ok := v.leafRet(c, i, end, keep); ok {
				ret, end = " = "+r, end+1
			}
			v.entryLine(w, c, i, end, base, ret)
			i = end - 1
		case r.Kind == ingest.KindRet:
			v.retLine(w, r, l, base)
		default:
			depth := int32(0)
			if l.Call >= 0 {
				depth = v.calls[l.Call].Depth + 1
			}
			fmt.Fprintf(w, "%scmp(%s, %s) type=%#x\n", indent(depth-base), word(r.Values[0]), word(r.Values[1]), r.Addr)
		}
	}
}

func (v *Tree) entryLine(w io.Writer, c *pair.Call, from, to int, base int32, ret string) {
	var args []string
	if c.Args[0].Record != int64(from) {
		args = append(args, "...")
	}
	for j := range c.Args {
		if rec := c.Args[j].Record; rec >= int64(from) && rec < int64(to) {
			if v.types != nil {
				args = append(args, v.argValue(c, &c.Args[j]))
			} else {
				args = append(args, value(&c.Args[j]))
			}
		}
	}
	note := ""
	if c.Status == pair.Truncated {
		note = "  # truncated"
	}
	fmt.Fprintf(w, "%s%s(%s)%s%s\n", indent(c.Depth-base), v.name(c.PC, true), strings.Join(args, ", "), ret, note)
}

// leafRet is, with types, the return of a call whose entry records
// from..to-1 are followed by its own return, nothing nested between:
// such a call prints on one line.
func (v *Tree) leafRet(c *pair.Call, from, to int, keep []bool) (string, bool) {
	if v.types == nil || to >= len(v.recs) || !keep[to] || c.Args[0].Record != int64(from) || c.Ret == nil || c.Ret.Record != int64(to) {
		return "", false
	}
	if s, ok := v.retTyped(c.PC, c.Ret); ok {
		return s, true
	}
	return retValue(c.Ret), true
}

func (v *Tree) retLine(w io.Writer, r *ingest.Record, l pair.Link, base int32) {
	x := pair.Value{Size: r.Size, Values: r.Values}
	depth, note := int32(0), ""
	if l.PreRet {
		note = "  # before entry"
	}
	if l.Call >= 0 && l.Call < int64(len(v.calls)) {
		depth = v.calls[l.Call].Depth
	}
	s := retValue(&x)
	if t, ok := v.retTyped(r.PC, &x); ok && !l.PreRet {
		s = t
	}
	fmt.Fprintf(w, "%s%s = %s()%s\n", indent(depth-base), s, v.name(r.PC, true), note)
}

// minDepth is the depth of the shallowest kept line, so that a window
// deep inside a trace starts at the left margin.
func (v *Tree) minDepth(keep []bool) int32 {
	m := int32(-1)
	for i, k := range keep {
		if !k || v.links[i].Call < 0 || v.links[i].Call >= int64(len(v.calls)) {
			continue
		}
		if d := v.calls[v.links[i].Call].Depth; m < 0 || d < m {
			m = d
		}
	}
	return max(m, 0)
}

func indent(depth int32) string { return strings.Repeat("  ", int(max(depth, 0))) }
