// Package sqltext cuts SQL text into statements without parsing it: it
// knows just enough of DuckDB's lexical rules (quoted strings and
// identifiers, dollar-quoted strings, line and block comments) to find
// the semicolons that end statements.
package sqltext

import "strings"

// Statement is one statement of a text.
type Statement struct {
	// Doc is the text of the line comments right before the statement,
	// without their "--" markers: how the embedded SQL files document
	// each definition.
	Doc string
	// SQL is the statement without its semicolon, trimmed.
	SQL string
}

// Split cuts text into statements at the semicolons outside strings,
// identifiers and comments. Empty statements are dropped; a last
// statement without a semicolon is kept.
func Split(text string) []Statement {
	var out []Statement
	start := 0
	for _, end := range ends(text) {
		out = appendStatement(out, text[start:end])
		start = end + 1
	}
	return appendStatement(out, text[start:])
}

// Complete reports whether text ends with a statement's semicolon
// (trailing blanks and comments aside): what a shell waits for before
// it runs what was typed.
func Complete(text string) bool {
	e := ends(text)
	if len(e) == 0 {
		return false
	}
	rest := strings.TrimSpace(stripComments(text[e[len(e)-1]+1:]))
	return rest == ""
}

func appendStatement(out []Statement, chunk string) []Statement {
	sql := strings.TrimSpace(chunk)
	doc := leadingDoc(sql)
	if strings.TrimSpace(stripComments(sql)) == "" {
		return out
	}
	return append(out, Statement{Doc: doc, SQL: sql})
}

// leadingDoc collects the line comments that open a statement; a blank
// line resets them, so a file header is not taken for the first
// statement's doc.
func leadingDoc(sql string) string {
	var doc []string
	for _, line := range strings.Split(sql, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			doc = doc[:0]
		case strings.HasPrefix(line, "--"):
			doc = append(doc, strings.TrimSpace(strings.TrimPrefix(line, "--")))
		default:
			return strings.Join(doc, "\n")
		}
	}
	return strings.Join(doc, "\n")
}

// ends returns the offsets of the statement-ending semicolons.
func ends(text string) []int {
	var out []int
	code(text, func(i int) int {
		if text[i] == ';' {
			out = append(out, i)
		}
		return i
	})
	return out
}

// code calls visit at each offset of text outside strings, quoted
// identifiers and comments. visit returns the last offset it consumed:
// i itself, or more to skip what it read; len(text) stops the scan.
func code(text string, visit func(i int) int) {
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '\'' || c == '"':
			i = skipQuoted(text, i, c)
		case c == '-' && strings.HasPrefix(text[i:], "--"):
			i = skipTo(text, i, "\n")
		case c == '/' && strings.HasPrefix(text[i:], "/*"):
			i = skipTo(text, i+2, "*/") + 1
		case c == '$':
			if j := skipDollar(text, i); j > i {
				i = j
			} else {
				i = visit(i)
			}
		default:
			i = visit(i)
		}
	}
}

// skipQuoted returns the offset of the quote closing the one at i; a
// doubled quote is an escaped one. An unclosed quote runs to the end.
func skipQuoted(text string, i int, q byte) int {
	for j := i + 1; j < len(text); j++ {
		if text[j] == q {
			if j+1 < len(text) && text[j+1] == q {
				j++
				continue
			}
			return j
		}
	}
	return len(text)
}

// skipTo returns the offset of the last byte of the first sep at or
// after i, or the end of the text.
func skipTo(text string, i int, sep string) int {
	if k := strings.Index(text[i:], sep); k >= 0 {
		return i + k + len(sep) - 1
	}
	return len(text)
}

// skipDollar skips a dollar-quoted string $tag$...$tag$ starting at i;
// a $ that does not open one (a parameter such as $1) is left alone.
func skipDollar(text string, i int) int {
	j := i + 1
	for j < len(text) && (text[j] == '_' || isAlnum(text[j])) {
		j++
	}
	if j >= len(text) || text[j] != '$' || (j > i+1 && text[i+1] >= '0' && text[i+1] <= '9') {
		return i
	}
	tag := text[i : j+1]
	if k := strings.Index(text[j+1:], tag); k >= 0 {
		return j + 1 + k + len(tag) - 1
	}
	return len(text)
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// stripComments removes comments outside strings.
func stripComments(text string) string {
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '\'' || c == '"':
			j := skipQuoted(text, i, c)
			b.WriteString(text[i:min(j+1, len(text))])
			i = j
		case c == '-' && strings.HasPrefix(text[i:], "--"):
			i = skipTo(text, i, "\n")
			b.WriteByte('\n')
		case c == '/' && strings.HasPrefix(text[i:], "/*"):
			i = skipTo(text, i+2, "*/") + 1
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
