// Package shell is kdf's interactive SQL shell over a dataset's views:
// statements end with a semicolon and may span lines; lines starting
// with a dot are commands (.help lists them). It reads any io.Reader,
// so it runs the same from a pipe or a test as from a terminal.
//
// At a terminal (Shell.Terminal) it edits lines, keeps their history in
// a file and completes the names of tables, views, macros and columns
// from DuckDB's catalog; Ctrl-C cancels the running statement and the
// session goes on (at the prompt it drops what was typed), Ctrl-D or
// .quit ends it. Line editing is github.com/peterh/liner: pure Go, no
// dependency but a rune-width table and golang.org/x/sys, released
// this year, and it owns the terminal only while it reads a line, so a
// running statement sees Ctrl-C as SIGINT. The others considered:
// github.com/chzyer/readline has had no release since 2022 and reads
// the terminal from a goroutine of its own even between lines;
// github.com/ergochat/readline, its maintained fork, is not served by
// the module proxy kdf builds from.
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
	// Prompt turns prompts on: when In is a terminal. Ctrl-C then
	// cancels the running statement, not the session.
	Prompt bool
	// Terminal reads lines from the process's terminal (os.Stdin and
	// os.Stdout, which In and Out then are) with editing, completion and
	// History. It implies Prompt.
	Terminal bool
	// History is the file that keeps the statements typed at the
	// terminal across sessions; empty keeps none.
	History string

	sess   *query.Session
	names  []string // for completion; nil until needed after a statement
	failed int
	quit   bool
}

const (
	prompt     = "kdf> "
	contPrompt = " ...> "
	maxLine    = 16 << 20 // a pasted statement may be long
)

// errAborted is a line reader's answer to Ctrl-C at the prompt.
var errAborted = errors.New("input dropped")

// lineReader reads what is typed or piped in, one line at a time.
type lineReader interface {
	// readLine returns the next line without its newline: io.EOF at
	// the end, errAborted when Ctrl-C dropped the line.
	readLine(ctx context.Context, prompt string) (string, error)
	// add records a statement or command once it is whole.
	add(entries ...string)
	close() error
}

// Run reads until the end of In, .quit or ctx's end. It returns an
// error when a statement failed and In is not a terminal, so that a
// script piped in reports its failure in the exit status.
func (s *Shell) Run(ctx context.Context) error {
	sess, err := s.DB.Session(ctx)
	if err != nil {
		return err
	}
	defer sess.Close()
	s.sess = sess
	s.Prompt = s.Prompt || s.Terminal
	lines := s.lineReader(ctx)
	defer lines.close()
	rest, err := s.loop(ctx, lines)
	if err != nil {
		return err
	}
	// A script's last statement may lack its semicolon; at a terminal,
	// Ctrl-D leaves what was typed.
	if !s.Terminal && strings.TrimSpace(rest) != "" && ctx.Err() == nil {
		s.execute(ctx, rest)
	}
	if s.Prompt && !(s.Terminal && s.quit) {
		fmt.Fprintln(s.Out) // after the last prompt
	}
	if s.failed > 0 && !s.Prompt {
		return fmt.Errorf("shell: %d statements failed", s.failed)
	}
	return nil
}

// loop runs statements and commands as their last line comes, until
// the end of the input, .quit or ctx's end. It returns what was read
// of a statement not yet ended.
func (s *Shell) loop(ctx context.Context, lines lineReader) (string, error) {
	var buf strings.Builder
	var typed []string // the statement's lines as typed, for the history
	for !s.quit && ctx.Err() == nil {
		p := prompt
		if buf.Len() > 0 {
			p = contPrompt
		}
		line, err := lines.readLine(ctx, p)
		switch {
		case errors.Is(err, errAborted):
			buf.Reset()
			typed = typed[:0]
			continue
		case err == io.EOF || ctx.Err() != nil:
			return buf.String(), nil
		case err != nil:
			return "", fmt.Errorf("shell: reading statements: %w", err)
		}
		if buf.Len() == 0 && strings.HasPrefix(strings.TrimSpace(line), ".") {
			lines.add(strings.TrimSpace(line))
			s.command(ctx, strings.Fields(strings.TrimSpace(line)))
			continue
		}
		buf.WriteString(line + "\n")
		typed = append(typed, line)
		if sqltext.Complete(buf.String()) {
			lines.add(historyEntries(typed)...)
			s.execute(ctx, buf.String())
			buf.Reset()
			typed = typed[:0]
		}
	}
	return "", nil
}

func (s *Shell) lineReader(ctx context.Context) lineReader {
	if s.Terminal {
		return newEditor(s.History, s.completer(ctx), s.Err)
	}
	sc := bufio.NewScanner(s.In)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	return &scanned{sc: sc, prompts: s.Prompt, out: s.Out}
}

// scanned reads lines from a reader, printing prompts when asked to.
type scanned struct {
	sc      *bufio.Scanner
	prompts bool
	out     io.Writer
}

func (r *scanned) readLine(_ context.Context, p string) (string, error) {
	if r.prompts {
		fmt.Fprint(r.out, p)
	}
	if r.sc.Scan() {
		return r.sc.Text(), nil
	}
	if err := r.sc.Err(); err != nil {
		return "", err
	}
	return "", io.EOF
}

func (r *scanned) add(...string) {}

func (r *scanned) close() error { return nil }

// execute runs each statement of text in turn and prints its result;
// Ctrl-C at a terminal cancels the one running and those after it.
func (s *Shell) execute(ctx context.Context, text string) {
	s.names = nil // the statements may create or drop names
	for _, st := range sqltext.Split(text) {
		stmtCtx, stop := s.interruptible(ctx)
		err := s.print(stmtCtx, st.SQL)
		interrupted := err != nil && stmtCtx.Err() != nil && ctx.Err() == nil
		stop()
		switch {
		case interrupted:
			s.failed++
			fmt.Fprintln(s.Err, "Error: interrupted")
			return
		case err != nil:
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
