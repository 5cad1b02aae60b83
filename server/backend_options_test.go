package server

import (
	"math"
	"testing"

	"github.com/miniasync/miniasync/protocol"
)

// TestMaxRequestSaturates: the largest request the limits let through, as
// told to the backend, does not wrap around for an unlimited body.
func TestMaxRequestSaturates(t *testing.T) {
	l := protocol.Limits{MaxRequestLine: 8 << 10, MaxHeaderBytes: 64 << 10, MaxBodySize: 10 << 20}
	if got, want := maxRequest(l), int64(8<<10+64<<10+10<<20); got != want {
		t.Fatalf("maxRequest = %d, want %d", got, want)
	}
	l.MaxBodySize = math.MaxInt64
	if got := maxRequest(l); got != math.MaxInt64 {
		t.Fatalf("maxRequest with an unlimited body = %d, want MaxInt64", got)
	}
}
