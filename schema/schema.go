package schema

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Version is the dataset's schema version, written to kdf.json; it
// changes whenever a column is added, removed or changes meaning.
const Version = 3

// Schema returns the table's Arrow schema. Column docs travel as field
// metadata under "doc".
func (t *Table) Schema() *arrow.Schema {
	fields := make([]arrow.Field, len(t.Columns))
	for i, c := range t.Columns {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type, Nullable: c.Nullable,
			Metadata: arrow.NewMetadata([]string{"doc"}, []string{c.Doc})}
	}
	return arrow.NewSchema(fields, nil)
}

// Index returns the position of the named column, or -1.
func (t *Table) Index(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Markdown documents every table and column, for the README.
func Markdown() string {
	var b strings.Builder
	for _, t := range All {
		fmt.Fprintf(&b, "### `%s`: %s\n\n| column | type | meaning |\n|---|---|---|\n", t.Name, t.Doc)
		for _, c := range t.Columns {
			typ := c.Type.String()
			if c.Nullable {
				typ += ", nullable"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", c.Name, typ, c.Doc)
		}
		b.WriteString("\n")
	}
	return b.String()
}
