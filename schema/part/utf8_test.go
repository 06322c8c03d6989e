package part

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/kdf-tools/kdf/schema"
)

// hostileStrings are strings a hostile kallsyms, path or manifest may
// carry, with what the part must hold instead.
var hostileStrings = []struct{ in, want string }{
	{"plain", "plain"},
	{"", ""},
	{"ünïcødé", "ünïcødé"},
	{`back\slash \x41`, `back\slash \x41`},
	{"caf\xe9", `caf\xe9`},
	{"\xff\xfe", `\xff\xfe`},
	{"\xed\xa0\x80", `\xed\xa0\x80`},         // a surrogate
	{"\xc0\xaf", `\xc0\xaf`},                 // an overlong '/'
	{"\xf4\x90\x80\x80", `\xf4\x90\x80\x80`}, // past U+10FFFF
	{"ab\xe2\x82", `ab\xe2\x82`},             // cut short
	{"\xe2\x82\xac\x80", "€\\x80"},           // a stray continuation byte
	{"\xc3", `\xc3`},                         // with the next, "é": each is invalid alone
	{"\xa9", `\xa9`},
	{"nul\x00byte", "nul\x00byte"},
}

func TestAppendEscaped(t *testing.T) {
	for _, c := range hostileStrings {
		got := string(appendEscaped(nil, []byte(c.in)))
		if got != c.want || !utf8.ValidString(got) {
			t.Errorf("escape(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestValidStrings(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, c := range []struct {
		strs  []string
		valid bool
	}{
		{[]string{"a", "é", ""}, true},
		{[]string{"\xc3", "\xa9"}, false},     // valid only together
		{[]string{"\xc3", "", "\xa9"}, false}, // across an empty string
		{[]string{"é", "\xa9"}, false},
		{[]string{"ab\xe2"}, false},
	} {
		b := array.NewStringBuilder(mem)
		b.AppendValues(c.strs, nil)
		a := b.NewArray()
		offs, data := stringData(a)
		if got := validStrings(offs, data); got != c.valid {
			t.Errorf("validStrings(%q) = %v, want %v", c.strs, got, c.valid)
		}
		a.Release()
		b.Release()
	}
}

// hostileTable has a column of each kind that holds strings.
var hostileTable = &schema.Table{Name: "hostile", Columns: []schema.Column{
	{Name: "plain", Type: arrow.BinaryTypes.String},
	{Name: "plain_null", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "dict", Type: arrow.BinaryTypes.String, Dict: true},
	{Name: "dict_null", Type: arrow.BinaryTypes.String, Nullable: true, Dict: true},
	{Name: "list", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	{Name: "map", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.BinaryTypes.String)},
}}

// hostileBatch fills every column of hostileTable with the hostile
// strings, each row a different mix, and returns the rows the part must
// hold.
func hostileBatch(mem memory.Allocator, n int) (arrow.RecordBatch, [][]any) {
	b := array.NewRecordBuilder(mem, hostileTable.Schema())
	defer b.Release()
	var want [][]any
	h := func(i int) (string, string) { c := hostileStrings[i%len(hostileStrings)]; return c.in, c.want }
	for i := range n {
		row := make([]any, 6)
		s, w := h(i)
		b.Field(0).(*array.StringBuilder).Append(s)
		row[0] = w
		if i%3 == 0 {
			b.Field(1).AppendNull()
		} else {
			s, w := h(i + 1)
			b.Field(1).(*array.StringBuilder).Append(s)
			row[1] = w
		}
		s, w = h(i + 2)
		b.Field(2).(*array.StringBuilder).Append(s)
		row[2] = w
		s, w = h(i * 7)
		b.Field(3).(*array.StringBuilder).Append(s)
		row[3] = w
		row[4] = appendHostileList(b.Field(4).(*array.ListBuilder), i)
		row[5] = appendHostileMap(b.Field(5).(*array.MapBuilder), i)
		want = append(want, row)
	}
	return b.NewRecordBatch(), want
}

func appendHostileList(lb *array.ListBuilder, i int) any {
	if i%5 == 4 {
		lb.AppendNull()
		return nil
	}
	lb.Append(true)
	l := []any{}
	for j := range i % 4 {
		c := hostileStrings[(i+j)%len(hostileStrings)]
		lb.ValueBuilder().(*array.StringBuilder).Append(c.in)
		l = append(l, c.want)
	}
	return l
}

func appendHostileMap(mb *array.MapBuilder, i int) any {
	mb.Append(true)
	m := []kv{}
	for j := range i % 3 {
		k := hostileStrings[(i+3*j)%len(hostileStrings)]
		v := hostileStrings[(i+3*j+1)%len(hostileStrings)]
		mb.KeyBuilder().(*array.StringBuilder).Append(k.in)
		if j == 1 {
			mb.ItemBuilder().AppendNull()
			m = append(m, kv{k.want, nil})
			continue
		}
		mb.ItemBuilder().(*array.StringBuilder).Append(v.in)
		m = append(m, kv{k.want, v.want})
	}
	return m
}

// TestHostileStrings writes invalid UTF-8 into every kind of string
// column and reads the escaped strings back with parquet-go; every
// string in the statistics and the page index is valid UTF-8 too.
func TestHostileStrings(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec, want := hostileBatch(mem, 500)
	data, _ := writeBatches(t, hostileTable, Options{RowGroupRows: 200, PageBytes: 1 << 10}, []arrow.RecordBatch{rec})
	f, got := readPart(t, data, hostileTable)
	compareRows(t, hostileTable, got, want)
	for _, rg := range f.Metadata().RowGroups {
		for _, c := range rg.Columns {
			st := c.MetaData.Statistics
			for _, b := range [][]byte{st.MinValue, st.MaxValue} {
				if !utf8.Valid(b) {
					t.Errorf("%v: statistics bound %q is not UTF-8", c.MetaData.PathInSchema, b)
				}
			}
		}
	}
	for _, ix := range f.ColumnIndexes() {
		for _, b := range append(ix.MinValues, ix.MaxValues...) {
			if !utf8.Valid(b) {
				t.Errorf("page index bound %q is not UTF-8", b)
			}
		}
	}
}

// TestHostileStringsPastDictionary fills a dictionary past
// dictionaryMaxBytes, so that the invalid strings after it are written
// in PLAIN pages.
func TestHostileStringsPastDictionary(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	tbl := &schema.Table{Name: "t", Columns: []schema.Column{{Name: "s", Type: arrow.BinaryTypes.String, Dict: true}}}
	b := array.NewStringBuilder(mem)
	var want [][]any
	pad := strings.Repeat("x", 100)
	for i := 0; 104*i < 2*dictionaryMaxBytes; i++ {
		c := hostileStrings[i%len(hostileStrings)]
		b.Append(fmt.Sprintf("%s%04x%s", c.in, i%0x10000, pad))
		want = append(want, []any{fmt.Sprintf("%s%04x%s", c.want, i%0x10000, pad)})
	}
	a := b.NewArray()
	b.Release()
	rec := array.NewRecordBatch(tbl.Schema(), []arrow.Array{a}, int64(a.Len()))
	a.Release()
	data, _ := writeBatches(t, tbl, Options{}, []arrow.RecordBatch{rec})
	f, got := readPart(t, data, tbl)
	compareRows(t, tbl, got, want)
	if enc := f.Metadata().RowGroups[0].Columns[0].MetaData.EncodingStats; len(enc) < 3 {
		t.Errorf("encoding stats %v: want dictionary and PLAIN data pages", enc)
	}
}
