package sqltext

import "strings"

// BindVariables replaces each call getvariable('name') outside strings
// and comments, for which value(name) reports true, by the value's SQL
// text. It returns false, and text unchanged, when the text may see
// variables some other way: a getvariable whose argument is not one
// string literal, SET or RESET VARIABLE, or duckdb_variables(). Then
// only declaring the variables on the connection keeps the meaning.
func BindVariables(text string, value func(name string) (string, bool)) (string, bool) {
	var b strings.Builder
	last, refused := 0, false // text[last:] is not yet copied to b
	code(text, func(i int) int {
		if !isWordStart(text[i]) || i > 0 && isWord(text[i-1]) {
			return i
		}
		j := i
		for j < len(text) && isWord(text[j]) {
			j++
		}
		switch strings.ToLower(text[i:j]) {
		case "variable", "duckdb_variables":
			refused = true
			return len(text)
		case "getvariable":
			name, end, ok := literalCall(text, j)
			if !ok {
				refused = true
				return len(text)
			}
			if v, ok := value(name); ok {
				b.WriteString(text[last:i])
				b.WriteString(v)
				last = end
			}
			j = end
		}
		return j - 1
	})
	switch {
	case refused:
		return text, false
	case last == 0:
		return text, true
	}
	b.WriteString(text[last:])
	return b.String(), true
}

// literalCall reads "( 'name' )" from i, blanks allowed, and returns
// the name and the offset just past the parenthesis.
func literalCall(text string, i int) (name string, end int, ok bool) {
	i = skipBlanks(text, i)
	if i >= len(text) || text[i] != '(' {
		return "", 0, false
	}
	i = skipBlanks(text, i+1)
	if i >= len(text) || text[i] != '\'' {
		return "", 0, false
	}
	close := skipQuoted(text, i, '\'')
	if close >= len(text) {
		return "", 0, false
	}
	name = strings.ReplaceAll(text[i+1:close], "''", "'")
	i = skipBlanks(text, close+1)
	if i >= len(text) || text[i] != ')' {
		return "", 0, false
	}
	return name, i + 1, true
}

func skipBlanks(text string, i int) int {
	for i < len(text) && strings.IndexByte(" \t\r\n", text[i]) >= 0 {
		i++
	}
	return i
}

func isWordStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// isWord reports whether c can be part of an identifier; bytes of
// UTF-8 sequences count, as DuckDB's identifiers may hold letters of any
// script.
func isWord(c byte) bool { return c == '_' || isAlnum(c) || c >= 0x80 }
