package netpoll

import (
	"math"
	"testing"
)

// TestReadingCap: before the owner says what it expects, a connection may
// hold the largest request the server accepts plus some slack, never less
// than MaxPendingInput, and the sum does not wrap for an unlimited body.
func TestReadingCap(t *testing.T) {
	for _, tc := range []struct {
		pending    int
		maxRequest int64
		want       int
	}{
		{DefaultMaxPendingInput, 0, DefaultMaxPendingInput},
		{DefaultMaxPendingInput, 100, DefaultMaxPendingInput},
		{DefaultMaxPendingInput, 10 << 20, 10<<20 + inputSlack},
		{DefaultMaxPendingInput, math.MaxInt64, math.MaxInt32},
		{64 << 20, 10 << 20, 64 << 20},
	} {
		if got := readingCap(tc.pending, tc.maxRequest); got != tc.want {
			t.Errorf("MaxPendingInput %d, largest request %d: %d, want %d", tc.pending, tc.maxRequest, got, tc.want)
		}
	}
}
