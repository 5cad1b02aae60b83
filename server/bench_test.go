package server_test

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/miniasync/miniasync/internal/suite"
	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/protocol"
	"github.com/miniasync/miniasync/server"
)

var helloBody = []byte("Hello")

func hello(_ *protocol.Request, res *protocol.Response) {
	res.Status(200).ContentType("text/plain").Body(helloBody)
}

// benchmarkServer measures round trips over one real loopback connection,
// pipeline requests per write. The client side allocates nothing per
// request, so allocs/op is the server's (testing counts every goroutine).
func benchmarkServer(b *testing.B, backend string, pipeline int) {
	benchmarkRoundTrips(b, backend, server.HandlerFunc(hello), pipeline)
}

// benchmarkHandler measures h on the default backend without pipelining.
func benchmarkHandler(b *testing.B, h server.Handler) {
	benchmarkRoundTrips(b, poller.Default(), h, 1)
}

func benchmarkRoundTrips(b *testing.B, backend string, h server.Handler, pipeline int) {
	_, addr := suite.Start(b, suite.Target{Backend: backend}, server.Config{Workers: 2}, h)
	benchmarkAddr(b, addr, pipeline)
}

// benchmarkAddr measures round trips to the server at addr.
func benchmarkAddr(b *testing.B, addr string, pipeline int) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	req := bytes.Repeat([]byte("GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: miniasync-bench\r\nAccept: */*\r\n\r\n"), pipeline)
	// Learn the response size once; responses differ only in their Date.
	if _, err := c.Write(req[:len(req)/pipeline]); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	n, err := c.Read(buf)
	if err != nil {
		b.Fatal(err)
	}
	want := n * pipeline
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += pipeline {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf[:want]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkServerHello(b *testing.B) {
	for _, backend := range poller.Available() {
		b.Run(backend, func(b *testing.B) { benchmarkServer(b, backend, 1) })
		b.Run(backend+"/pipelined16", func(b *testing.B) { benchmarkServer(b, backend, 16) })
	}
}

// TestHelloAllocatesNothingPerRequest asserts what BenchmarkServerHello
// reports: in steady state a keep-alive request costs the server no heap
// allocation, also when the handler writes the client's address.
func TestHelloAllocatesNothingPerRequest(t *testing.T) {
	var mu sync.Mutex
	var scratch []byte
	remote := func(req *protocol.Request, res *protocol.Response) {
		mu.Lock()
		defer mu.Unlock()
		scratch = req.AppendRemoteAddr(scratch[:0])
		_, _ = res.ContentType("text/plain").Write(scratch)
	}
	for _, tc := range []struct {
		name    string
		handler server.HandlerFunc
	}{{"hello", hello}, {"remote address", remote}} {
		t.Run(tc.name, func(t *testing.T) { testNoAllocsPerRequest(t, tc.handler) })
	}
}

func testNoAllocsPerRequest(t *testing.T, h server.HandlerFunc) {
	_, addr := suite.Start(t, suite.Target{Backend: poller.Default()}, server.Config{Workers: 2}, h)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := []byte("GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
	buf := make([]byte, 4096)
	c.Write(req)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	roundTrip := func() {
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf[:n]); err != nil {
			t.Fatal(err)
		}
	}
	for range 100 { // warm the buffer pools
		roundTrip()
	}
	// Under the race detector sync.Pool drops a random share of what is put
	// back, so a pooled buffer may be allocated anew now and then.
	if allocs := testing.AllocsPerRun(500, roundTrip); allocs > 0.05 && !raceEnabled {
		t.Fatalf("%.2f allocations per request, want 0", allocs)
	}
}
