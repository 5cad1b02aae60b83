//go:build linux

package iouring

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/poller/internal/pollertest"
)

// needRing skips a test where the kernel lacks io_uring, saying why.
func needRing(t testing.TB) {
	t.Helper()
	if err := Detect(); err != nil {
		t.Skipf("io_uring unavailable here: %v", err)
	}
}

func open(t *testing.T, cfg *Config) *Poller {
	t.Helper()
	needRing(t)
	o := poller.Options{Addr: "127.0.0.1:0"}
	if cfg != nil {
		o.Backend = *cfg
	}
	p, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func accept(t *testing.T, p *Poller) (net.Conn, poller.Conn) {
	t.Helper()
	c := pollertest.Dial(t, p)
	return c, pollertest.Next(t, p, poller.EventOpened).Conn
}

func TestOpenedIsArmedAndDataArrivesInEvent(t *testing.T) {
	p := open(t, nil)
	client, sc := accept(t, p)
	if sc.RemoteAddr().String() != client.LocalAddr().String() || sc.LocalAddr().String() != client.RemoteAddr().String() {
		t.Fatalf("addresses %v %v, want %v %v", sc.RemoteAddr(), sc.LocalAddr(), client.LocalAddr(), client.RemoteAddr())
	}
	client.Write([]byte("ping"))
	ev := pollertest.Next(t, p, poller.EventReadable)
	if ev.Conn != sc || string(ev.Data) != "ping" {
		t.Fatalf("readable event for %v with data %q", ev.Conn, ev.Data)
	}
	if _, err := sc.Read(make([]byte, 8)); !errors.Is(err, poller.ErrWouldBlock) {
		t.Fatalf("Read after the data was handed over: %v, want ErrWouldBlock", err)
	}
}

func TestOneEventPerArmAndInputKeptUntilArm(t *testing.T) {
	p := open(t, nil)
	client, sc := accept(t, p)
	client.Write([]byte("one"))
	pollertest.Next(t, p, poller.EventReadable)
	client.Write([]byte("two"))
	time.Sleep(20 * time.Millisecond)
	client.Write([]byte("three"))
	pollertest.Quiet(t, p, 50*time.Millisecond) // not armed: kept
	if err := sc.Arm(poller.Readable); err != nil {
		t.Fatal(err)
	}
	ev := pollertest.Next(t, p, poller.EventReadable)
	if string(ev.Data) != "twothree" {
		t.Fatalf("data at Arm %q, want both writes", ev.Data)
	}
	_ = sc.Arm(poller.Readable)
	pollertest.Quiet(t, p, 30*time.Millisecond)
	client.Write([]byte("four"))
	if ev := pollertest.Next(t, p, poller.EventReadable); string(ev.Data) != "four" {
		t.Fatalf("data %q", ev.Data)
	}
}

func TestPeerCloseIsReadableThenEOF(t *testing.T) {
	p := open(t, nil)
	client, sc := accept(t, p)
	client.Write([]byte("last"))
	client.Close()
	ev := pollertest.Next(t, p, poller.EventReadable)
	data := string(ev.Data)
	buf := make([]byte, 8)
	if _, err := sc.Read(buf); err != io.EOF {
		if data == "last" {
			// EOF may come in a later completion.
			_ = sc.Arm(poller.Readable)
			pollertest.Next(t, p, poller.EventReadable)
			_, err = sc.Read(buf)
		}
		if err != io.EOF {
			t.Fatalf("Read after the peer closed: %v, want io.EOF", err)
		}
	}
	if data != "last" {
		t.Fatalf("data %q", data)
	}
	if err := sc.Arm(poller.Readable); err != nil {
		t.Fatal(err)
	}
	pollertest.Next(t, p, poller.EventReadable) // EOF is reported at every Arm
	pollertest.CloseTwice(t, sc)
}

func TestWriteBackpressureAndWritable(t *testing.T) {
	for _, ring := range []bool{false, true} {
		t.Run(map[bool]string{false: "direct", true: "ring"}[ring], func(t *testing.T) {
			p := open(t, &Config{DirectWrites: !ring})
			client, sc := accept(t, p)
			big := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MiB
			n, err := sc.Write(big)
			if !errors.Is(err, poller.ErrWouldBlock) || n == 0 || n >= len(big) {
				t.Fatalf("Write to a client that does not read: n=%d err=%v", n, err)
			}
			if m, err := sc.Write(big[n:]); m != 0 || !errors.Is(err, poller.ErrWouldBlock) {
				t.Fatalf("Write while a send is in flight: %d %v", m, err)
			}
			if err := sc.Arm(poller.Writable); err != nil {
				t.Fatal(err)
			}
			if !ring {
				// The socket's buffer is full; a ring send may still fit.
				pollertest.Quiet(t, p, 50*time.Millisecond)
			}
			got := make(chan []byte, 1)
			go func() { b, _ := io.ReadAll(client); got <- b }()
			sent := n
			for sent < len(big) {
				pollertest.Next(t, p, poller.EventWritable)
				m, err := sc.Write(big[sent:])
				sent += m
				if err != nil && !errors.Is(err, poller.ErrWouldBlock) {
					t.Fatal(err)
				}
				if sent < len(big) || err != nil {
					_ = sc.Arm(poller.Writable)
				}
			}
			// Close lets the accepted output drain, then the client sees EOF.
			if err := sc.CloseWrite(); err != nil {
				t.Fatal(err)
			}
			_ = sc.Close()
			for range 500 {
				select {
				case b := <-got:
					if !bytes.Equal(b, big) {
						t.Fatalf("client got %d bytes, want %d intact", len(b), len(big))
					}
					return
				default:
				}
				p.Wait(make([]poller.Event, 8), 10*time.Millisecond)
			}
			t.Fatal("output did not drain")
		})
	}
}

func TestWakeInterruptsWait(t *testing.T) { pollertest.Wake(t, open(t, nil)) }

func TestStopAcceptingKeepsConnections(t *testing.T) {
	p := open(t, nil)
	client, sc := accept(t, p)
	addr := p.Addr().String()
	if err := p.StopAccepting(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("dial succeeded after StopAccepting")
	}
	client.Write([]byte("still here"))
	if ev := pollertest.Next(t, p, poller.EventReadable); ev.Conn != sc || string(ev.Data) != "still here" {
		t.Fatalf("event %v %q", ev.Kind, ev.Data)
	}
}

// TestNoCompletionReachesAReusedDescriptor closes connections with
// receives and sends in flight and opens new ones, which the kernel gives
// the lowest free descriptor numbers: nothing meant for an old connection
// may reach a new one, as data, as an event, or as a write.
func TestNoCompletionReachesAReusedDescriptor(t *testing.T) {
	p := open(t, &Config{DirectWrites: true})
	for round := range 20 {
		client, sc := accept(t, p)
		// A send in flight (the client does not read) and a receive.
		big := bytes.Repeat([]byte{'x'}, 8<<20)
		if _, err := sc.Write(big); !errors.Is(err, poller.ErrWouldBlock) {
			t.Fatalf("round %d: big write: %v", round, err)
		}
		_ = sc.Arm(poller.Writable) // the owner gives up: Close cancels at once
		if err := sc.Close(); err != nil {
			t.Fatal(err)
		}
		client.Write([]byte("late")) // input for the closed connection
		fresh, fc := accept(t, p)
		fresh.Write([]byte("mine"))
		ev := pollertest.Next(t, p, poller.EventReadable)
		if ev.Conn != fc || string(ev.Data) != "mine" {
			t.Fatalf("round %d: new connection got %v %q", round, ev.Kind, ev.Data)
		}
		_ = fresh.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if n, err := fresh.Read(make([]byte, 16)); n > 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("round %d: new connection read %d bytes (%v): output of a closed one", round, n, err)
		}
		_ = fc.Close()
		client.Close()
		fresh.Close()
	}
}

