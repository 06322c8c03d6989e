package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/peterh/liner"
)

// HistoryFile is where kdf sql keeps the history of a terminal's
// statements by default: $XDG_STATE_HOME/kdf/history, or, as the XDG
// base directory specification defaults it, ~/.local/state/kdf/history;
// empty without either variable.
func HistoryFile() string {
	if dir := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "kdf", "history")
	}
	if home := os.Getenv("HOME"); home != "" {
		return filepath.Join(home, ".local", "state", "kdf", "history")
	}
	return ""
}

// editor reads lines from the terminal with liner.
type editor struct {
	line    *liner.State
	history string // the file; "" once saving it failed
	warn    io.Writer
}

func newEditor(history string, complete liner.WordCompleter, warn io.Writer) *editor {
	e := &editor{line: liner.NewLiner(), history: history, warn: warn}
	e.line.SetCtrlCAborts(true)
	e.line.SetTabCompletionStyle(liner.TabPrints)
	e.line.SetWordCompleter(complete)
	if f, err := os.Open(history); err == nil {
		e.line.ReadHistory(f) // what it could read is kept
		f.Close()
	}
	return e
}

// readLine returns when a line is read or ctx ends (SIGTERM while
// waiting at the prompt); then the goroutine left reading the terminal
// ends with the process.
func (e *editor) readLine(ctx context.Context, p string) (string, error) {
	type read struct {
		line string
		err  error
	}
	done := make(chan read, 1)
	go func() {
		line, err := e.line.Prompt(p)
		done <- read{line, err}
	}()
	select {
	case r := <-done:
		if errors.Is(r.err, liner.ErrPromptAborted) {
			r.err = errAborted
		}
		return r.line, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// add records entries and saves the history, so that a session
// killed later loses none of it.
func (e *editor) add(entries ...string) {
	for _, entry := range entries {
		if strings.TrimSpace(entry) != "" {
			e.line.AppendHistory(entry)
		}
	}
	if e.history == "" {
		return
	}
	if err := e.save(); err != nil {
		fmt.Fprintf(e.warn, "Warning: the history is not kept: %v\n", err)
		e.history = ""
	}
}

// save writes the history to a new file that replaces the old one, so
// that a crash while writing leaves the old one whole. Statements may
// hold what their author keeps to themselves: the file is theirs only.
func (e *editor) save() error {
	if err := os.MkdirAll(filepath.Dir(e.history), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(e.history), ".history-*")
	if err != nil {
		return err
	}
	_, err = e.line.WriteHistory(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), e.history)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// close gives the terminal back as it was.
func (e *editor) close() error { return e.line.Close() }

// historyEntries makes a statement typed over several lines one entry
// of the history, whose file holds one a line: its lines joined by
// spaces, unless a line comment would then swallow what follows it;
// such a statement is kept line by line.
func historyEntries(lines []string) []string {
	for _, l := range lines[:len(lines)-1] {
		if strings.Contains(l, "--") {
			return lines
		}
	}
	trimmed := make([]string, len(lines))
	for i, l := range lines {
		trimmed[i] = strings.TrimSpace(l)
	}
	return []string{strings.Join(trimmed, " ")}
}

// interruptible returns the context of one statement: when In is a
// terminal, Ctrl-C (SIGINT: liner leaves the terminal's signals on
// between lines) cancels it and nothing else.
func (s *Shell) interruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	if !s.Prompt {
		return ctx, func() {}
	}
	return signal.NotifyContext(ctx, os.Interrupt)
}
