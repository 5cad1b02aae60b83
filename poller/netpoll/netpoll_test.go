//go:build linux

package netpoll_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/poller/internal/pollertest"
	"github.com/miniasync/miniasync/poller/netpoll"
)

func open(t *testing.T, cfg *netpoll.Config) *netpoll.Poller {
	t.Helper()
	return openMaxRequest(t, cfg, 0)
}

// openMaxRequest opens a poller whose owner announces maxRequest as its
// largest request (poller.Options.MaxRequest).
func openMaxRequest(t *testing.T, cfg *netpoll.Config, maxRequest int) *netpoll.Poller {
	t.Helper()
	o := poller.Options{Addr: "127.0.0.1:0", MaxRequest: maxRequest}
	if cfg != nil {
		o.Backend = *cfg
	}
	p, err := netpoll.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// accept dials p and returns both ends, the server's taken from its
// EventOpened.
func accept(t *testing.T, p *netpoll.Poller) (net.Conn, poller.Conn) {
	t.Helper()
	client := pollertest.Dial(t, p)
	sc := pollertest.Next(t, p, poller.EventOpened).Conn
	t.Cleanup(func() { _ = sc.Close() })
	return client, sc
}

func TestOpenedIsArmedAndDataArrivesInEvent(t *testing.T) {
	p := open(t, nil)
	client, sc := accept(t, p)
	if sc.RemoteAddr().String() != client.LocalAddr().String() || sc.LocalAddr().String() != client.RemoteAddr().String() {
		t.Fatalf("addresses %v %v, want %v %v", sc.LocalAddr(), sc.RemoteAddr(), client.RemoteAddr(), client.LocalAddr())
	}
	sc.SetContext("mine")
	if sc.Context() != "mine" {
		t.Fatal("Context does not return what SetContext attached")
	}
	client.Write([]byte("ping"))
	// No Arm after EventOpened: the connection is already armed.
	ev := pollertest.Next(t, p, poller.EventReadable)
	if ev.Conn != sc || string(ev.Data) != "ping" {
		t.Fatalf("readable event for %v with data %q, want ping", ev.Conn, ev.Data)
	}
	buf := make([]byte, 16)
	if _, err := sc.Read(buf); !errors.Is(err, poller.ErrWouldBlock) {
		t.Fatalf("Read after the event carried everything: %v, want ErrWouldBlock", err)
	}
}

func TestOneShotAndBufferedInputReportedAtArm(t *testing.T) {
	p := open(t, nil)
	client, sc := accept(t, p)
	client.Write([]byte("one"))
	pollertest.Next(t, p, poller.EventReadable)
	// While the owner holds the connection, input is buffered, not reported.
	client.Write([]byte("two"))
	pollertest.Quiet(t, p, 50*time.Millisecond)
	buf := make([]byte, 2)
	if n, err := sc.Read(buf); err != nil || string(buf[:n]) != "tw" {
		t.Fatalf("Read: %q %v", buf[:n], err)
	}
	if err := sc.Arm(poller.Readable); err != nil {
		t.Fatal(err)
	}
	ev := pollertest.Next(t, p, poller.EventReadable) // reported at once
	if string(ev.Data) != "o" {
		t.Fatalf("rest of the buffered input: %q, want %q", ev.Data, "o")
	}
}

func TestPeerCloseIsReadableThenEOF(t *testing.T) {
	p := open(t, nil)
	client, sc := accept(t, p)
	client.Write([]byte("last"))
	client.Close()
	ev := pollertest.Next(t, p, poller.EventReadable)
	got := string(ev.Data)
	buf := make([]byte, 16)
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		var n int
		n, err = sc.Read(buf)
		got += string(buf[:n])
		if errors.Is(err, poller.ErrWouldBlock) {
			if aerr := sc.Arm(poller.Readable); aerr != nil {
				t.Fatal(aerr)
			}
			ev = pollertest.Next(t, p, poller.EventReadable)
			got += string(ev.Data)
			continue
		}
		if err != nil {
			break
		}
	}
	if got != "last" || err != io.EOF {
		t.Fatalf("read %q then %v, want %q then io.EOF", got, err, "last")
	}
	pollertest.CloseTwice(t, sc)
	if _, err := sc.Write([]byte("x")); !errors.Is(err, poller.ErrClosed) {
		t.Fatalf("Write after Close: %v, want ErrClosed", err)
	}
}

