package pipeline

import (
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/transform/symbolize"
	"github.com/kdf-tools/kdf/transform/types"
)

// protoTable is the prototypes of a symbol table's functions in one type
// source, by symbol ID: a record finds its prototype by the ID its pc
// resolved to, an index, never a lookup by name. Each symbol is looked
// up in the type source once, when a record first needs it. One
// Processor's, not shared between goroutines.
//
// A boot's run uses a few thousand of its table's 150,000 symbols, and
// a worker makes a protoTable for each boot: the prototypes found are
// kept side by side, and the index by ID holds no pointers, which a
// slice of a pointer per symbol did, for the collector to scan.
type protoTable struct {
	syms   *symbolize.Table
	src    *types.Source
	slot   []uint32 // by symbol ID: 0 before its lookup, else 1 + its index in protos
	protos []*types.Proto
}

func newProtoTable(syms *symbolize.Table, src *types.Source) *protoTable {
	return &protoTable{syms: syms, src: src, slot: make([]uint32, syms.Len())}
}

func (t *protoTable) get(id int32) *types.Proto {
	if t == nil || id < 0 || int(id) >= len(t.slot) {
		return nil
	}
	i := t.slot[id]
	if i == 0 {
		s := t.syms.Symbol(id)
		t.protos = append(t.protos, t.src.Proto(s.Module, s.Name))
		i = uint32(len(t.protos))
		t.slot[id] = i
	}
	return t.protos[i-1]
}

// protoTables keeps a Processor's tables by symbol table and type source.
type protoTables map[[2]any]*protoTable

// trim drops every table once more than maxTablesKept are held: the
// runs that use them keep theirs.
func (m protoTables) trim() {
	if len(m) > maxTablesKept {
		clear(m)
	}
}

func (m protoTables) get(syms *symbolize.Table, src *types.Source) *protoTable {
	if syms == nil || src == nil {
		return nil
	}
	k := [2]any{syms, src}
	t, ok := m[k]
	if !ok {
		t = newProtoTable(syms, src)
		m[k] = t
	}
	return t
}

// maxMismatchShare is the share of checked records that may disagree
// with their prototypes before a run's names are refused: a type source
// of another kernel build disagrees far more often, and would name
// everything wrongly.
const maxMismatchShare = 0.1

// runNames is one run's naming: its prototypes, and the check of its
// records against them. The run is named, or not, once: when its first
// rows are built into a batch, on the records checked by then (all of
// them unless the buffer holds more than a batch).
type runNames struct {
	table               *protoTable
	layout              ingest.Layout
	checked, mismatched int64
	decided, named      bool
}

// check counts a record's verdict.
func (r *runNames) check(v types.Verdict) {
	switch v {
	case types.Agrees:
		r.checked++
	case types.Disagrees:
		r.checked++
		r.mismatched++
	}
}

// names reports whether the run's rows get names, deciding it the first
// time.
func (r *runNames) names() bool {
	if r == nil {
		return false
	}
	if !r.decided {
		r.decided = true
		r.named = r.table != nil && float64(r.mismatched) <= maxMismatchShare*float64(r.checked)
	}
	return r.named
}

// recordNames fills the name columns of the records table: the
// strings dictionary-encoded (a batch holds few names and types), the
// rest in the batch's builders.
type recordNames struct {
	argName, argType, valueName *stringDictCol
	signed                      *array.BooleanBuilder
	fieldNames                  *stringListCol
}

// typeOf is the type a record holds by its prototype, and the
// parameter's name: nil for a record that disagrees with it, a compare,
// or without a prototype.
func typeOf(p *types.Proto, kind uint8, argIdx uint8, verdict types.Verdict) (*types.Type, string) {
	if p == nil || verdict != types.Agrees {
		return nil, ""
	}
	switch {
	case kind == uint8(ingest.KindEntry):
		return &p.Params[argIdx].Type, p.Params[argIdx].Name
	case kind == uint8(ingest.KindRet), kind == kindPreRet:
		return &p.Ret, ""
	}
	return nil, ""
}

// add appends the names of one record holding a value of type t: the
// parameter's name and type, the enum value's name, the fields'.
func (n recordNames) add(t *types.Type, name string, value uint64, nvals int32) {
	n.argName.addOpt(name, name != "")
	n.argType.add(t.C)
	vn, ok := "", false
	if t.Enum != nil {
		vn, ok = t.Enum.Lookup(value)
	}
	n.valueName.addOpt(vn, ok)
	if t.Kind == types.KindInt || t.Kind == types.KindEnum {
		n.signed.Append(t.Signed)
	} else {
		n.signed.AppendNull()
	}
	if !t.Expanded() || int(nvals) != len(t.Record.Fields) {
		n.fieldNames.nulls(1)
		return
	}
	for _, f := range t.Record.Fields {
		n.fieldNames.elems.add(f.Name)
	}
	n.fieldNames.end()
}

// reset empties the columns for a batch of k rows.
func (n recordNames) reset(k int) {
	n.argName.reset(k)
	n.argType.reset(k)
	n.valueName.reset(k)
	n.signed.Reserve(k)
	n.fieldNames.reset(k)
}

// nulls appends k rows without names.
func (n recordNames) nulls(k int) {
	if k == 0 {
		return
	}
	n.argName.nulls(k)
	n.argType.nulls(k)
	n.valueName.nulls(k)
	n.signed.AppendNulls(k)
	n.fieldNames.nulls(k)
}
