//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package kqueue

// These tests need a kqueue: they run on macOS and the BSDs, and a Linux CI
// only compiles them (go vet). They check the same behaviour as the epoll
// backend's tests, plus what is kqueue's own: the wake-up pipe, an arming
// for both interests, the round trip through unix.Kevent_t.

import (
	"bytes"
	"errors"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/poller/internal/fdconn"
	"github.com/miniasync/miniasync/poller/internal/pollertest"
)

func init() {
	// Run the core's tests against this system's numbers too.
	tables = append(tables, namedTable{runtime.GOOS + " (x/sys/unix)", sys})
}

// waitSome waits up to d for the first Wait that reports events (into
// events) and returns how many it reported.
func waitSome(t *testing.T, p *Poller, events []poller.Event, d time.Duration) int {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); {
		n, err := p.Wait(events, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return n
		}
	}
	return 0
}

// unreadInput opens a poller and a connection whose client sent input
// that was reported and left unread, so the socket is both readable and
// writable for every arming that follows.
func unreadInput(t *testing.T) (*Poller, poller.Conn) {
	t.Helper()
	p := openDefault(t)
	client := pollertest.Dial(t, p)
	sc := pollertest.Next(t, p, poller.EventOpened).Conn
	client.Write([]byte("input"))
	pollertest.Next(t, p, poller.EventReadable)
	return p, sc
}

