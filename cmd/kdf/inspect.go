package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/kdf-tools/kdf/ingest"
)

var inspectCommand = &command{
	name:    "inspect",
	args:    "[options] BUFFER...",
	summary: "print each buffer's accounting: layout, records, damage, torn tail, saturation, segments",
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		o := &inspectOptions{}
		o.buf.register(fs, false)
		fs.BoolVar(&o.json, "json", false, "one JSON object per buffer")
		return o.run
	},
}

type inspectOptions struct {
	buf  bufferFlags
	json bool
}

func (o *inspectOptions) run(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: inspect takes at least one BUFFER", errUsage)
	}
	opt, err := o.buf.options()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	if !o.json {
		fmt.Fprintln(tw, "layout\twords\tcapacity\trecords\tentries\trets\tcmps\tdamaged\ttorn\tsaturated\tsegments\tseq\tpath\t")
	}
	failed := 0
	for _, path := range args {
		st, err := eachRecord(path, opt, nil)
		if err != nil {
			fmt.Fprintln(e.stderr, "kdf:", err)
			failed++
			continue
		}
		if o.json {
			b, _ := json.Marshal(st)
			fmt.Fprintf(e.stdout, "%s\n", b)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%d\t%d-%d\t%s\t\n",
			st.Layout, st.Words, capacity(st), st.Records, st.Entries, st.Rets, st.Cmps,
			st.DamagedWords, yes(st.Torn), yes(st.Saturated), st.Segments, st.FirstSeq, st.LastSeq, st.Path)
		for _, p := range st.Problems {
			fmt.Fprintf(e.stderr, "kdf: %s: %s\n", path, p)
		}
	}
	tw.Flush()
	if failed > 0 {
		return fmt.Errorf("%d of %d files could not be read as buffers", failed, len(args))
	}
	return nil
}

func capacity(st *ingest.Stats) string {
	if st.Capacity == 0 {
		return "?"
	}
	return fmt.Sprint(st.Capacity)
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
