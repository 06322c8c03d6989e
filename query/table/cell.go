package table

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// human renders a value for people, as its style says. NULL is the
// caller's business (each format spells it its own way).
func human(v any, s Style) string {
	switch v := v.(type) {
	case string:
		return escapeControl(v)
	case int64:
		if s == Plain { // the common cases, without a big.Int
			return strconv.FormatInt(v, 10)
		}
		return humanInt(big.NewInt(v), s)
	case uint64:
		switch s {
		case Plain:
			return strconv.FormatUint(v, 10)
		case Hex:
			return "0x" + strconv.FormatUint(v, 16)
		}
		return humanInt(new(big.Int).SetUint64(v), s)
	case *big.Int:
		return humanInt(v, s)
	case float64:
		return humanFloat(v, s)
	case Dec:
		if s == Plain {
			return v.String()
		}
		f, _ := new(big.Rat).SetFrac(v.Unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(v.Scale)), nil)).Float64()
		return humanFloat(f, s)
	case bool:
		return strconv.FormatBool(v)
	case []byte:
		return `\x` + hex.EncodeToString(v)
	}
	return nested(v, func(e any) string { return human(e, s) })
}

// nested renders lists as [a, b], maps as {k: v} and structs as
// {name: v}, each element by el; NULL elements read as Missing.
func nested(v any, el func(any) string) string {
	one := func(e any) string {
		if e == nil {
			return Missing
		}
		return el(e)
	}
	var parts []string
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			parts = append(parts, one(e))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case Map:
		for i, k := range v.Keys {
			parts = append(parts, one(k)+": "+one(v.Values[i]))
		}
	case Struct:
		for i, n := range v.Names {
			parts = append(parts, n+": "+one(v.Values[i]))
		}
	default:
		return fmt.Sprint(v)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func humanInt(v *big.Int, s Style) string {
	switch s {
	case Hex:
		if v.Sign() < 0 {
			return "-0x" + new(big.Int).Neg(v).Text(16)
		}
		return "0x" + v.Text(16)
	case Plain:
		return v.String()
	}
	f, _ := new(big.Float).SetInt(v).Float64()
	if s == Scaled && math.Abs(f) < 1e4 {
		return v.String()
	}
	return humanFloat(f, s)
}

func humanFloat(v float64, s Style) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	switch s {
	case Percent:
		return percent(v)
	case Scaled:
		if math.Abs(v) < 1e4 {
			return plainFloat(v)
		}
		return scale(v, 1000, []string{"", "k", "M", "G", "T", "P", "E"}, "")
	case Size:
		return scale(v, 1024, []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}, " ")
	case Nanos:
		return nanos(v)
	case Hex:
		if v == math.Trunc(v) && math.Abs(v) < 1<<63 {
			return humanInt(big.NewInt(int64(v)), Hex)
		}
	}
	return plainFloat(v)
}

// plainFloat keeps 4 significant digits without an exponent for the
// magnitudes tables show (12346, 3.219, 0.0123), exponents otherwise.
func plainFloat(v float64) string {
	a := math.Abs(v)
	if a >= 1e4 && a < 1e21 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// percent shows a fraction with one decimal; a share too small to show
// is "<0.1%", not a misleading 0.0%.
func percent(v float64) string {
	p := v * 100
	if p != 0 && math.Abs(p) < 0.05 {
		if p < 0 {
			return ">-0.1%"
		}
		return "<0.1%"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}

// scale divides by base until the number is below base and keeps three
// significant digits: 12.3k, 456M, 1.50 KiB; whole numbers below base
// stay exact (512 B).
func scale(v, base float64, units []string, sep string) string {
	i := 0
	for math.Abs(v) >= base*0.9995 && i < len(units)-1 {
		v /= base
		i++
	}
	if i == 0 && v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64) + sep + units[0]
	}
	return sig3(v) + sep + units[i]
}

// nanos picks the largest unit the duration reaches.
func nanos(v float64) string {
	for _, u := range []struct {
		name string
		ns   float64
	}{{"s", 1e9}, {"ms", 1e6}, {"µs", 1e3}} {
		if math.Abs(v) >= u.ns*0.9995 {
			return sig3(v/u.ns) + " " + u.name
		}
	}
	return sig3(v) + " ns"
}

// sig3 writes three significant digits for numbers below 1000.
func sig3(v float64) string {
	digits := 2
	switch a := math.Abs(v); {
	case a >= 99.95:
		digits = 0
	case a >= 9.995:
		digits = 1
	}
	return strconv.FormatFloat(v, 'f', digits, 64)
}

// exact renders a value for machines: nothing rounded or scaled.
func exact(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case uint64:
		return strconv.FormatUint(v, 10)
	case *big.Int:
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case Dec:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case []byte:
		return hex.EncodeToString(v)
	}
	return string(appendJSON(nil, v))
}

// escapeControl keeps a string on one line: newlines, tabs and other
// control characters are shown escaped.
func escapeControl(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case isControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