func TestNoEventAfterClose(t *testing.T) {
	p := open(t, nil)
	client, sc := accept(t, p)
	client.Write([]byte("a"))
	time.Sleep(50 * time.Millisecond) // the event is queued, not yet taken
	if err := sc.Close(); err != nil {
		t.Fatal(err)
	}
	pollertest.Quiet(t, p, 50*time.Millisecond)
}

// fill writes big to sc until the flush stalls because the client reads
// nothing, leaving sc armed for Writable. It returns the bytes accepted.
func fill(t *testing.T, p *netpoll.Poller, sc poller.Conn, big []byte) int {
	t.Helper()
	sent := 0
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		n, err := sc.Write(big[sent:])
		sent += n
		if err == nil {
			t.Fatal("all of big accepted: make it bigger")
		}
		if !errors.Is(err, poller.ErrWouldBlock) {
			t.Fatal(err)
		}
		if err := sc.Arm(poller.Writable); err != nil {
			t.Fatal(err)
		}
		events := make([]poller.Event, 1)
		if k, _ := p.Wait(events, 200*time.Millisecond); k == 0 {
			return sent // stalled: the client's buffers are full
		}
		if events[0].Kind != poller.EventWritable {
			t.Fatalf("got %v, want writable", events[0].Kind)
		}
	}
	t.Fatal("writes never stalled for a client that reads nothing")
	return 0
}

func TestWriteBackpressureAndWritable(t *testing.T) {
	const chunk = 64 << 10
	p := open(t, &netpoll.Config{MaxPendingOutput: chunk})
	client, sc := accept(t, p)
	big := bytes.Repeat([]byte("0123456789abcdef"), 2<<20) // 32 MiB
	// A write larger than the socket takes: the socket gets what fits,
	// a flusher one chunk more, and the caller is told to wait.
	first, err := sc.Write(big)
	if !errors.Is(err, poller.ErrWouldBlock) || first < chunk || first >= len(big) {
		t.Fatalf("first Write: n=%d err=%v; want at least %d and ErrWouldBlock", first, err, chunk)
	}
	// Stalled: the flusher waits for the client, no Writable comes, and
	// sc is armed for it.
	sent := first + fill(t, p, sc, big[first:])
	// Now read: every accepted byte arrives, in order, and Writable comes.
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(client)
		got <- b
	}()
	for {
		pollertest.Next(t, p, poller.EventWritable)
		if sent == len(big) {
			break // the last chunk drained
		}
		n, err := sc.Write(big[sent:])
		sent += n
		if err != nil && !errors.Is(err, poller.ErrWouldBlock) {
			t.Fatal(err)
		}
		if err := sc.Arm(poller.Writable); err != nil {
			t.Fatal(err)
		}
	}
	if err := sc.Close(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, big) {
		t.Fatalf("client got %d bytes of %d, or different content", len(b), len(big))
	}
}

func TestCloseLetsAcceptedOutputDrain(t *testing.T) {
	p := open(t, &netpoll.Config{CloseGrace: 5 * time.Second})
	client, sc := accept(t, p)
	msg := bytes.Repeat([]byte("z"), 200<<10)
	if n, err := sc.Write(msg); err != nil || n != len(msg) {
		t.Fatalf("Write: %d %v", n, err)
	}
	if err := sc.Close(); err != nil { // the flusher may still be sending
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	_ = client.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(client)
	if err != nil || !bytes.Equal(b, msg) {
		t.Fatalf("after Close the client got %d of %d bytes (%v)", len(b), len(msg), err)
	}
}

func TestCloseWhileWaitingForWritableIsImmediate(t *testing.T) {
	p := open(t, &netpoll.Config{MaxPendingOutput: 1 << 20, CloseGrace: time.Minute})
	client, sc := accept(t, p)
	fill(t, p, sc, make([]byte, 64<<20)) // armed for Writable, stalled
	start := time.Now()
	if err := sc.Close(); err != nil { // a write timeout: give up on the output
		t.Fatal(err)
	}
	_ = client.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.Copy(io.Discard, client)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the connection stayed open %v after Close", d)
	}
}

