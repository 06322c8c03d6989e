package calltree

import (
	"fmt"
	"io"
	"strings"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/transform/errno"
	"github.com/kdf-tools/kdf/transform/pair"
	"github.com/kdf-tools/kdf/transform/symbolize"
	"github.com/kdf-tools/kdf/transform/types"
)

// Tree is one buffer, paired and symbolized, ready to print.
type Tree struct {
	recs  []ingest.Record
	calls []*pair.Call
	links []pair.Link
	sym   *symbolize.Symbolizer
	funcs map[uint64]symbolize.Func
	// Set by SetTypes.
	types  *types.Source
	layout ingest.Layout
	protos map[uint64]*types.Proto
}

// New pairs a buffer's records into calls and names their pcs with sym;
// with a nil sym, pcs print as addresses. The Tree keeps recs: records
// from a Decoder must be Clones.
func New(recs []ingest.Record, sym *symbolize.Symbolizer) *Tree {
	calls, links, _ := pair.Calls(recs)
	v := &Tree{recs: recs, calls: calls, links: links, sym: sym, funcs: map[uint64]symbolize.Func{}}
	return v
}

func (v *Tree) lookup(pc uint64) (symbolize.Func, bool) {
	if v.sym == nil {
		return symbolize.Func{}, false
	}
	if f, ok := v.funcs[pc]; ok {
		return f, f.Name != ""
	}
	f, _ := v.sym.Lookup(pc)
	v.funcs[pc] = f
	return f, f.Name != ""
}

// Select keeps every record, or a module's records and context
// records around each, as trigger-view.py does.
func (v *Tree) Select(module string, context int) []bool {
	keep := make([]bool, len(v.recs))
	for i := range v.recs {
		if module == "" {
			keep[i] = true
			continue
		}
		if f, ok := v.lookup(v.recs[i].PC); !ok || f.Module != module {
			continue
		}
		for j := max(0, i-context); j <= min(len(keep)-1, i+context); j++ {
			keep[j] = true
		}
	}
	return keep
}

// name is how trigger-view.py shows a pc: `name+0xOFF [module]`, with
// the mangled name, or the bare address when it does not resolve.
func (v *Tree) name(pc uint64, demangle bool) string {
	f, ok := v.lookup(pc)
	if !ok {
		return fmt.Sprintf("0x%x", pc)
	}
	s := f.Name
	if demangle {
		s = v.sym.Table().Demangled(f.ID)
	}
	if f.Offset != 0 {
		s += fmt.Sprintf("+0x%x", f.Offset)
	}
	if f.Module != "" {
		s += " [" + f.Module + "]"
	}
	return s
}

// PrintRaw prints one line per record in trigger-view.py's --raw layout.
func (v *Tree) PrintRaw(w io.Writer, keep []bool) {
	for i := range v.recs {
		if !keep[i] {
			continue
		}
		r := &v.recs[i]
		fmt.Fprintf(w, "[%s] seq=%3d %s arg[%d](%d) = %s\n", rawKind(r.Kind), r.Seq, v.name(r.PC, false), r.ArgIdx, r.Size, word(r.Values[0]))
	}
}

func rawKind(k ingest.Kind) string {
	switch k {
	case ingest.KindEntry:
		return "ENTRY"
	case ingest.KindRet:
		return "RET  "
	}
	return "CMP  "
}

// word formats one value word; the fault marker reads FAULT.
func word(v uint64) string {
	if v == ingest.FaultMarker {
		return "FAULT"
	}
	return fmt.Sprintf("0x%x", v)
}

// value formats an argument: a scalar, or a struct's fields in braces.
func value(x *pair.Value) string {
	if len(x.Values) == 1 {
		return word(x.Values[0])
	}
	parts := make([]string, len(x.Values))
	for i, f := range x.Values {
		parts[i] = word(f)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// retValue formats a return value, with its errno name when it is one.
func retValue(x *pair.Value) string {
	s := value(x)
	if len(x.Values) == 1 {
		if e := errno.Describe(x.Values[0], x.Size); e != "" {
			s += " (" + e + ")"
		}
	}
	return s
}