func TestCloseThenWait(t *testing.T) {
	p := open(t, nil)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(make([]poller.Event, 2), 0); !errors.Is(err, poller.ErrClosed) {
		t.Fatalf("Wait after Close: %v", err)
	}
	if err := p.Wake(); err != nil && !errors.Is(err, poller.ErrClosed) {
		t.Fatalf("Wake after Close: %v", err)
	}
}

// TestInlineKeepsItsOwnBuffers: with poller.Options.Inline the loop keeps
// up to freeMax pooled buffers of its own and reuses them, and hands any
// others to the shared pool; without it, it keeps none.
func TestInlineKeepsItsOwnBuffers(t *testing.T) {
	p := &Poller{inline: true}
	var bufs []*buffer
	for range freeMax + 8 {
		bufs = append(bufs, getBuffer(10))
	}
	for _, b := range bufs {
		b.b = append(b.b, "stale"...)
		b.off = 3
		p.putBuffer(b)
	}
	p.putBuffer(&buffer{b: make([]byte, 0, 2*bufferSize)}) // not pooled: never kept
	if len(p.free) != freeMax {
		t.Fatalf("the loop keeps %d buffers, want freeMax (%d)", len(p.free), freeMax)
	}
	got := p.getBuffer(100)
	if got != bufs[freeMax-1] || len(got.b) != 0 || got.off != 0 || len(p.free) != freeMax-1 {
		t.Fatalf("got %p (len %d, off %d), %d left; want the last kept buffer, emptied", got, len(got.b), got.off, len(p.free))
	}
	if big := p.getBuffer(bufferSize + 1); cap(big.b) <= bufferSize || len(p.free) != freeMax-1 {
		t.Fatalf("a buffer larger than the pool's came from the loop's stock")
	}
	shared := &Poller{}
	shared.putBuffer(getBuffer(10))
	if len(shared.free) != 0 {
		t.Fatal("without Inline the loop kept a buffer of its own")
	}
}

// TestInlineRunsOwnerRequests: with Inline, an owner's request (here a
// queued send) is queued without the lock and the shared counter and run
// by the next Wait, and input that came while the connection was not armed
// is reported after its Arm as usual.
func TestInlineRunsOwnerRequests(t *testing.T) {
	needRing(t)
	p, err := Open(poller.Options{Addr: "127.0.0.1:0", Inline: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	client, sc := accept(t, p)
	client.Write([]byte("ping"))
	if ev := pollertest.Next(t, p, poller.EventReadable); string(ev.Data) != "ping" {
		t.Fatalf("data %q", ev.Data)
	}
	if n, err := sc.Write([]byte("pong")); n != 4 || err != nil {
		t.Fatalf("Write: %d, %v", n, err)
	}
	client.Write([]byte("again"))
	time.Sleep(50 * time.Millisecond) // received while not armed: pending
	if err := sc.Arm(poller.Readable); err != nil {
		t.Fatal(err)
	}
	if p.opsLen.Load() != 0 || len(p.ops) == 0 {
		t.Fatalf("with Inline, requests are queued without the shared counter: %d counted, %d queued", p.opsLen.Load(), len(p.ops))
	}
	if ev := pollertest.Next(t, p, poller.EventReadable); string(ev.Data) != "again" {
		t.Fatalf("data %q, want again", ev.Data)
	}
	_ = client.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, 4)
	if _, err := io.ReadFull(client, got); err != nil || string(got) != "pong" {
		t.Fatalf("client read %q, %v", got, err)
	}
}