func TestCloseWriteIsUnsupported(t *testing.T) {
	p := open(t, nil)
	_, sc := accept(t, p)
	if err := sc.CloseWrite(); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("CloseWrite: %v, want errors.ErrUnsupported", err)
	}
}

// readAll reads sc until Read fails and returns how many bytes it took and
// the error.
func readAll(sc poller.Conn) (int, error) {
	taken := 0
	buf := make([]byte, 32<<10)
	for {
		n, err := sc.Read(buf)
		taken += n
		if err != nil {
			return taken, err
		}
	}
}

func TestInputOverflow(t *testing.T) {
	const limit = 64 << 10
	p := open(t, &netpoll.Config{MaxPendingInput: limit})
	client, sc := accept(t, p)
	client.Write([]byte("start"))
	pollertest.Next(t, p, poller.EventReadable)
	// The owner holds the connection and takes nothing: the client sends
	// far more than the limit, and netpoll keeps reading it.
	go func() {
		big := make([]byte, 1<<20)
		for range 8 {
			if _, err := client.Write(big); err != nil {
				return
			}
		}
	}()
	time.Sleep(300 * time.Millisecond)
	taken, err := readAll(sc)
	if !errors.Is(err, netpoll.ErrInputOverflow) || taken > limit {
		t.Fatalf("read %d bytes then %v; want at most %d, then ErrInputOverflow", taken, err, limit)
	}
}

// A busy owner's connection keeps up to MaxPendingInput plus the owner's
// largest request, so an upload within the server's limits is never cut
// however far ahead of the worker it arrives, and hands it over one
// MaxPendingInput at a time.
func TestBusyOwnerKeepsALargestRequest(t *testing.T) {
	const limit, maxRequest = 64 << 10, 1 << 20
	p := openMaxRequest(t, &netpoll.Config{MaxPendingInput: limit}, maxRequest)
	client, sc := accept(t, p)
	client.Write([]byte("start"))
	pollertest.Next(t, p, poller.EventReadable)
	sent := bytes.Repeat([]byte("0123456789abcdef"), (maxRequest+limit)/16)
	if _, err := client.Write(sent); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // netpoll reads it all meanwhile
	var got []byte
	for len(got) < len(sent) {
		if err := sc.Arm(poller.Readable); err != nil {
			t.Fatal(err)
		}
		ev := pollertest.Next(t, p, poller.EventReadable)
		if len(ev.Data) == 0 || len(ev.Data) > limit {
			t.Fatalf("event with %d bytes, want 1 to %d", len(ev.Data), limit)
		}
		got = append(got, ev.Data...)
	}
	if !bytes.Equal(got, sent) {
		t.Fatalf("took %d bytes, not the %d sent", len(got), len(sent))
	}
	if _, err := sc.Read(make([]byte, 1)); !errors.Is(err, poller.ErrWouldBlock) {
		t.Fatalf("Read after the whole upload: %v, want ErrWouldBlock", err)
	}
}

