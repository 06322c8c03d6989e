package table

import (
	"bytes"
	"math"
	"math/big"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kdf-tools/kdf/internal/golden"
)

// fixture is a table with every kind and style, and strings that each
// format must escape.
func fixture() *Table {
	huge, _ := new(big.Int).SetString("-170141183460469231731687303715884105728", 10)
	t := New(
		Column{Name: "func", Kind: KindString},
		Column{Name: "arg_idx", Kind: KindUint},
		Column{Name: "value", Kind: KindUint, Style: Hex},
		Column{Name: "value_s", Kind: KindInt},
		Column{Name: "calls", Kind: KindInt, Style: Scaled},
		Column{Name: "zero_share", Kind: KindFloat, Style: Percent},
		Column{Name: "entropy_bits", Kind: KindFloat},
		Column{Name: "sum", Kind: KindBigInt},
		Column{Name: "avg_ns", Kind: KindFloat, Style: Nanos},
		Column{Name: "bytes", Kind: KindInt, Style: Size},
		Column{Name: "price", Kind: KindDecimal},
		Column{Name: "ok", Kind: KindBool},
		Column{Name: "top_values", Kind: KindList, Style: Hex},
		Column{Name: "hist", Kind: KindMap},
		Column{Name: "pair", Kind: KindStruct},
	)
	t.Add("ffi_check_result", uint64(0), uint64(0xfffffff2), int64(-14), int64(12), 0.25, 1.5, big.NewInt(42),
		27.3, int64(512), Dec{big.NewInt(12345), 3}, true,
		[]any{uint64(0), uint64(0xbadadd85), nil}, Map{Keys: []any{int64(0), int64(32)}, Values: []any{int64(3), int64(1)}},
		Struct{Names: []string{"x", "y"}, Values: []any{uint64(0xaaaa), "b"}})
	t.Add("a_b%c&d#e$f{g}h~i^j\\k<l>|m*n`o", uint64(7), uint64(math.MaxUint64), int64(math.MinInt64), int64(1234567), 0.0004, math.NaN(), huge,
		1.5e6, int64(1536), Dec{big.NewInt(-5), 2}, false,
		[]any{}, Map{}, Struct{})
	t.Add("", nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil)
	t.Add("line\nbreak\ttab, \"quoted\"", uint64(1), uint64(1), int64(1), int64(99999), 1.0, math.Inf(1), big.NewInt(0),
		0.5, int64(3<<30), Dec{big.NewInt(7), 0}, true,
		[]any{uint64(1)}, Map{Keys: []any{"k"}, Values: []any{"v"}}, Struct{Names: []string{"n"}, Values: []any{nil}})
	return t
}

func TestFixtureIsValid(t *testing.T) {
	if err := fixture().Check(); err != nil {
		t.Fatal(err)
	}
}

func TestGolden(t *testing.T) {
	for _, name := range Formats() {
		t.Run(name, func(t *testing.T) {
			f, err := ParseFormat(name)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := fixture().Write(&b, f); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "fixture."+name), b.Bytes())
		})
	}
}

func TestCheckRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		col  Column
		v    any
	}{
		{"int in uint", Column{Kind: KindUint}, int64(1)},
		{"int", Column{Kind: KindInt}, 1},
		{"unknown type", Column{Kind: KindString}, struct{}{}},
		{"list in string", Column{Kind: KindString}, []any{}},
		{"bad element", Column{Kind: KindList}, []any{int32(1)}},
		{"short map", Column{Kind: KindMap}, Map{Keys: []any{"a"}}},
		{"nil big", Column{Kind: KindBigInt}, (*big.Int)(nil)},
		{"bad style", Column{Kind: KindInt, Style: Nanos + 1}, nil},
	} {
		tab := New(tc.col)
		tab.Add(tc.v)
		if err := tab.Check(); err == nil {
			t.Errorf("%s: Check accepted %#v", tc.name, tc.v)
		}
	}
	tab := New(Column{Name: "a"})
	tab.Add("x", "y")
	if tab.Check() == nil {
		t.Error("Check accepted a row of two values for one column")
	}
}

