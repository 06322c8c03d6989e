package source

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Attrs are a run's attributes: key=value path segments and manifest
// fields, every value kept as text exactly as written. Numbers keep
// their JSON spelling (json.Number), so 1e3 stays "1e3" and a 20-digit
// counter loses nothing; strings are unquoted; true/false stay as
// written; objects and arrays are kept as compact JSON text.
type Attrs map[string]string

// The manifest keys with typed accessors.
const (
	AttrFile          = "file"
	AttrProgram       = "program"
	AttrExecNS        = "exec_ns"
	AttrBaselineNS    = "baseline_ns"
	AttrArm           = "arm"
	AttrTrial         = "trial"
	AttrVM            = "vm"
	AttrTimestamp     = "timestamp"
	AttrCapacityWords = "capacity_words"
	AttrLayout        = "layout"
)

// maxCapacityWords is the kernel's limit per fd: 128 MiB of u64 words.
const maxCapacityWords = 1 << 24

// Int64 parses the attribute key as a decimal integer. ok is false when
// the attribute is absent; err says why a present value is unusable.
func (a Attrs) Int64(key string) (v int64, ok bool, err error) {
	s, ok := a[key]
	if !ok {
		return 0, false, nil
	}
	v, err = strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, true, fmt.Errorf("attribute %s = %q: want a decimal integer", key, s)
	}
	return v, true, nil
}

// nonNegative is Int64 for quantities that cannot be negative.
func (a Attrs) nonNegative(key string, limit int64) (int64, bool, error) {
	v, ok, err := a.Int64(key)
	if err == nil && ok && (v < 0 || v > limit) {
		err = fmt.Errorf("attribute %s = %d: want 0..%d", key, v, limit)
	}
	return v, ok, err
}

// ExecNS is the program's execution time in nanoseconds (exec_ns).
func (a Attrs) ExecNS() (int64, bool, error) {
	return a.nonNegative(AttrExecNS, 1<<63-1)
}

// BaselineNS is the execution time without tracing (baseline_ns).
func (a Attrs) BaselineNS() (int64, bool, error) {
	return a.nonNegative(AttrBaselineNS, 1<<63-1)
}

// CapacityWords is the buffer's capacity in u64 words (capacity_words),
// at most the kernel's 2^24 so a hostile manifest cannot make a caller
// size something by it.
func (a Attrs) CapacityWords() (int64, bool, error) {
	v, ok, err := a.nonNegative(AttrCapacityWords, maxCapacityWords)
	if err == nil && ok && v == 0 {
		err = fmt.Errorf("attribute %s = 0: a buffer holds at least its counter word", AttrCapacityWords)
	}
	return v, ok, err
}

// Layout is the buffer layout a manifest declares: "A", "B", or "" for
// auto-detection ("auto" or absent). It returns the ingest package's
// spelling so a caller passes it to ingest.ParseLayout unchanged.
func (a Attrs) Layout() (string, error) {
	s := a[AttrLayout]
	switch strings.ToUpper(s) {
	case "A", "B":
		return strings.ToUpper(s), nil
	case "", "AUTO":
		return "", nil
	}
	return "", fmt.Errorf("attribute %s = %q: want A, B or auto", AttrLayout, s)
}

// AttrError is a typed attribute whose value is unusable, and where the
// value came from.
type AttrError struct {
	Key      string
	Manifest string // the manifest's path in the source; "" for a key=value path segment
	Line     int    // the manifest line
	Err      error  // what is wrong with the value (it names the value)
}

func (e *AttrError) Error() string {
	if e.Manifest == "" {
		return fmt.Sprintf("%v, from the path: ignored; rename the directory", e.Err)
	}
	return fmt.Sprintf("%s: line %d: %v: ignored; fix the manifest line", e.Manifest, e.Line, e.Err)
}

func (e *AttrError) Unwrap() error { return e.Err }

// CheckAttrs reports the typed attributes (exec_ns, baseline_ns,
// capacity_words, layout) whose values the accessors of Attrs refuse,
// one *AttrError each, joined: a run is ingested without them, and the
// error says which value, from which manifest line, so that a column
// left NULL is never a silent loss.
func (e *Entry) CheckAttrs() error {
	var errs []error
	add := func(key string, err error) {
		if err != nil {
			errs = append(errs, e.attrError(key, err))
		}
	}
	_, _, err := e.Attrs.ExecNS()
	add(AttrExecNS, err)
	_, _, err = e.Attrs.BaselineNS()
	add(AttrBaselineNS, err)
	_, _, err = e.Attrs.CapacityWords()
	add(AttrCapacityWords, err)
	_, err = e.Attrs.Layout()
	add(AttrLayout, err)
	return errors.Join(errs...)
}

// attrError traces key's value to the deepest manifest line that set it.
func (e *Entry) attrError(key string, err error) *AttrError {
	ae := &AttrError{Key: key, Err: err}
	for _, l := range slices.Backward(e.attrLines) {
		if _, ok := l.attrs[key]; ok {
			ae.Manifest, ae.Line = l.manifest, l.line
			break
		}
	}
	return ae
}

// pathAttrs adds the key=value segments of the directory part of p, the
// deeper segment winning for a repeated key. The file name itself is not
// a segment: prog-7.kcdf names a run, it does not describe one. Values
// are taken verbatim (no %XX decoding).
func pathAttrs(a Attrs, dirs []string) {
	for _, seg := range dirs {
		k, v, ok := strings.Cut(seg, "=")
		if ok && k != "" {
			a[k] = v
		}
	}
}