// Once the owner's output waits for a client that does not read, the
// pending input is cut to MaxPendingInput, what was kept before included
// (also past the larger limit, where input was already being discarded):
// that client is pipelining without reading, not uploading.
func TestBackedUpOutputCutsPendingInput(t *testing.T) {
	const limit, maxRequest = 64 << 10, 1 << 20
	for _, sent := range []int{maxRequest / 2, 2 * maxRequest} {
		p := openMaxRequest(t, &netpoll.Config{MaxPendingInput: limit}, maxRequest)
		client, sc := accept(t, p)
		client.Write([]byte("start"))
		pollertest.Next(t, p, poller.EventReadable)
		go client.Write(make([]byte, sent))
		time.Sleep(300 * time.Millisecond)
		// Far more output than the socket takes: the rest waits in a flusher.
		if _, err := sc.Write(make([]byte, 64<<20)); !errors.Is(err, poller.ErrWouldBlock) {
			t.Fatalf("Write of 64 MiB to a client that does not read: %v, want ErrWouldBlock", err)
		}
		taken, err := readAll(sc)
		if !errors.Is(err, netpoll.ErrInputOverflow) || taken != limit {
			t.Fatalf("%d bytes sent: read %d then %v; want %d, then ErrInputOverflow", sent, taken, err, limit)
		}
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
	if err := p.StopAccepting(); err != nil {
		t.Fatalf("second StopAccepting: %v", err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("dial succeeded after StopAccepting")
	}
	client.Write([]byte("still here"))
	if ev := pollertest.Next(t, p, poller.EventReadable); string(ev.Data) != "still here" {
		t.Fatalf("existing connection after StopAccepting: %q", ev.Data)
	}
	if _, err := sc.Write([]byte("ok")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 2)
	if _, err := io.ReadFull(client, b); err != nil || string(b) != "ok" {
		t.Fatalf("client read %q %v", b, err)
	}
}

func TestCloseThenWait(t *testing.T) {
	p := open(t, nil)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(make([]poller.Event, 1), 0); !errors.Is(err, poller.ErrClosed) {
		t.Fatalf("Wait after Close: %v, want ErrClosed", err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		backend any
	}{
		{"foreign settings", struct{}{}},
		{"negative pollers", netpoll.Config{Pollers: -1}},
		{"unknown runner", netpoll.Config{Runner: 7}},
		{"negative input cap", netpoll.Config{MaxPendingInput: -1}},
		{"negative output cap", netpoll.Config{MaxPendingOutput: -1}},
		{"negative grace", netpoll.Config{CloseGrace: -time.Second}},
		// This process runs with netpoll's defaults (see TestMain):
		// asking for other process-wide settings must fail, not be
		// ignored.
		{"different process-wide pollers", &netpoll.Config{Pollers: 7}},
		{"different process-wide runner", netpoll.Config{Runner: netpoll.RunnerGo}},
	} {
		if p, err := netpoll.Open(poller.Options{Addr: "127.0.0.1:0", Backend: tc.backend}); err == nil {
			_ = p.Close()
			t.Errorf("%s: Open accepted %+v", tc.name, tc.backend)
		}
	}
	if _, err := netpoll.Open(poller.Options{Addr: "127.0.0.1:0", Backend: netpoll.Config{Pollers: 7}}); !errors.Is(err, netpoll.ErrGlobalSettings) {
		t.Errorf("conflicting process-wide settings: %v, want ErrGlobalSettings", err)
	}
	if _, err := netpoll.Open(poller.Options{Addr: "no-such-host.invalid:80"}); err == nil {
		t.Error("Open accepted an unresolvable address")
	}
	p := open(t, nil)
	if q, err := netpoll.Open(poller.Options{Addr: p.Addr().String()}); err == nil {
		_ = q.Close()
		t.Error("Open on an address in use succeeded")
	}
}

func TestRegistered(t *testing.T) {
	b, err := poller.Lookup(netpoll.Name)
	if err != nil || b.Name != netpoll.Name {
		t.Fatalf("Lookup(%q): %v", netpoll.Name, err)
	}
	if b.Priority >= 100 {
		t.Fatalf("priority %d: netpoll must rank below the native backends", b.Priority)
	}
}

func TestRunnerString(t *testing.T) {
	for r, want := range map[netpoll.Runner]string{netpoll.RunnerPool: "pool", netpoll.RunnerGo: "go", 2: "Runner(2)", 9: "Runner(9)"} {
		if r.String() != want {
			t.Errorf("%d: %q, want %q", int(r), r.String(), want)
		}
	}
}

// TestWriteAfterPeerCloseNeverReachesAReusedDescriptor: Write uses the
// descriptor directly, so once netpoll has closed it (the peer hung up) and
// the kernel has given its number to new connections, a Write on the old
// connection must fail rather than send bytes to one of them.
func TestWriteAfterPeerCloseNeverReachesAReusedDescriptor(t *testing.T) {
	p := open(t, nil)
	client, sc := accept(t, p)
	client.Close()
	pollertest.Next(t, p, poller.EventReadable)
	buf := make([]byte, 16)
	if _, err := sc.Read(buf); err != io.EOF {
		t.Fatalf("Read after the peer closed: %v, want io.EOF", err)
	}
	// netpoll closes the descriptor right after reporting the hang-up;
	// new connections then take the lowest free numbers, its among them.
	time.Sleep(50 * time.Millisecond)
	var fresh []net.Conn
	for range 8 {
		c, _ := accept(t, p)
		fresh = append(fresh, c)
	}
	if n, err := sc.Write([]byte("stray bytes")); err == nil {
		t.Fatalf("Write on a connection the peer closed: %d bytes, no error", n)
	}
	for i, c := range fresh {
		_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if n, err := c.Read(buf); n > 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("new connection %d read %q (%v): bytes meant for a closed connection", i, buf[:n], err)
		}
	}
}

// Input handed over in MaxPendingInput pieces (sub-slices of one pending
// buffer) while owners hold each piece for a while and more input keeps
// arriving: every connection's bytes come out whole and in order, and a
// piece never changes while its owner holds it. Limits around the pooled
// buffer size (4 KiB) catch a piece or a rest taken for a pooled buffer.
func TestSplitHandoverKeepsEveryByte(t *testing.T) {
	for _, limit := range []int{1000, 4096, 5000, 12288} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) { splitHandover(t, limit) })
	}
}

