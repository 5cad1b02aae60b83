package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Count formats n with thousands separators: 1234567 -> "1,234,567".
func Count(n float64) string {
	s := strconv.FormatInt(int64(math.Round(n)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Micros formats a latency in microseconds with a fitting unit:
// "87µs", "1.25ms", "2.10s".
func Micros(us float64) string {
	switch {
	case us <= 0:
		return "-"
	case us < 1000:
		return fmt.Sprintf("%.0fµs", us)
	case us < 1e6:
		return fmt.Sprintf("%.2fms", us/1e3)
	default:
		return fmt.Sprintf("%.2fs", us/1e6)
	}
}

// Ratio formats a ratio as "1.00x", or "-" when unknown.
func Ratio(r float64) string {
	if r <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", r)
}

// MiB formats bytes as mebibytes with one decimal, or "-" when unknown.
func MiB(b float64) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", b/(1<<20))
}