func TestHuman(t *testing.T) {
	for _, tc := range []struct {
		v    any
		s    Style
		want string
	}{
		{uint64(0xfffffff2), Hex, "0xfffffff2"},
		{uint64(14), Plain, "14"},
		{int64(-16), Hex, "-0x10"},
		{int64(9999), Scaled, "9999"},
		{int64(12345), Scaled, "12.3k"},
		{int64(123456), Scaled, "123k"},
		{int64(999999), Scaled, "1.00M"},
		{uint64(math.MaxUint64), Scaled, "18.4E"},
		{0.25, Percent, "25.0%"},
		{0.0004, Percent, "<0.1%"},
		{0.0, Percent, "0.0%"},
		{3.21889, Plain, "3.219"},
		{12345.678, Plain, "12346"},
		{2.0, Plain, "2"},
		{0.01234, Plain, "0.01234"},
		{27.3, Nanos, "27.3 ns"},
		{1500.0, Nanos, "1.50 µs"},
		{2.5e9, Nanos, "2.50 s"},
		{int64(512), Size, "512 B"},
		{int64(1536), Size, "1.50 KiB"},
		{Dec{big.NewInt(5), 3}, Plain, "0.005"},
		{Dec{big.NewInt(-1234), 2}, Plain, "-12.34"},
		{[]any{uint64(1), nil}, Hex, "[0x1, —]"},
		{"a\nb", Plain, `a\nb`},
	} {
		if got := human(tc.v, tc.s); got != tc.want {
			t.Errorf("human(%#v, %d) = %q, want %q", tc.v, tc.s, got, tc.want)
		}
	}
}

// TestExactKeepsValues: machine formats never round.
func TestExactKeepsValues(t *testing.T) {
	tab := New(Column{Name: "u", Kind: KindUint, Style: Hex}, Column{Name: "f", Kind: KindFloat, Style: Percent},
		Column{Name: "s", Kind: KindString})
	a, b := 0.1, 0.2 // variables: constant arithmetic would be exact
	tab.Add(uint64(math.MaxUint64), a+b, "")
	tab.Add(nil, nil, nil)
	want := map[Format]string{
		CSV:  "u,f,s\n18446744073709551615,0.30000000000000004,\"\"\n,,\n",
		TSV:  "u\tf\ts\n18446744073709551615\t0.30000000000000004\t\n\t\t\n",
		JSON: "{\"u\":18446744073709551615,\"f\":0.30000000000000004,\"s\":\"\"}\n{\"u\":null,\"f\":null,\"s\":null}\n",
	}
	checkRenders(t, tab, Options{}, want)
}

// checkRenders renders the table in each format of want, with o.
func checkRenders(t *testing.T, tab *Table, o Options, want map[Format]string) {
	t.Helper()
	for f, w := range want {
		var b strings.Builder
		if err := tab.WriteOptions(&b, f, o); err != nil {
			t.Fatal(err)
		}
		if b.String() != w {
			t.Errorf("%v:\n got %q\nwant %q", f, b.String(), w)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"table": Text, "TEXT": Text, "jsonl": JSON, "markdown": Markdown, "tex": LaTeX, "tsv": TSV} {
		if f, err := ParseFormat(in); err != nil || f != want {
			t.Errorf("ParseFormat(%q) = %v, %v", in, f, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("ParseFormat accepted xml")
	}
}

func TestWriterRejectsShortRow(t *testing.T) {
	for _, name := range Formats() {
		f, _ := ParseFormat(name)
		w, err := NewWriter(&bytes.Buffer{}, f, []Column{{Name: "a"}, {Name: "b"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write([]any{"x"}); err == nil {
			t.Errorf("%s: a short row was accepted", name)
		}
	}
}
