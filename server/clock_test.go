package server

import (
	"testing"
	"time"

	"github.com/miniasync/miniasync/protocol"
)

func TestClockFollowsWallClock(t *testing.T) {
	c := newClock()
	if d := time.Duration(c.unixNano() - time.Now().UnixNano()); d < -50*time.Millisecond || d > 50*time.Millisecond {
		t.Fatalf("clock is %v off time.Now", d)
	}
	// A wall clock stepped by an hour since the last sync: unixNano is
	// off until sync reads the wall clock again.
	c.offset.Add(int64(time.Hour))
	if d := time.Duration(c.unixNano() - time.Now().UnixNano()); d < 59*time.Minute {
		t.Fatalf("clock moved by %v, want the hour the offset was changed by", d)
	}
	synced := c.sync()
	for _, got := range []int64{synced, c.unixNano()} {
		if d := time.Duration(got - time.Now().UnixNano()); d < -50*time.Millisecond || d > 50*time.Millisecond {
			t.Fatalf("after sync the clock is %v off time.Now", d)
		}
	}
}

// TestUnixSecondIsTheLoopsClock: responses are dated from the loop's
// clock, not a clock read per response.
func TestUnixSecondIsTheLoopsClock(t *testing.T) {
	s, err := New(Config{}, HandlerFunc(func(*protocol.Request, *protocol.Response) {}))
	if err != nil {
		t.Fatal(err)
	}
	stale := time.Now().Add(-time.Hour).UnixNano()
	s.now.Store(stale)
	if got := s.unixSecond(); got != stale/int64(time.Second) {
		t.Fatalf("unixSecond = %d, want the loop's %d", got, stale/int64(time.Second))
	}
}
