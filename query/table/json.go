package table

import (
	"encoding/hex"
	"math"
	"math/big"
	"strconv"
	"unicode/utf8"
)

// appendJSON appends v as JSON. Integers of every width are written in
// full as JSON numbers (readers that parse numbers as doubles lose
// precision past 2^53; that is theirs to choose); floats that JSON
// cannot hold (NaN, infinities) become the strings "NaN", "+Inf",
// "-Inf"; decimals are numbers with their exact digits; bytes are a hex
// string; maps are objects when every key is a string, otherwise arrays
// of [key, value] pairs.
func appendJSON(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendJSONString(b, v)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case uint64:
		return strconv.AppendUint(b, v, 10)
	case *big.Int:
		return v.Append(b, 10)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return appendJSONString(b, strconv.FormatFloat(v, 'g', -1, 64))
		}
		return strconv.AppendFloat(b, v, 'g', -1, 64)
	case Dec:
		return append(b, v.String()...)
	case bool:
		return strconv.AppendBool(b, v)
	case []byte:
		return appendJSONString(b, hex.EncodeToString(v))
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, e)
		}
		return append(b, ']')
	case Map:
		return appendJSONMap(b, v)
	case Struct:
		return appendJSONObject(b, v.Names, v.Values)
	}
	return appendJSONString(b, "?")
}

func appendJSONMap(b []byte, m Map) []byte {
	names := make([]string, len(m.Keys))
	for i, k := range m.Keys {
		s, ok := k.(string)
		if !ok {
			pairs := make([]any, len(m.Keys))
			for j := range m.Keys {
				pairs[j] = []any{m.Keys[j], m.Values[j]}
			}
			return appendJSON(b, pairs)
		}
		names[i] = s
	}
	return appendJSONObject(b, names, m.Values)
}

func appendJSONObject(b []byte, names []string, vals []any) []byte {
	b = append(b, '{')
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, n)
		b = append(b, ':')
		b = appendJSON(b, vals[i])
	}
	return append(b, '}')
}

// appendJSONString quotes s as encoding/json would, without its HTML
// escaping; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			b = append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}
