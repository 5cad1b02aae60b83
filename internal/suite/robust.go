package suite

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miniasync/miniasync/server"
)

// RunRobustness runs the hostile-client battery against the named backend:
// slow clients, floods, resets at every stage, overload. Every loop in it is
// bounded in count and time.
func RunRobustness(t *testing.T, backend string) {
	tg := Target{Backend: backend}
	runCases(t, tg, []testCase{
		{"Slowloris200", testSlowloris},
		{"Concurrent2000x10", testManyConnections},
		{"PipelineWithoutReadingStaysBounded", testPipelineFlood},
		{"TinyChunksHoldTheirDataNotFraming", testTinyChunks},
		{"ResetAndHalfCloseAtEveryStage", testResets},
		{"ShutdownWithManyInFlight", testShutdownManyInFlight},
		{"MaxConns503", testMaxConns},
		{"ElasticPoolPastSlowHandlers", testElasticPool},
		{"StalledReaderHitsWriteTimeout", testWriteTimeout},
		{"DescriptorExhaustion", testFDExhaustion},
	})
}

func testSlowloris(t *testing.T, tg Target) {
	const slow = 200
	const headerTimeout = 800 * time.Millisecond
	_, addr := Start(t, tg, server.Config{ReadHeaderTimeout: headerTimeout}, nil)
	conns := make([]net.Conn, slow)
	for i := range conns {
		conns[i] = Dial(t, addr)
		io.WriteString(conns[i], "GET / HTTP/1.1\r\nHost: t\r\n")
	}
	start := time.Now()
	var closed atomic.Int32
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() {
			// Trickle a byte every 100 ms until the server hangs up (or 5 s).
			for i := 0; i < 50; i++ {
				if _, err := c.Write([]byte("X")); err != nil {
					break
				}
				_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
				var b [64]byte
				if _, err := c.Read(b[:]); err != nil {
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						continue
					}
					break
				}
			}
			if time.Since(start) < 5*time.Second {
				closed.Add(1)
			}
		})
	}
	// Meanwhile a normal client is served promptly.
	c := Dial(t, addr)
	r := bufio.NewReader(c)
	var worst time.Duration
	for range 20 {
		t0 := time.Now()
		io.WriteString(c, get("/hello"))
		if res, err := ReadResponse(r, false); err != nil || string(res.Body) != "Hello" {
			t.Fatalf("normal client during slowloris: %v %+v", err, res)
		}
		worst = max(worst, time.Since(t0))
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	if n := closed.Load(); n != slow {
		t.Fatalf("%d of %d trickling connections were closed within 5s (header timeout %v)", n, slow, headerTimeout)
	}
	if worst > time.Second {
		t.Fatalf("normal client's worst latency %v during slowloris", worst)
	}
	t.Logf("normal client's worst latency during slowloris: %v", worst)
}

