package shell

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kdf-tools/kdf/query"
	"github.com/kdf-tools/kdf/query/table"
)

// command is one dot command.
type command struct {
	name, args, help string
	run              func(s *Shell, ctx context.Context, args []string) error
}

var commands []command

func init() {
	commands = []command{
		{".help", "", "list these commands", (*Shell).help},
		{".tables", "", "list the views, macros and tables with what each holds", (*Shell).tables},
		{".schema", "[NAME]", "the columns of a view or table and the SQL kdf defined it with; every definition without NAME", (*Shell).schema},
		{".format", "FORMAT", "print results as " + strings.Join(table.Formats(), ", "), (*Shell).format},
		{".quit", "", "leave the shell (also .exit, or the end of the input)", (*Shell).quitCmd},
		{".exit", "", "", (*Shell).quitCmd},
	}
}

func (s *Shell) command(ctx context.Context, f []string) {
	i := slices.IndexFunc(commands, func(c command) bool { return c.name == f[0] })
	if i < 0 {
		s.failed++
		fmt.Fprintf(s.Err, "Error: unknown command %s: .help lists them\n", f[0])
		return
	}
	if err := commands[i].run(s, ctx, f[1:]); err != nil {
		s.failed++
		fmt.Fprintf(s.Err, "Error: %s: %v\n", f[0], err)
	}
}

func (s *Shell) help(context.Context, []string) error {
	keys := ""
	if s.Terminal {
		keys = "\nTab completes names; Ctrl-C cancels the running statement, or drops the line typed; Ctrl-D leaves."
	}
	fmt.Fprintf(s.Out, "Statements end with ; and may span lines.%s Commands:\n", keys)
	for _, c := range commands {
		if c.help != "" {
			fmt.Fprintf(s.Out, "  %-18s %s\n", strings.TrimSpace(c.name+" "+c.args), c.help)
		}
	}
	return nil
}

// tables lists kdf's definitions, then what the session created.
func (s *Shell) tables(ctx context.Context, _ []string) error {
	t := table.New(table.Column{Name: "name"}, table.Column{Name: "kind"}, table.Column{Name: "about"})
	seen := map[string]bool{}
	for _, d := range s.DB.Definitions() {
		t.Add(d.Name, d.Kind, summary(d.Doc))
		seen[d.Name] = true
	}
	mine, err := s.sess.Query(ctx, `SELECT table_name, CASE WHEN temporary THEN 'temp table' ELSE 'table' END FROM duckdb_tables()
UNION ALL SELECT view_name, 'view' FROM duckdb_views() WHERE NOT internal ORDER BY 1`)
	if err != nil {
		return err
	}
	for _, r := range mine.Rows {
		if !seen[r[0].(string)] {
			t.Add(r[0], r[1], "created in this session")
		}
	}
	return t.Write(s.Out, s.Format)
}

// schema shows a name's columns and kdf's definition of it, or every
// definition.
func (s *Shell) schema(ctx context.Context, args []string) error {
	defs := s.DB.Definitions()
	if len(args) == 0 {
		for _, d := range defs {
			fmt.Fprintf(s.Out, "%s;\n\n", d.SQL)
		}
		return nil
	}
	name := args[0]
	i := slices.IndexFunc(defs, func(d query.Definition) bool { return d.Name == name })
	if i >= 0 && defs[i].Kind == "macro" {
		fmt.Fprintf(s.Out, "%s\n%s;\n", comment(defs[i].Doc), defs[i].SQL)
		return nil
	}
	cols, err := s.sess.Query(ctx, "SELECT column_name, column_type FROM (DESCRIBE "+quoteIdent(name)+")")
	if err != nil {
		return err
	}
	if err := cols.Write(s.Out, s.Format); err != nil {
		return err
	}
	if i >= 0 {
		fmt.Fprintf(s.Out, "\n%s\n%s;\n", comment(defs[i].Doc), defs[i].SQL)
	}
	return nil
}

// summary is a doc's first sentence on one line.
func summary(doc string) string {
	doc = strings.Join(strings.Fields(doc), " ")
	if i := strings.Index(doc, ". "); i >= 0 {
		doc = doc[:i+1]
	}
	return doc
}

func comment(doc string) string {
	if doc == "" {
		return ""
	}
	return "-- " + strings.ReplaceAll(doc, "\n", "\n-- ")
}

// quoteIdent quotes a name typed after .schema as an identifier.
func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

func (s *Shell) format(_ context.Context, args []string) error {
	if len(args) != 1 {
		fmt.Fprintf(s.Out, "format: %v (one of %s)\n", s.Format, strings.Join(table.Formats(), ", "))
		return nil
	}
	f, err := table.ParseFormat(args[0])
	if err != nil {
		return err
	}
	s.Format = f
	return nil
}

func (s *Shell) quitCmd(context.Context, []string) error {
	s.quit = true
	return nil
}
