//go:build linux

package iouring

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/miniasync/miniasync/poller"
)

// TestFailureCauseStays: a connection whose receive and send both fail
// (the client resets it while a send is in flight) keeps the first cause.
// The two failure completions are reaped by different Waits here (one event
// per Wait), and the owner that got the EventClosed asks for the cause in
// between, on its own goroutine: the loop used to write the cause again for
// the second completion, a data race (go test -race) that also changed the
// error the owner saw.
func TestFailureCauseStays(t *testing.T) {
	p := open(t, &Config{Buffers: 1, BufferSize: 64})
	client, sc := accept(t, p)
	// Fill the socket buffers until a send stays in flight: the client
	// does not read.
	events := make([]poller.Event, 1) // one event per Wait: completions split
	chunk := bytes.Repeat([]byte{'x'}, 256<<10)
	stuck := false
	for range 200 {
		if _, err := sc.Write(chunk); err != nil {
			t.Fatalf("write: %v", err)
		}
		_ = sc.Arm(poller.Readable | poller.Writable)
		n, _ := p.Wait(events, 100*time.Millisecond)
		if n == 0 {
			n, _ = p.Wait(events, 100*time.Millisecond)
		}
		if n == 0 {
			stuck = true
			break
		}
		if events[0].Kind != poller.EventWritable {
			t.Fatalf("event %v", events[0].Kind)
		}
	}
	if !stuck {
		t.Fatal("send never stayed in flight")
	}
	// Input makes the receive end (ENOBUFS) and start again, so that its
	// wait-queue entry now comes before the send's: at the reset the
	// receive fails first (ECONNRESET), the send after it (EPIPE).
	client.Write(bytes.Repeat([]byte{'i'}, 300))
	got := 0
	for range 50 {
		n, _ := p.Wait(events, 20*time.Millisecond)
		if n == 0 {
			if got == 300 {
				break
			}
			continue
		}
		if events[0].Kind != poller.EventReadable {
			t.Fatalf("event %v", events[0].Kind)
		}
		got += len(events[0].Data)
		_ = sc.Arm(poller.Readable | poller.Writable) // send still in flight
	}
	if got != 300 {
		t.Fatalf("got %d bytes of input", got)
	}
	_ = client.(*net.TCPConn).SetLinger(0)
	client.Close() // RST: the send and the receive both fail
	time.Sleep(50 * time.Millisecond)
	var ev poller.Event
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if n, _ := p.Wait(events, 50*time.Millisecond); n == 1 {
			ev = events[0]
			break
		}
	}
	if ev.Kind != poller.EventClosed {
		t.Fatalf("event %v, want closed", ev.Kind)
	}
	// The owner, on its own goroutine, asks why (as a handler's Read or
	// Write would) and does not synchronise with the loop afterwards.
	first := make(chan error, 1)
	go func() {
		_, err := ev.Conn.Read(make([]byte, 8)) // failure(): reads the cause
		first <- err
	}()
	time.Sleep(50 * time.Millisecond)
	// The loop reaps the second failure completion.
	for range 5 {
		p.Wait(events, 10*time.Millisecond)
	}
	err1 := <-first
	if _, err2 := ev.Conn.Read(make([]byte, 8)); err1 == nil || err2 == nil || err1.Error() != err2.Error() {
		t.Fatalf("the failure cause changed from %v to %v", err1, err2)
	}
	_ = ev.Conn.Close()
	for range 5 {
		p.Wait(events, 10*time.Millisecond)
	}
}
