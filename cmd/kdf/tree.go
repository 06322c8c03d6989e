package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/kdf-tools/kdf/ingest"
	"github.com/kdf-tools/kdf/transform/calltree"
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
	if t.context < 0 {
		return fmt.Errorf("%w: -C %d: want N >= 0 records of context", errUsage, t.context)
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
	v := calltree.New(recs, sym)
	if err := t.types(e, v, st.Layout); err != nil {
		return err
	}
	keep := v.Select(t.module, t.context)
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
		v.PrintRaw(w, keep)
	} else {
		v.Print(w, keep)
	}
	if sym != nil && sym.Stats().Unresolved > 0 {
		st, cause := sym.Stats(), ""
		n := st.Resolved + st.Unresolved
		if symbolize.MostlyUnresolved(int64(st.Unresolved), int64(n)) {
			cause = ": " + sym.MissCause()
		}
		fmt.Fprintf(e.stderr, "kdf: %s: %d of %d pcs did not resolve to a function%s\n", args[0], st.Unresolved, n, cause)
	}
	return nil
}

// types names the tree's arguments from --btf or --vmlinux, if given.
func (t *treeOptions) types(e *env, v *calltree.Tree, layout ingest.Layout) error {
	src, err := t.buf.types(e.stderr, "")
	if src != nil {
		v.SetTypes(src, layout)
	}
	return err
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
