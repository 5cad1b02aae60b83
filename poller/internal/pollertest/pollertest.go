// Package pollertest holds the helpers every backend's tests use to drive a
// poller.Poller directly: wait for one event, assert silence, dial, and
// check the contracts every backend shares (Wake, Close).
package pollertest

import (
	"errors"
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

// Wake checks the Wake contract: a Wake interrupts a blocked Wait, which
// returns no events; several Wakes before the loop runs cost one return;
// the wake-up is then consumed (the next Wait times out); a zero timeout
// polls; and a Wake before Wait makes that Wait return at once.
func Wake(t testing.TB, p poller.Poller) {
	t.Helper()
	go func() {
		time.Sleep(50 * time.Millisecond)
		_ = p.Wake()
		_ = p.Wake() // a second wake before the loop runs costs nothing
	}()
	start := time.Now()
	n, err := p.Wait(make([]poller.Event, 4), 10*time.Second)
	if err != nil || n != 0 {
		t.Fatalf("Wait after Wake: %d events, %v", n, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Wake did not interrupt Wait (%v)", d)
	}
	Quiet(t, p, 20*time.Millisecond)
	if n, err := p.Wait(make([]poller.Event, 4), 0); n != 0 || err != nil {
		t.Fatalf("poll: %d events, %v", n, err)
	}
	if err := p.Wake(); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if n, err := p.Wait(make([]poller.Event, 4), 10*time.Second); n != 0 || err != nil {
		t.Fatalf("Wait after an earlier Wake: %d events, %v", n, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("a Wake before Wait did not make it return at once (%v)", d)
	}
}

// CloseTwice closes c and checks that a second Close and an Arm after it
// return poller.ErrClosed.
func CloseTwice(t testing.TB, c poller.Conn) {
	t.Helper()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); !errors.Is(err, poller.ErrClosed) {
		t.Fatalf("second Close: %v, want ErrClosed", err)
	}
	if err := c.Arm(poller.Readable); !errors.Is(err, poller.ErrClosed) {
		t.Fatalf("Arm after Close: %v, want ErrClosed", err)
	}
}

// ForgetsClosed checks that a backend's table of connections lets go of
// closed ones: it opens 20 connections, closes all but the first (each
// with a context the table would otherwise keep reachable), makes a prune
// due (due), and expects a short Wait to leave only the open connection in
// the table, which table lists.
func ForgetsClosed(t testing.TB, p poller.Poller, table func() []poller.Conn, due func()) {
	t.Helper()
	var conns []poller.Conn
	for range 20 {
		Dial(t, p)
		conns = append(conns, Next(t, p, poller.EventOpened).Conn)
	}
	for _, c := range conns[1:] {
		c.SetContext(new([1 << 10]byte))
		_ = c.Close()
	}
	if n := len(table()); n != len(conns) {
		t.Fatalf("%d connections in the table before pruning, want %d", n, len(conns))
	}
	due()
	if _, err := p.Wait(make([]poller.Event, 4), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if left := table(); len(left) != 1 || left[0] != conns[0] {
		t.Fatalf("%d connections left in the table after a Wait, want only the open one", len(left))
	}
}