func splitHandover(t *testing.T, limit int) {
	const conns, total = 4, 1 << 20
	p := openMaxRequest(t, &netpoll.Config{MaxPendingInput: limit}, total)
	type stream struct {
		sc         poller.Conn
		want, held []byte
		heldCopy   []byte
		got        int
		armAt      time.Time
	}
	streams := map[poller.Conn]*stream{}
	var clients []net.Conn
	var scs []poller.Conn
	for range conns { // all accepted before any sends, so events come in order
		client, sc := accept(t, p)
		clients, scs = append(clients, client), append(scs, sc)
	}
	var wg sync.WaitGroup
	for i, sc := range scs {
		client := clients[i]
		want := make([]byte, total)
		rnd := rand.New(rand.NewPCG(uint64(i), uint64(limit)))
		for j := range want {
			want[j] = byte(rnd.Uint32())
		}
		streams[sc] = &stream{sc: sc, want: want}
		wg.Go(func() {
			for b := want; len(b) > 0; {
				n := min(len(b), 1+rnd.IntN(8<<10)) // often a pooled 4 KiB buffer
				if _, err := client.Write(b[:n]); err != nil {
					return
				}
				b = b[n:]
			}
		})
	}
	t.Cleanup(wg.Wait)
	take := func(s *stream, b []byte) {
		if s.got+len(b) > total || !bytes.Equal(b, s.want[s.got:s.got+len(b)]) {
			t.Fatalf("%d bytes at offset %d are not the ones sent", len(b), s.got)
		}
		s.got += len(b)
	}
	done := 0
	var busy []*stream
	events := make([]poller.Event, 16)
	for deadline := time.Now().Add(20 * time.Second); done < conns; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d streams complete after 20 s", done, conns)
		}
		// Owners whose turn is over check what they held, then re-arm.
		still := busy[:0]
		for _, s := range busy {
			if time.Now().Before(s.armAt) {
				still = append(still, s)
				continue
			}
			if !bytes.Equal(s.held, s.heldCopy) {
				t.Fatal("Event.Data changed while its owner held it")
			}
			if s.got == total {
				done++
				continue
			}
			if err := s.sc.Arm(poller.Readable); err != nil {
				t.Fatal(err)
			}
		}
		busy = still
		n, err := p.Wait(events, 2*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range events[:n] {
			s := streams[ev.Conn]
			if ev.Kind != poller.EventReadable || len(ev.Data) == 0 || len(ev.Data) > limit {
				t.Fatalf("event %v with %d bytes, want readable with 1 to %d", ev.Kind, len(ev.Data), limit)
			}
			take(s, ev.Data)
			s.held, s.heldCopy = ev.Data, append([]byte(nil), ev.Data...)
			s.armAt = time.Now().Add(time.Duration(rand.IntN(2000)) * time.Microsecond)
			busy = append(busy, s)
		}
	}
}
