package server

import (
	"math"
	"testing"

	"github.com/miniasync/miniasync/protocol"
)

// TestLargestRequestSaturates: limits meaning "none" give the backend the
// largest allowance it takes (math.MaxInt32), never an overflowed sum.
func TestLargestRequestSaturates(t *testing.T) {
	for _, l := range []protocol.Limits{
		{MaxRequestLine: math.MaxInt, MaxHeaderBytes: math.MaxInt, MaxBodySize: math.MaxInt64},
		{MaxRequestLine: math.MaxInt - 1, MaxHeaderBytes: math.MaxInt / 2, MaxBodySize: math.MaxInt64 - 1},
		{MaxBodySize: math.MaxInt64},
	} {
		for _, stream := range []bool{false, true} {
			c, err := Config{Limits: l, StreamBodies: stream}.withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			got := c.largestRequest()
			want := math.MaxInt32
			if stream && l.MaxRequestLine == 0 {
				want = protocol.DefaultMaxRequestLine + 2*protocol.DefaultMaxHeaderBytes
			}
			if got != want {
				t.Errorf("%+v, StreamBodies %v: largestRequest = %d, want %d", l, stream, got, want)
			}
		}
	}
	c, err := Config{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.largestRequest(), protocol.DefaultMaxRequestLine+2*protocol.DefaultMaxHeaderBytes+protocol.DefaultMaxBodySize; got != want {
		t.Errorf("defaults: largestRequest = %d, want %d", got, want)
	}
}