func openPoller(t *testing.T, forcePipe bool) *Poller {
	t.Helper()
	p, err := open(poller.Options{Addr: "127.0.0.1:0"}, forcePipe)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func openDefault(t *testing.T) *Poller { return openPoller(t, false) }

func TestSysTable(t *testing.T) {
	if sys.oneshot != (runtime.GOOS == "netbsd") {
		t.Errorf("oneshot re-arming = %v on %s", sys.oneshot, runtime.GOOS)
	}
	if sys.hasUser != (runtime.GOOS != "openbsd") {
		t.Errorf("EVFILT_USER known = %v on %s", sys.hasUser, runtime.GOOS)
	}
}

func TestKeventRoundTrip(t *testing.T) {
	for _, ch := range []change{
		{ident: 7, filter: sys.filterRead, flags: sys.add | sys.enable | sys.rearm, token: makeToken(12345, poller.Readable)},
		{ident: 1 << 20, filter: sys.filterWrite, flags: sys.disable, token: makeToken(^uint32(0), poller.Readable|poller.Writable)},
		{ident: 3, filter: sys.filterRead, flags: sys.add, token: noToken},
		{ident: userIdent, filter: sys.filterUser, fflags: sys.trigger, token: noToken},
	} {
		var k unix.Kevent_t
		toKevent(&k, &ch)
		got := fromKevent(&k)
		if got.ident != ch.ident || got.filter != ch.filter || got.flags != ch.flags || got.fflags != ch.fflags || got.token != ch.token {
			t.Errorf("change %+v came back as %+v", ch, got)
		}
	}
}

func TestReadArmEOF(t *testing.T) {
	p := openDefault(t)
	client := pollertest.Dial(t, p)
	sc := pollertest.Next(t, p, poller.EventOpened).Conn
	if sc.RemoteAddr().String() != client.LocalAddr().String() {
		t.Fatalf("RemoteAddr %v, want %v", sc.RemoteAddr(), client.LocalAddr())
	}
	if sc.LocalAddr().String() != client.RemoteAddr().String() {
		t.Fatalf("LocalAddr %v, want %v", sc.LocalAddr(), client.RemoteAddr())
	}
	client.Write([]byte("ping"))
	ev := pollertest.Next(t, p, poller.EventReadable)
	if ev.Conn != sc || ev.Data != nil {
		t.Fatalf("readable event for %v with data %q", ev.Conn, ev.Data)
	}
	buf := make([]byte, 16)
	n, err := sc.Read(buf)
	if err != nil || string(buf[:n]) != "ping" {
		t.Fatalf("Read: %q %v", buf[:n], err)
	}
	if _, err := sc.Read(buf); !errors.Is(err, poller.ErrWouldBlock) {
		t.Fatalf("Read on a drained socket: %v, want ErrWouldBlock", err)
	}
	// One-shot: more input is not reported until the owner re-arms.
	client.Write([]byte("more"))
	pollertest.Quiet(t, p, 50*time.Millisecond)
	if err := sc.Arm(poller.Readable); err != nil {
		t.Fatal(err)
	}
	pollertest.Next(t, p, poller.EventReadable)
	n, _ = sc.Read(buf)
	if string(buf[:n]) != "more" {
		t.Fatalf("second read %q", buf[:n])
	}
	client.Close()
	_ = sc.Arm(poller.Readable)
	pollertest.Next(t, p, poller.EventReadable) // EV_EOF
	if _, err := sc.Read(buf); err != io.EOF {
		t.Fatalf("Read after the peer closed: %v, want io.EOF", err)
	}
	pollertest.CloseTwice(t, sc)
}

func TestEOFAfterInputKeepsInput(t *testing.T) {
	p := openDefault(t)
	client := pollertest.Dial(t, p)
	sc := pollertest.Next(t, p, poller.EventOpened).Conn
	client.Write([]byte("last words"))
	client.Close()
	time.Sleep(20 * time.Millisecond) // let the FIN arrive with the data
	pollertest.Next(t, p, poller.EventReadable)
	buf := make([]byte, 64)
	n, err := sc.Read(buf)
	if err != nil || string(buf[:n]) != "last words" {
		t.Fatalf("Read: %q %v", buf[:n], err)
	}
	if _, err := sc.Read(buf); err != io.EOF {
		t.Fatalf("Read after the input: %v, want io.EOF", err)
	}
	_ = sc.Close()
}

func TestLevelTriggeredRearmReportsUnreadInput(t *testing.T) {
	p := openDefault(t)
	client := pollertest.Dial(t, p)
	sc := pollertest.Next(t, p, poller.EventOpened).Conn
	client.Write(bytes.Repeat([]byte("x"), 100))
	pollertest.Next(t, p, poller.EventReadable)
	buf := make([]byte, 10) // read only part of it
	if n, _ := sc.Read(buf); n != 10 {
		t.Fatalf("read %d", n)
	}
	_ = sc.Arm(poller.Readable)
	pollertest.Next(t, p, poller.EventReadable) // the rest is reported at once
}

func TestWriteBackpressureAndWritable(t *testing.T) {
	p := openDefault(t)
	client := pollertest.Dial(t, p)
	sc := pollertest.Next(t, p, poller.EventOpened).Conn
	big := make([]byte, 16<<20)
	n, err := sc.Write(big)
	if !errors.Is(err, poller.ErrWouldBlock) || n == 0 || n >= len(big) {
		t.Fatalf("Write to a client that does not read: n=%d err=%v; want a partial write and ErrWouldBlock", n, err)
	}
	if err := sc.Arm(poller.Writable); err != nil {
		t.Fatal(err)
	}
	pollertest.Quiet(t, p, 50*time.Millisecond)
	go io.Copy(io.Discard, client)
	pollertest.Next(t, p, poller.EventWritable)
}

// TestArmingReportsOnlyTheAskedInterest: a writable socket with input
// waiting, armed for one interest, reports that one only; armed for both,
// it reports once.
func TestArmingReportsOnlyTheAskedInterest(t *testing.T) {
	p, sc := unreadInput(t)

	_ = sc.Arm(poller.Writable)
	pollertest.Next(t, p, poller.EventWritable)
	pollertest.Quiet(t, p, 50*time.Millisecond) // the unread input is not reported

	_ = sc.Arm(poller.Readable)
	pollertest.Next(t, p, poller.EventReadable)
	pollertest.Quiet(t, p, 50*time.Millisecond) // nor is the writable socket

	_ = sc.Arm(poller.Readable | poller.Writable)
	if got := waitSome(t, p, make([]poller.Event, 8), 2*time.Second); got != 1 {
		t.Fatalf("arming for both reported %d events, want 1", got)
	}
	pollertest.Quiet(t, p, 100*time.Millisecond) // the other filter was cancelled
	_ = sc.Arm(poller.Readable)                  // and arming again works
	pollertest.Next(t, p, poller.EventReadable)
}

// TestArmingBothFromAWorkerReportsOnce: an arming for both made by
// another goroutine while the loop waits (as a worker's is) reports once,
// even when the loop sees the first filter fire before that Arm's kevent
// has registered the second (see Poller.cancel). The socket has input
// waiting and room to write, so both filters fire as soon as registered.
func TestArmingBothFromAWorkerReportsOnce(t *testing.T) {
	p, sc := unreadInput(t)
	events := make([]poller.Event, 8)
	for i := range 300 {
		armed := make(chan error, 1)
		go func() { armed <- sc.Arm(poller.Readable | poller.Writable) }()
		got := waitSome(t, p, events, 5*time.Second)
		if err := <-armed; err != nil {
			t.Fatal(err)
		}
		if got != 1 {
			t.Fatalf("arming %d reported %d events, want 1", i, got)
		}
		// The Arm has returned: a second filter it enabled late would
		// report now.
		if n, err := p.Wait(events, time.Millisecond); n != 0 || err != nil {
			t.Fatalf("arming %d reported again: %d events (%v), %v", i, n, events[0].Kind, err)
		}
	}
}

func TestWakeInterruptsWait(t *testing.T) {
	p := openDefault(t)
	want := wakeUser
	if !sys.hasUser {
		want = wakePipe
	}
	if runtime.GOOS == "netbsd" && p.wakeBy == wakePipe {
		want = wakePipe // a NetBSD before 10
	}
	if p.wakeBy != want {
		t.Fatalf("wakes through %v, want %v", p.wakeBy, want)
	}
	pollertest.Wake(t, p)
}

func TestWakeThroughPipe(t *testing.T) {
	p := openPoller(t, true)
	if p.wakeBy != wakePipe || p.wakeFD < 0 || p.wakeW < 0 {
		t.Fatalf("forced pipe: mode %v, descriptors %d %d", p.wakeBy, p.wakeFD, p.wakeW)
	}
	pollertest.Wake(t, p)
	// Many wake-ups between two Waits fill no more than the pipe and are
	// consumed by one Wait.
	for range 10000 {
		p.woken.Store(false) // defeat the shortcut to write every time
		if err := p.Wake(); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	if n, err := p.Wait(make([]poller.Event, 4), 10*time.Second); n != 0 || err != nil {
		t.Fatalf("Wait: %d events, %v", n, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("queued wake-ups did not make Wait return at once (%v)", d)
	}
	pollertest.Quiet(t, p, 20*time.Millisecond)
}

func TestStaleEventsAreDropped(t *testing.T) {
	p := openDefault(t)
	pollertest.Dial(t, p)
	sc := pollertest.Next(t, p, poller.EventOpened).Conn.(*fdconn.Conn)
	events := make([]poller.Event, 4)
	ready := rawEvent{ident: uint64(sc.FD()), filter: sys.filterRead, token: makeToken(sc.Gen(), poller.Readable)}
	if n := p.translateBatch([]rawEvent{ready}, events, p); n != 1 || events[0].Conn != sc {
		t.Fatalf("current generation: %d events", n)
	}
	// An event from an earlier connection with the same descriptor number.
	old := ready
	old.token = makeToken(sc.Gen()-1, poller.Readable)
	if n := p.translateBatch([]rawEvent{old}, events, p); n != 0 {
		t.Fatalf("stale generation delivered %d events", n)
	}
	// An event that arrives after the owner closed the connection.
	_ = sc.Close()
	if n := p.translateBatch([]rawEvent{ready}, events, p); n != 0 {
		t.Fatalf("closed connection delivered %d events", n)
	}
}

// TestWaitForgetsClosedConnections: the table must not keep closed
// connections (and their contexts) until their descriptor is reused.
func TestWaitForgetsClosedConnections(t *testing.T) {
	p := openPoller(t, false)
	pollertest.ForgetsClosed(t, p, func() (cs []poller.Conn) {
		p.conns.Each(func(_ int, c *fdconn.Conn) { cs = append(cs, c) })
		return cs
	}, p.conns.MakePruneDue)
}

func TestResetReportsClosedOrFailingRead(t *testing.T) {
	p := openDefault(t)
	client := pollertest.Dial(t, p)
	sc := pollertest.Next(t, p, poller.EventOpened).Conn
	// Reset the connection from the client side.
	_ = client.(*net.TCPConn).SetLinger(0)
	_ = client.Close()
	time.Sleep(20 * time.Millisecond)
	events := make([]poller.Event, 4)
	n, err := p.Wait(events, 5*time.Second)
	if err != nil || n != 1 {
		t.Fatalf("Wait: %d events, %v", n, err)
	}
	switch ev := events[0]; ev.Kind {
	case poller.EventClosed:
		if !errors.Is(ev.Err, unix.ECONNRESET) {
			t.Fatalf("closed event with cause %v, want ECONNRESET", ev.Err)
		}
	case poller.EventReadable:
		// A system that reports a reset as EV_EOF without the error:
		// reading tells.
		if _, err := sc.Read(make([]byte, 8)); err == nil || errors.Is(err, poller.ErrWouldBlock) {
			t.Fatalf("Read after a reset: %v, want an error", err)
		}
	default:
		t.Fatalf("%v event after a reset", ev.Kind)
	}
	_ = sc.Close()
}

func TestStopAccepting(t *testing.T) {
	p := openDefault(t)
	addr := p.Addr().String()
	if err := p.StopAccepting(); err != nil {
		t.Fatal(err)
	}
	if err := p.StopAccepting(); err != nil {
		t.Fatalf("second StopAccepting: %v", err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("dial succeeded after StopAccepting")
	}
	pollertest.Quiet(t, p, 20*time.Millisecond)
}

func TestCloseReleasesOnce(t *testing.T) {
	p, err := Open(poller.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := p.Wait(make([]poller.Event, 1), 0); !errors.Is(err, poller.ErrClosed) {
		t.Fatalf("Wait after Close: %v, want ErrClosed", err)
	}
	if err := p.Wake(); err != nil {
		t.Fatalf("Wake after Close: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(poller.Options{Addr: "127.0.0.1:0", Backend: struct{}{}}); err == nil {
		t.Error("Open accepted settings of a foreign type")
	}
	if _, err := Open(poller.Options{Addr: "no-such-host.invalid:80"}); err == nil {
		t.Error("Open accepted an unresolvable address")
	}
	p := openDefault(t)
	if _, err := Open(poller.Options{Addr: p.Addr().String()}); err == nil {
		t.Error("Open on an address in use succeeded")
	}
}

func TestRegistered(t *testing.T) {
	b, err := poller.Lookup(Name)
	if err != nil || b.Name != Name {
		t.Fatalf("Lookup(%q): %v", Name, err)
	}
	if poller.Default() != Name {
		t.Fatalf("default backend on %s is %q, want %q", runtime.GOOS, poller.Default(), Name)
	}
	p, err := poller.Open(Name, poller.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	_ = p.Close()
}
