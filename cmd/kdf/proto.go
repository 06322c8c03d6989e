package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/kdf-tools/kdf/transform/errno"
	"github.com/kdf-tools/kdf/transform/types"
)

// defaultBTF is where a kernel built with CONFIG_DEBUG_INFO_BTF exposes
// its types, its modules' beside it.
const defaultBTF = "/sys/kernel/btf"

var protoCommand = &command{
	name:    "proto",
	args:    "[--btf FILE|DIR | --vmlinux FILE] [--fields] FUNC...",
	summary: "print functions' prototypes as C, from BTF or a vmlinux's DWARF (default: this kernel's, /sys/kernel/btf)",
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		o := &protoOptions{}
		fs.StringVar(&o.buf.btf, "btf", "", "BTF `FILE` (as /sys/kernel/btf/vmlinux) or a directory laid out as /sys/kernel/btf (default "+defaultBTF+")")
		fs.StringVar(&o.buf.vmlinux, "vmlinux", "", "a vmlinux `FILE` with .BTF or DWARF")
		fs.BoolVar(&o.fields, "fields", false, "also list the fields of struct arguments and the values of enum arguments")
		return o.run
	},
}

type protoOptions struct {
	buf    bufferFlags
	fields bool
}

// run prints one prototype per FUNC (MODULE:FUNC for a module's); a
// function the types do not know fails the command after the others
// are printed.
func (o *protoOptions) run(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: proto takes at least one FUNC", errUsage)
	}
	src, err := o.buf.types(e.stderr, defaultBTF)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(e.stdout)
	defer w.Flush()
	var missing []string
	for _, a := range args {
		module, fn, ok := strings.Cut(a, ":")
		if !ok {
			module, fn = "", a
		}
		p := src.Proto(module, fn)
		if p == nil {
			missing = append(missing, a)
			continue
		}
		fmt.Fprintln(w, p.String()+";")
		if o.fields {
			printFields(w, p)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: no prototype of %s (a module's function is MODULE:FUNC)", src.Name, strings.Join(missing, ", "))
	}
	return nil
}

// printFields lists, under a prototype, what the hooks expand of each
// argument: a struct's fields with their offsets, an enum's values.
func printFields(w *bufio.Writer, p *types.Proto) {
	for _, a := range p.Params {
		t := a.Type
		switch {
		case t.Expanded():
			fmt.Fprintf(w, "\t%s: %s, %d bytes\n", a.Name, t.Record.Name, t.Record.Size)
			for _, f := range t.Record.Fields {
				fmt.Fprintf(w, "\t\t%-4d %s\n", f.Offset, types.Declare(f.Type.C, f.Name))
			}
		case t.Enum != nil:
			fmt.Fprintf(w, "\t%s: %s\n", a.Name, t.Enum.Name)
			for _, v := range t.Enum.Values {
				fmt.Fprintf(w, "\t\t%s = %s\n", v.Name, enumValue(t.Enum, v.Value))
			}
		}
	}
}

// enumValue spells an enumerator's value, negative for a signed enum.
func enumValue(e *types.Enum, v uint64) string {
	if e.Signed && e.Size > 0 && e.Size <= 8 {
		return strconv.FormatInt(errno.SignExtend(v, uint8(e.Size)), 10)
	}
	return strconv.FormatUint(v, 10)
}
