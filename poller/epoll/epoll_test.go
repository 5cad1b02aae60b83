//go:build linux

package epoll

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/poller/internal/fdconn"
	"github.com/miniasync/miniasync/poller/internal/pollertest"
)

func open(t *testing.T) *Poller {
	t.Helper()
	p, err := Open(poller.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func TestReadArmEOF(t *testing.T) {
	p := open(t)
	client := pollertest.Dial(t, p)
	sc := pollertest.Next(t, p, poller.EventOpened).Conn
	if sc.RemoteAddr().String() != client.LocalAddr().String() {
		t.Fatalf("RemoteAddr %v, want %v", sc.RemoteAddr(), client.LocalAddr())
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
	pollertest.Next(t, p, poller.EventReadable)
	if _, err := sc.Read(buf); err != io.EOF {
		t.Fatalf("Read after the peer closed: %v, want io.EOF", err)
	}
	pollertest.CloseTwice(t, sc)
}

func TestLevelTriggeredRearmReportsUnreadInput(t *testing.T) {
	p := open(t)
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
	p := open(t)
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

// TestArmWritableWithRoomReports: Writable asks for EventWritable when the
// socket can take more output (package poller), which a socket that took
// every write so far always can, however many times the owner arms for it.
// The server relies on it to yield a connection with pipelined requests
// left (Config.MaxPipelined); an edge-triggered registration has no new
// EPOLLOUT edge to report then.
func TestArmWritableWithRoomReports(t *testing.T) {
	p := open(t)
	client := pollertest.Dial(t, p)
	sc := pollertest.Next(t, p, poller.EventOpened).Conn
	go io.Copy(io.Discard, client)
	for i := range 4 {
		if _, err := sc.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		if err := sc.Arm(poller.Writable); err != nil {
			t.Fatal(err)
		}
		if ev := pollertest.Next(t, p, poller.EventWritable); ev.Conn != sc {
			t.Fatalf("arm %d: writable event for another connection", i)
		}
	}
}

func TestWakeInterruptsWait(t *testing.T) { pollertest.Wake(t, open(t)) }

func TestStaleEventsAreDropped(t *testing.T) {
	p := open(t)
	pollertest.Dial(t, p)
	sc := pollertest.Next(t, p, poller.EventOpened).Conn.(*fdconn.Conn)
	events := make([]poller.Event, 4)
	ready := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(sc.FD()), Pad: int32(sc.Gen())}
	if n := p.translateBatch([]unix.EpollEvent{ready}, events); n != 1 || events[0].Conn != sc {
		t.Fatalf("current generation: %d events", n)
	}
	// An event from an earlier connection with the same descriptor number.
	old := ready
	old.Pad = int32(sc.Gen() - 1)
	if n := p.translateBatch([]unix.EpollEvent{old}, events); n != 0 {
		t.Fatalf("stale generation delivered %d events", n)
	}
	// An event that arrives after the owner closed the connection.
	_ = sc.Close()
	if n := p.translateBatch([]unix.EpollEvent{ready}, events); n != 0 {
		t.Fatalf("closed connection delivered %d events", n)
	}
}

// TestIdleLoopForgetsClosedConnections: the table must not keep closed
// connections (and their contexts) until their descriptor is reused.
func TestIdleLoopForgetsClosedConnections(t *testing.T) {
	p := open(t)
	pollertest.ForgetsClosed(t, p, func() (cs []poller.Conn) {
		p.conns.Each(func(_ int, c *fdconn.Conn) { cs = append(cs, c) })
		return cs
	}, p.conns.MakePruneDue)
}

func TestErrorEventCarriesCause(t *testing.T) {
	p := open(t)
	client := pollertest.Dial(t, p)
	sc := pollertest.Next(t, p, poller.EventOpened).Conn.(*fdconn.Conn)
	// Reset the connection from the client side.
	_ = client.(*net.TCPConn).SetLinger(0)
	_ = client.Close()
	time.Sleep(20 * time.Millisecond)
	ev := translate(sc, unix.EPOLLERR|unix.EPOLLHUP)
	if ev.Kind != poller.EventClosed || ev.Err == nil {
		t.Fatalf("EPOLLERR: %v %v, want closed with a cause", ev.Kind, ev.Err)
	}
}

func TestStopAccepting(t *testing.T) {
	p := open(t)
	addr := p.Addr().String()
	if err := p.StopAccepting(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("dial succeeded after StopAccepting")
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(poller.Options{Addr: "127.0.0.1:0", Backend: struct{}{}}); err == nil {
		t.Error("Open accepted settings of a foreign type")
	}
	if _, err := Open(poller.Options{Addr: "no-such-host.invalid:80"}); err == nil {
		t.Error("Open accepted an unresolvable address")
	}
	p := open(t)
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
		t.Fatalf("default backend on Linux is %q, want %q", poller.Default(), Name)
	}
}

// TestInlineKeepsRegistrationsArmed: in inline mode a connection keeps
// reporting input without a re-arm, and switching interest still works.
func TestInlineKeepsRegistrationsArmed(t *testing.T) {
	p, err := Open(poller.Options{Addr: "127.0.0.1:0", Inline: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	client := pollertest.Dial(t, p)
	sc := pollertest.Next(t, p, poller.EventOpened).Conn.(*fdconn.Conn)
	client.Write([]byte("0123456789"))
	buf := make([]byte, 4)
	for range 2 { // no Arm between the two reports: level-triggered, persistent
		pollertest.Next(t, p, poller.EventReadable)
		if n, _ := sc.Read(buf); n != 4 {
			t.Fatalf("read %d", n)
		}
	}
	if err := sc.Arm(poller.Readable); err != nil || sc.Interest() != poller.Readable {
		t.Fatalf("re-arm for the same interest: %v, interest %v", err, sc.Interest())
	}
	// Switching to writable stops read reports: backpressure still holds.
	if err := sc.Arm(poller.Writable); err != nil {
		t.Fatal(err)
	}
	pollertest.Next(t, p, poller.EventWritable)
	if err := sc.Arm(poller.Readable); err != nil {
		t.Fatal(err)
	}
	pollertest.Next(t, p, poller.EventReadable)
}
