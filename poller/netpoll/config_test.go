package netpoll

import (
	"math"
	"testing"

	"github.com/miniasync/miniasync/poller"
)

// TestPendingInputFitsTheLargestRequest: by default a connection may hold
// the largest request the server accepts (poller.Options.MaxRequest) plus
// some slack, never less than DefaultMaxPendingInput; a set MaxPendingInput
// stays as it is.
func TestPendingInputFitsTheLargestRequest(t *testing.T) {
	for _, tc := range []struct {
		o    poller.Options
		want int
	}{
		{poller.Options{}, DefaultMaxPendingInput},
		{poller.Options{MaxRequest: 100}, DefaultMaxPendingInput},
		{poller.Options{MaxRequest: 10 << 20}, 10<<20 + inputSlack},
		{poller.Options{MaxRequest: 1 << 40}, math.MaxInt32},
		{poller.Options{MaxRequest: math.MaxInt64}, math.MaxInt32},
		{poller.Options{MaxRequest: 10 << 20, Backend: Config{MaxPendingInput: 4096}}, 4096},
	} {
		c, err := configFrom(tc.o)
		if err != nil || c.MaxPendingInput != tc.want {
			t.Errorf("MaxRequest %d, MaxPendingInput %v: got %d (%v), want %d",
				tc.o.MaxRequest, tc.o.Backend, c.MaxPendingInput, err, tc.want)
		}
	}
}