func testManyConnections(t *testing.T, tg Target) {
	const conns, each = 2000, 10
	_, addr := Start(t, tg, server.Config{}, nil)
	var answered atomic.Int64
	errs := make(chan error, conns)
	var wg sync.WaitGroup
	sem := make(chan struct{}, conns)
	for i := range conns {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c, err := dialer.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			r := bufio.NewReaderSize(c, 512)
			for j := range each {
				fmt.Fprintf(c, "GET /target?c=%d&r=%d HTTP/1.1\r\nHost: t\r\n\r\n", i, j)
				res, err := ReadResponse(r, false)
				if err != nil {
					errs <- fmt.Errorf("conn %d request %d: %w", i, j, err)
					return
				}
				if want := fmt.Sprintf("/target?c=%d&r=%d", i, j); string(res.Body) != want {
					errs <- fmt.Errorf("conn %d: got %q want %q", i, res.Body, want)
					return
				}
				answered.Add(1)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := answered.Load(); n != conns*each {
		t.Fatalf("%d of %d requests answered", n, conns*each)
	}
}

// settledHeap collects twice: buffers parked in sync.Pools (netpoll reads
// into pooled buffers of up to 8 MiB while a flood lasts) survive one
// collection in the pools' victim caches and are freed by the second, so
// what remains in use is what the server holds.
func settledHeap() {
	runtime.GC()
	runtime.GC()
}

func testPipelineFlood(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	settledHeap() // the heap before, less what earlier tests left for the collector
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	c := Dial(t, addr)
	req := []byte(get("/big?n=4096")) // each answer is ~4 KiB
	chunk := []byte(strings.Repeat(string(req), 256))
	sent := 0
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		_ = c.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := c.Write(chunk)
		sent += n
		if err != nil {
			break // the server stopped reading: what we wanted to see
		}
	}
	settledHeap()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	requests := sent / len(req)
	if requests < 1000 {
		t.Fatalf("only %d requests sent before the server stopped reading", requests)
	}
	// Answered in full, the requests would be requests*4 KiB of output.
	growth := int64(after.HeapInuse) - int64(before.HeapInuse)
	if growth > 32<<20 {
		t.Fatalf("heap grew %d MiB while a client pipelined %d requests without reading", growth>>20, requests)
	}
	t.Logf("pipelined %d requests (%d MiB of answers) without reading; heap grew %d KiB", requests, requests*4096>>20, growth>>10)
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	// The connection still works when the client starts reading.
	r := bufio.NewReader(c)
	if res, err := ReadResponse(r, false); err != nil || len(res.Body) != 4096 {
		t.Fatalf("first pipelined answer: %v", err)
	}
}

// testTinyChunks sends a 1 MiB body in 1-byte chunks, 6 MiB on the wire,
// and stops before its last chunk: the server holding the unfinished body
// must hold about its decoded size, not its framing (which it would if it
// kept everything it read until the body was complete), and answer it
// whole once it ends.
func testTinyChunks(t *testing.T, tg Target) {
	const size = 1 << 20
	_, addr := Start(t, tg, server.Config{}, nil)
	c := Dial(t, addr)
	body := Pattern(size)
	settledHeap()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var wire bytes.Buffer
	wire.WriteString("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
	for _, b := range body {
		wire.WriteString("1\r\n")
		wire.WriteByte(b)
		wire.WriteString("\r\n")
	}
	if _, err := c.Write(wire.Bytes()); err != nil {
		t.Fatal(err)
	}
	// The server answers nothing yet. A slow one (the race detector) may
	// still be parsing what it read, so the heap is measured until it is
	// within the bound, for up to 3 s.
	var growth int64
	for range 10 {
		_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		var ne net.Error
		if n, err := c.Read(make([]byte, 1)); n != 0 || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("an answer before the body ended: %d bytes, %v", n, err)
		}
		settledHeap()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		if growth = int64(after.HeapInuse) - int64(before.HeapInuse); growth <= 4*size {
			break
		}
	}
	if growth > 4*size {
		t.Fatalf("heap grew %d KiB holding an unfinished %d KiB body sent in 1-byte chunks", growth>>10, size>>10)
	}
	t.Logf("heap grew %d KiB holding an unfinished %d KiB body sent in 1-byte chunks (%d KiB on the wire)", growth>>10, size>>10, 6*size>>10)
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	io.WriteString(c, "0\r\n\r\n")
	res, err := ReadResponse(bufio.NewReader(c), false)
	if err != nil || res.Status != 200 || !bytes.Equal(res.Body, body) {
		t.Fatalf("answer to the finished body: %v, %d bytes back of %d", err, len(res.Body), size)
	}
}

// noHalfClose lists backends that cannot answer a client after it shuts
// down its sending side, with the reason; the reset battery only checks
// that they disconnect such a client instead of hanging.
var noHalfClose = map[string]string{
	"netpoll": "netpoll closes a connection as soon as the peer shuts down its sending side",
}

func testResets(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	reset := func(c net.Conn) {
		_ = c.(*net.TCPConn).SetLinger(0) // close sends RST
		_ = c.Close()
	}
	stages := []struct {
		name string
		run  func(c net.Conn)
	}{
		{"reset before sending", func(c net.Conn) { reset(c) }},
		{"reset mid-request-line", func(c net.Conn) { io.WriteString(c, "GET /hel"); time.Sleep(5 * time.Millisecond); reset(c) }},
		{"reset mid-headers", func(c net.Conn) {
			io.WriteString(c, "GET / HTTP/1.1\r\nHost")
			time.Sleep(5 * time.Millisecond)
			reset(c)
		}},
		{"reset mid-body", func(c net.Conn) {
			io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc")
			time.Sleep(5 * time.Millisecond)
			reset(c)
		}},
		{"reset mid-response", func(c net.Conn) {
			io.WriteString(c, get("/big?n=8000000"))
			var b [1000]byte
			_, _ = io.ReadFull(c, b[:])
			reset(c)
		}},
		{"reset with pipelined requests unread", func(c net.Conn) { io.WriteString(c, strings.Repeat(get("/hello"), 50)); reset(c) }},
		{"half-close after a request", func(c net.Conn) {
			io.WriteString(c, get("/hello"))
			_ = c.(*net.TCPConn).CloseWrite()
			res, err := ReadResponse(bufio.NewReader(c), false)
			if why, ok := noHalfClose[tg.Backend]; ok {
				// It cannot answer reliably, but must close, not hang.
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					t.Errorf("half-closed client neither answered nor disconnected (%s)", why)
				}
			} else if err != nil || string(res.Body) != "Hello" {
				t.Errorf("half-closed client not answered: %v", err)
			}
			_ = c.Close()
		}},
		{"half-close mid-request", func(c net.Conn) {
			io.WriteString(c, "GET / HTTP/1.1\r\nHo")
			_ = c.(*net.TCPConn).CloseWrite()
			ExpectClosed(t, c, bufio.NewReader(c))
			_ = c.Close()
		}},
		{"half-close mid-body", func(c net.Conn) {
			io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
			_ = c.(*net.TCPConn).CloseWrite()
			ExpectClosed(t, c, bufio.NewReader(c))
			_ = c.Close()
		}},
	}
	for _, st := range stages {
		for range 5 {
			c, err := dialer.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			_ = c.SetDeadline(time.Now().Add(ioTimeout))
			st.run(c)
		}
		if res := roundTrip(t, addr, get("/hello")); string(res.Body) != "Hello" {
			t.Fatalf("after %q: server answers %q", st.name, res.Body)
		}
	}
}

