// Package shell is kdf's interactive SQL shell over a dataset's views:
// statements end with a semicolon and may span lines; lines starting
// with a dot are commands (.help lists them). It reads any io.Reader,
// so it runs the same from a terminal, a pipe or a test.
package shell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kdf-tools/kdf/query"
	"github.com/kdf-tools/kdf/query/internal/sqltext"
	"github.com/kdf-tools/kdf/query/table"
)

// Shell reads statements from In and prints their results on Out.
type Shell struct {
	DB     *query.DB
	In     io.Reader
	Out    io.Writer // results, prompts and command output
	Err    io.Writer // errors
	Format table.Format
	// Prompt turns prompts on: when In is a terminal.
	Prompt bool

	sess   *query.Session
	failed int
	quit   bool
}

const (
	prompt     = "kdf> "
	contPrompt = " ...> "
	maxLine    = 16 << 20 // a pasted statement may be long
)

// Run reads until the end of In or .quit. It returns an error when a
// statement failed and In is not a terminal, so that a script piped in
// reports its failure in the exit status.
func (s *Shell) Run(ctx context.Context) error {
	sess, err := s.DB.Session(ctx)
	if err != nil {
		return err
	}
	defer sess.Close()
	s.sess = sess
	sc := bufio.NewScanner(s.In)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	var buf strings.Builder
	s.prompt(prompt)
	for !s.quit && sc.Scan() {
		line := sc.Text()
		if buf.Len() == 0 && strings.HasPrefix(strings.TrimSpace(line), ".") {
			if s.command(ctx, strings.Fields(strings.TrimSpace(line))); !s.quit {
				s.prompt(prompt)
			}
			continue
		}
		buf.WriteString(line + "\n")
		if !sqltext.Complete(buf.String()) {
			s.prompt(contPrompt)
			continue
		}
		s.execute(ctx, buf.String())
		buf.Reset()
		s.prompt(prompt)
	}
	if rest := buf.String(); !s.quit && strings.TrimSpace(rest) != "" {
		s.execute(ctx, rest) // the last statement may lack its semicolon
	}
	if s.Prompt {
		fmt.Fprintln(s.Out)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("shell: reading statements: %w", err)
	}
	if s.failed > 0 && !s.Prompt {
		return fmt.Errorf("shell: %d statements failed", s.failed)
	}
	return nil
}

func (s *Shell) prompt(p string) {
	if s.Prompt {
		fmt.Fprint(s.Out, p)
	}
}

// execute runs each statement of text in turn and prints its result.
func (s *Shell) execute(ctx context.Context, text string) {
	for _, st := range sqltext.Split(text) {
		if err := s.print(ctx, st.SQL); err != nil {
			s.failed++
			fmt.Fprintf(s.Err, "Error: %v\n", strings.TrimPrefix(err.Error(), "query: "))
			if errors.Is(ctx.Err(), context.Canceled) {
				return
			}
		}
	}
}

// print streams one statement's result in the shell's format.
func (s *Shell) print(ctx context.Context, sql string) error {
	if err := s.sess.CheckSettings(ctx, sql); err != nil {
		return err
	}
	rows, err := s.sess.Rows(ctx, sql)
	if err != nil {
		return err
	}
	defer rows.Close()
	w, err := table.NewWriter(s.Out, s.Format, rows.Columns())
	if err != nil {
		return err
	}
	for rows.Next() {
		if err := w.Write(rows.Row()); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
