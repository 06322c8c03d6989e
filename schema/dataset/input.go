package dataset

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Outcomes of an input: every input file becomes a run or a reject.
const (
	OutcomeRun    = "run"
	OutcomeReject = "reject"
)

// Input is one input file of a commit group, as the ledger records it.
type Input struct {
	// SHA256 is the file's content hash, lowercase hex; empty only for a
	// reject whose content could not be read.
	SHA256  string `json:"sha256,omitempty"`
	Source  string `json:"source"`
	Path    string `json:"path"`
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"` // a reject's reason class
	RunID   int64  `json:"run_id,omitempty"` // a run's runs.run_id
	// Force re-ingests: the input supersedes what the ledger holds for
	// the same content or the same source and path instead of
	// conflicting with it (see the package doc).
	Force bool `json:"force,omitempty"`
}

// LedgerInput is a committed input and the commit that holds its rows.
type LedgerInput struct {
	Input
	Commit int64
}

// check validates an input before it is committed.
func (in Input) check() error {
	if in.Path == "" {
		return fmt.Errorf("input with no path")
	}
	if in.SHA256 != "" && !isHex64(in.SHA256) {
		return fmt.Errorf("input %s: sha256 %q is not 64 lowercase hex digits", in.Path, in.SHA256)
	}
	switch in.Outcome {
	case OutcomeRun:
		if in.SHA256 == "" || in.RunID == 0 {
			return fmt.Errorf("input %s: a run needs its sha256 and run_id", in.Path)
		}
	case OutcomeReject:
		if in.Reason == "" {
			return fmt.Errorf("input %s: a reject needs its reason", in.Path)
		}
	default:
		return fmt.Errorf("input %s: outcome %q is neither %q nor %q", in.Path, in.Outcome, OutcomeRun, OutcomeReject)
	}
	return nil
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// supersedes reports whether in, committed after old, replaces it: the
// same run content (one run per content, so one run_id), or the same
// file (a file is a run or a reject, once).
func (in Input) supersedes(old Input) bool {
	sameRun := in.Outcome == OutcomeRun && old.Outcome == OutcomeRun && in.SHA256 == old.SHA256
	return sameRun || in.Source == old.Source && in.Path == old.Path
}

// name identifies the input in messages: its hash, or its file.
func (in Input) name() string {
	if in.SHA256 != "" {
		return in.SHA256
	}
	return in.Source + ":" + in.Path
}

// ErrConflict is matched (errors.Is) by the *ConflictError Commit
// returns when another writer committed some of the group's inputs
// first.
var ErrConflict = errors.New("inputs already committed")

// ConflictError lists the inputs of a group that the ledger already
// holds. Nothing of the group was committed; the caller redoes it
// without them (or with Force, to re-ingest them).
type ConflictError struct {
	Inputs []Input       // the group's inputs that conflict
	Held   []LedgerInput // the committed inputs they would supersede
}

func (e *ConflictError) Error() string {
	names := make([]string, len(e.Inputs))
	for i, in := range e.Inputs {
		names[i] = in.name()
	}
	return fmt.Sprintf("dataset: %d inputs are already in the ledger (committed meanwhile by another writer, or earlier), nothing committed: %s",
		len(e.Inputs), strings.Join(names, ", "))
}

func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Hashes returns the conflicting inputs' content hashes.
func (e *ConflictError) Hashes() []string {
	var h []string
	for _, in := range e.Inputs {
		if in.SHA256 != "" {
			h = append(h, in.SHA256)
		}
	}
	return h
}

// entry is one ledger file: a commit intent (.pending) or a commit
// (.json). Committed entries are never changed or removed.
type entry struct {
	Commit int64     `json:"commit"`
	Writer string    `json:"writer"`
	Time   time.Time `json:"time"`
	Parts  []partRef `json:"parts"`
	Inputs []Input   `json:"inputs"`
}

// check validates an entry read back from the ledger.
func (e *entry) check(n int64) error {
	if e.Commit != n {
		return fmt.Errorf("entry says commit %d", e.Commit)
	}
	for _, p := range e.Parts {
		if err := p.check(n); err != nil {
			return err
		}
	}
	for _, in := range e.Inputs {
		if err := in.check(); err != nil {
			return err
		}
	}
	return nil
}
