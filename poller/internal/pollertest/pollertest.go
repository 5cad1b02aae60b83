// Package pollertest holds the helpers every backend's tests use to drive a
// poller.Poller directly: wait for one event, assert silence, dial.
package pollertest

import (
	"net"
	"testing"
	"time"

	"github.com/miniasync/miniasync/poller"
)

// Next waits for one event, fails if it is not of the wanted kind, and
// fails after five seconds without one.
func Next(t testing.TB, p poller.Poller, want poller.EventKind) poller.Event {
	t.Helper()
	events := make([]poller.Event, 8)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		n, err := p.Wait(events, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range events[:n] {
			if ev.Kind == want {
				return ev
			}
			t.Fatalf("got %v event, want %v", ev.Kind, want)
		}
	}
	t.Fatalf("no %v event", want)
	return poller.Event{}
}

// Quiet fails if p reports any event within d. A Wait that returns early
// without events (a spurious wake-up) just waits again.
func Quiet(t testing.TB, p poller.Poller, d time.Duration) {
	t.Helper()
	events := make([]poller.Event, 8)
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		n, err := p.Wait(events, time.Until(deadline))
		if err != nil || n != 0 {
			t.Fatalf("want no event, got %d (%v): %+v", n, err, events[:n])
		}
	}
}

// Dial connects a client to p, closed when the test ends.
func Dial(t testing.TB, p poller.Poller) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
