package query

import (
	"context"
	"fmt"
	"math"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"

	"github.com/kdf-tools/kdf/query/internal/sqltext"
	"github.com/kdf-tools/kdf/query/table"
)

// Of the settings a query may still change (see the package
// documentation, Security), two can break kdf, and DuckDB accepts any
// value of either: it starts every thread as soon as threads is set (SET
// threads = 20000 starts 20000), and below a few blocks a thread every
// query fails, even SET memory_limit putting it back. kdf bounds both:
// threads to 1 to MaxThreads, memory_limit to 64 MiB up to the
// machine's memory (where DuckDB would be killed rather than spill).
const minMemoryLimit = 64 << 20

// MaxThreads is the most threads kdf lets DuckDB use: 4 per core.
func MaxThreads() int { return 4 * runtime.NumCPU() }

// check bounds the options as the same settings are bounded in SQL.
func (o Options) check() error {
	if o.Threads < 0 {
		return fmt.Errorf("query: threads %d: want 0 (one per core) or 1 to %d", o.Threads, MaxThreads())
	}
	if o.Threads > 0 {
		if err := checkThreads(int64(o.Threads)); err != nil {
			return fmt.Errorf("query: %w", err)
		}
	}
	if o.MemoryLimit != "" {
		if err := checkMemoryLimit(o.MemoryLimit); err != nil {
			return fmt.Errorf("query: %w", err)
		}
	}
	return nil
}

func checkThreads(n int64) error {
	if n < 1 || n > int64(MaxThreads()) {
		return fmt.Errorf("threads = %d: kdf allows 1 to %d (4 per core)", n, MaxThreads())
	}
	return nil
}

func checkMemoryLimit(text string) error {
	n, ok := parseMemory(text)
	if !ok {
		return fmt.Errorf("memory_limit = '%s': kdf takes a size such as 512MB or 4GiB (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)", text)
	}
	limit, known := physicalMemory()
	if n < minMemoryLimit || known && n > limit {
		most := "the machine's memory"
		if known {
			most += ", " + sizeText(limit)
		}
		return fmt.Errorf("memory_limit = '%s': kdf allows %s up to %s", text, sizeText(minMemoryLimit), most)
	}
	return nil
}

