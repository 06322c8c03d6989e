package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/transform/errno"
	"github.com/kdf-tools/kdf/transform/pair"
	"github.com/kdf-tools/kdf/transform/symbolize"
)

var treeCommand = &command{
	name:    "tree",
	args:    "[options] BUFFER",
	summary: "print a buffer's call tree (or, with --raw, one line per record)",
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		t := &treeOptions{}
		t.buf.register(fs, true)
		fs.StringVar(&t.module, "module", "", "keep the records of this module (with -C, and their context)")
		fs.IntVar(&t.context, "C", 0, "show `N` records of context around the module's records")
		fs.BoolVar(&t.raw, "raw", false, "one line per record, as trigger-view.py --raw prints them")
		return t.run
	},
}

type treeOptions struct {
	buf     bufferFlags
	module  string
	context int
	raw     bool
}

func (t *treeOptions) run(ctx context.Context, e *env, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: tree takes one BUFFER", errUsage)
	}
	opt, err := t.buf.options()
	if err != nil {
		return err
	}
	recs, st, err := decodeFile(args[0], opt)
	if err != nil {
		return err
	}
	warnDamage(e.stderr, st)
	sym, err := t.buf.symbolizer(st.Layout)
	if err != nil {
		return err
	}
	if t.module != "" && sym == nil {
		return fmt.Errorf("%w: --module needs --kallsyms (or --system-map) to know which pcs are the module's", errUsage)
	}
	v := newTreeView(recs, sym)
	keep := v.selection(t.module, t.context)
	w := bufio.NewWriter(e.stdout)
	defer w.Flush()
	fmt.Fprintf(w, "# Captured %d words\n# %d records\n", st.Words, len(recs))
	switch {
	case t.module != "" && t.context > 0:
		fmt.Fprintf(w, "# showing %d records with context=%d around %s\n\n", count(keep), t.context, t.module)
	case t.module != "":
		fmt.Fprintf(w, "# %d from %s\n\n", count(keep), t.module)
	default:
		fmt.Fprintln(w)
	}
	if t.raw {
		v.printRaw(w, keep)
	} else {
		v.printTree(w, keep)
	}
	if sym != nil && sym.Stats().Unresolved > 0 {
		fmt.Fprintf(e.stderr, "kdf: %s: %d of %d pcs did not resolve to a function\n", args[0], sym.Stats().Unresolved, sym.Stats().Resolved+sym.Stats().Unresolved)
	}
	return nil
}

// warnDamage tells, on stderr, what a buffer lost.
func warnDamage(w io.Writer, st *ingest.Stats) {
	for _, p := range st.Problems {
		fmt.Fprintf(w, "kdf: %s: %s\n", st.Path, p)
	}
	if st.Torn {
		fmt.Fprintf(w, "kdf: %s: torn tail: the last %d counted words hold no complete record\n", st.Path, st.TornWords)
	}
	if st.Saturated {
		fmt.Fprintf(w, "kdf: %s: saturated: %d of %d words used, later records were probably dropped\n", st.Path, st.Words+1, st.Capacity)
	}
}

func count(keep []bool) int {
	n := 0
	for _, k := range keep {
		if k {
			n++
		}
	}
	return n
}

// treeView is one buffer, paired and symbolized, ready to print.
type treeView struct {
	recs  []ingest.Record
	calls []*pair.Call
	links []pair.Link
	sym   *symbolize.Symbolizer
	funcs map[uint64]symbolize.Func
}

func newTreeView(recs []ingest.Record, sym *symbolize.Symbolizer) *treeView {
	calls, links, _ := pair.Calls(recs)
	v := &treeView{recs: recs, calls: calls, links: links, sym: sym, funcs: map[uint64]symbolize.Func{}}
	return v
}

func (v *treeView) lookup(pc uint64) (symbolize.Func, bool) {
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

// selection keeps every record, or a module's records and context
// records around each, as trigger-view.py does.
func (v *treeView) selection(module string, context int) []bool {
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
func (v *treeView) name(pc uint64, demangle bool) string {
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

// printRaw prints one line per record in trigger-view.py's --raw layout.
func (v *treeView) printRaw(w io.Writer, keep []bool) {
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
