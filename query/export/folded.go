package export

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Value is what a folded stack counts.
type Value string

const (
	Records Value = "records" // the records the leaf's calls wrote themselves
	Calls   Value = "calls"   // the leaf's calls
)

// ParseValue reads --value.
func ParseValue(s string) (Value, error) {
	switch v := Value(s); v {
	case Records, Calls:
		return v, nil
	}
	return "", fmt.Errorf("value %q: want records or calls", s)
}

// WriteFolded writes the stacks in the folded format of flamegraph.pl,
// inferno and speedscope: one line per stack, its frames root first
// joined by semicolons, a space, and its value. Frames read as kdf
// tree names functions, "name [module]" outside the core kernel. A
// stack of value 0 is left out, as those tools draw nothing for it.
func (s *Stacks) WriteFolded(w io.Writer, v Value) error {
	labels := make([]string, len(s.Frames))
	for i, f := range s.Frames {
		labels[i] = foldedLabel(f.Label())
	}
	bw := bufio.NewWriter(w)
	var line []string
	for _, st := range s.Stacks {
		n := st.Records
		if v == Calls {
			n = st.Calls
		}
		if n == 0 {
			continue
		}
		line = line[:0]
		for _, f := range st.Frames {
			line = append(line, labels[f])
		}
		fmt.Fprintf(bw, "%s %d\n", strings.Join(line, ";"), n)
	}
	return bw.Flush()
}

// foldedLabel keeps a frame from breaking its line: a semicolon
// separates frames (Rust's array types, [u8; 4], have them), so it
// becomes a colon, and a newline ends the stack, so it becomes a space.
var foldedLabel = strings.NewReplacer(";", ":", "\n", " ", "\r", " ").Replace