var memorySize = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]*)?)\s*([a-zA-Z]*)\s*$`)

// memoryUnits are the units DuckDB reads in a memory limit, lowercased.
var memoryUnits = map[string]float64{
	"b": 1, "byte": 1, "bytes": 1,
	"k": 1e3, "kb": 1e3, "kilobyte": 1e3, "kilobytes": 1e3,
	"m": 1e6, "mb": 1e6, "megabyte": 1e6, "megabytes": 1e6,
	"g": 1e9, "gb": 1e9, "gigabyte": 1e9, "gigabytes": 1e9,
	"t": 1e12, "tb": 1e12, "terabyte": 1e12, "terabytes": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// parseMemory reads a memory limit as DuckDB does; "-1" and "none", no
// limit at all, are not sizes.
func parseMemory(text string) (int64, bool) {
	m := memorySize.FindStringSubmatch(text)
	if m == nil {
		return 0, false
	}
	unit, ok := memoryUnits[strings.ToLower(m[2])]
	v, err := strconv.ParseFloat(m[1], 64)
	if !ok || err != nil || v*unit >= math.MaxInt64 {
		return 0, false
	}
	return int64(v * unit), true
}

// sizeText writes a size in MiB, or in GiB from 1 GiB.
func sizeText(n int64) string {
	if n < 1<<30 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%.1fGiB", float64(n)/(1<<30))
}

// physicalMemory reads the machine's memory from /proc/meminfo; where
// there is none, memory_limit has no upper bound.
func physicalMemory() (int64, bool) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err == nil && kb > 0
		}
	}
	return 0, false
}

// CheckSettings refuses, before anything runs, a statement of text that
// would set threads or memory_limit (or their other names,
// worker_threads and max_memory) out of kdf's bounds; kdf query and the
// shell run it on the SQL they are given. A value is an expression, so
// DuckDB computes it first, with the session's variables.
func (s *Session) CheckSettings(ctx context.Context, text string) error {
	return checkSettings(text, func(q string) (*table.Table, error) { return s.Query(ctx, q) })
}

// CheckSettings is Session.CheckSettings for a query run with vars.
func (db *DB) CheckSettings(ctx context.Context, text string, vars Vars) error {
	return checkSettings(text, func(q string) (*table.Table, error) { return db.Query(ctx, q, vars) })
}

// checkSettings checks each statement of text, computing a bounded
// setting's value with eval.
func checkSettings(text string, eval func(query string) (*table.Table, error)) error {
	for _, st := range sqltext.Split(text) {
		name, value, err := boundedSetting(st.SQL)
		if err != nil {
			return err
		}
		if name == "" {
			continue
		}
		typ := "BIGINT"
		if name == "memory_limit" {
			typ = "VARCHAR"
		}
		// The value on lines of its own: a trailing line comment in it
		// must not swallow the cast.
		t, err := eval("SELECT CAST((\n" + value + "\n) AS " + typ + ")")
		if err != nil {
			// DuckDB's first line says why; the rest points into the
			// cast around the value, which the user did not write.
			why, _, _ := strings.Cut(strings.TrimPrefix(err.Error(), "query: "), "\n")
			return fmt.Errorf("query: %s = %s: %s", name, value, why)
		}
		if len(t.Rows) != 1 || t.Rows[0][0] == nil {
			return fmt.Errorf("query: %s = %s: no value (NULL)", name, value)
		}
		if name == "threads" {
			err = checkThreads(t.Rows[0][0].(int64))
		} else {
			err = checkMemoryLimit(t.Rows[0][0].(string))
		}
		if err != nil {
			return fmt.Errorf("query: %w", err)
		}
	}
	return nil
}

// boundedNames maps the names of the bounded settings to the one kdf
// calls them by.
var boundedNames = map[string]string{
	"threads": "threads", "worker_threads": "threads",
	"memory_limit": "memory_limit", "max_memory": "memory_limit",
}

// boundedSetting reads a statement that sets a bounded setting: [EXPLAIN
// [ANALYZE]] SET [GLOBAL|SESSION|LOCAL] name {=|TO} value, or PRAGMA
// name = value (EXPLAIN ANALYZE runs what it explains). It returns the
// setting's name and the value's SQL, or no name for any other
// statement; an error for one that names a bounded setting in a form
// it does not know, rather than let it through unchecked.
func boundedSetting(stmt string) (name, value string, err error) {
	sc := &scanner{text: stmt}
	verb := sc.word()
	for verb == "explain" || verb == "analyze" || verb == "analyse" || verb == "(" {
		if verb == "(" {
			sc.skipGroup()
		}
		verb = sc.word()
	}
	if verb != "set" && verb != "pragma" {
		return "", "", nil
	}
	w := sc.word()
	if verb == "set" && (w == "global" || w == "session" || w == "local") {
		w = sc.word()
	}
	name = boundedNames[w]
	if name == "" {
		return "", "", nil
	}
	if op := sc.word(); op != "=" && !(verb == "set" && op == "to") {
		return "", "", fmt.Errorf("query: kdf checks %s and reads it only as SET %s = value", w, w)
	}
	return name, strings.TrimSpace(stmt[sc.i:]), nil
}

// scanner reads the words of a statement, skipping blanks and comments.
type scanner struct {
	text string
	i    int
}

// word returns the next identifier or keyword lowercased (a quoted one
// unquoted), or the next character, or "" at the end.
func (sc *scanner) word() string {
	sc.skipBlanks()
	if sc.i >= len(sc.text) {
		return ""
	}
	start, c := sc.i, sc.text[sc.i]
	switch {
	case c == '"':
		end := strings.IndexByte(sc.text[start+1:], '"')
		if end < 0 {
			sc.i = len(sc.text)
			return ""
		}
		sc.i = start + 1 + end + 1
		return strings.ToLower(sc.text[start+1 : sc.i-1])
	case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		for sc.i < len(sc.text) && isIdent(sc.text[sc.i]) {
			sc.i++
		}
		return strings.ToLower(sc.text[start:sc.i])
	}
	sc.i++
	return string(c)
}

func isIdent(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// skipGroup skips to the parenthesis that closes the one just read.
func (sc *scanner) skipGroup() {
	for depth := 1; depth > 0; {
		switch sc.word() {
		case "(":
			depth++
		case ")":
			depth--
		case "":
			return
		}
	}
}

func (sc *scanner) skipBlanks() {
	for sc.i < len(sc.text) {
		rest := sc.text[sc.i:]
		switch {
		case rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '\r':
			sc.i++
		case strings.HasPrefix(rest, "--"):
			if end := strings.IndexByte(rest, '\n'); end >= 0 {
				sc.i += end
			} else {
				sc.i = len(sc.text)
			}
		case strings.HasPrefix(rest, "/*"):
			if end := strings.Index(rest, "*/"); end >= 0 {
				sc.i += end + 2
			} else {
				sc.i = len(sc.text)
			}
		default:
			return
		}
	}
}