func testShutdownManyInFlight(t *testing.T, tg Target) {
	srv, addr := Start(t, tg, server.Config{Workers: 4, MaxWorkers: 32}, nil)
	const inFlight = 20
	type result struct {
		res *Response
		err error
	}
	results := make(chan result, inFlight)
	for range inFlight {
		c := Dial(t, addr)
		io.WriteString(c, get("/sleep?ms=400"))
		go func() {
			res, err := ReadResponse(bufio.NewReader(c), false)
			results <- result{res, err}
		}()
	}
	time.Sleep(100 * time.Millisecond) // all are running
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for range inFlight {
		r := <-results
		if r.err != nil || string(r.res.Body) != "slept" {
			t.Fatalf("in-flight request lost or cut by shutdown: %v", r.err)
		}
	}
}

func testMaxConns(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{MaxConns: 2}, nil)
	held := []net.Conn{Dial(t, addr), Dial(t, addr)}
	for _, c := range held { // make sure both are open on the server
		io.WriteString(c, get("/hello"))
		if _, err := ReadResponse(bufio.NewReader(c), false); err != nil {
			t.Fatal(err)
		}
	}
	c := Dial(t, addr)
	r := bufio.NewReader(c)
	res, err := ReadResponse(r, false)
	if err != nil || res.Status != 503 || !res.Close {
		t.Fatalf("connection past MaxConns: %v %+v, want 503 and close", err, res)
	}
	ExpectClosed(t, c, r)
	held[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		res := roundTrip(t, addr, get("/hello"))
		if res.Status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a slot freed by a close is not reused: %d", res.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func testElasticPool(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{Workers: 1, MaxWorkers: 4}, nil)
	slow := Dial(t, addr)
	io.WriteString(slow, get("/sleep?ms=1500"))
	time.Sleep(50 * time.Millisecond) // the only fixed worker is busy
	t0 := time.Now()
	if res := roundTrip(t, addr, get("/hello")); string(res.Body) != "Hello" {
		t.Fatalf("got %q", res.Body)
	}
	if d := time.Since(t0); d > time.Second {
		t.Fatalf("a fast request waited %v behind a slow handler despite MaxWorkers", d)
	}
}

func testWriteTimeout(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{WriteTimeout: 300 * time.Millisecond}, nil)
	c := Dial(t, addr)
	io.WriteString(c, get("/big?n=32000000"))
	time.Sleep(1500 * time.Millisecond) // read nothing: the server gives up
	_ = c.SetReadDeadline(time.Now().Add(ioTimeout))
	n, err := io.Copy(io.Discard, c)
	if err == nil && n >= 32000000 {
		t.Fatalf("server kept a stalled reader past the write timeout (%d bytes delivered)", n)
	}
}
