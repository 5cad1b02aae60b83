package server_test

import (
	"bufio"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/miniasync/miniasync/internal/suite"
	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/server"
)

// TestHTTPHandlerBodyReadOutlivesHandler: a handler that leaves a
// goroutine reading a streamed body and returns (http.TimeoutHandler does)
// gets its response out within a tick or so, the goroutine's read fails
// instead of reporting a cut body complete, the connection closes (its
// body is unfinished) and nothing leaks or races: Shutdown completes
// (suite.Start checks at cleanup), and the race detector watches CI's run.
func TestHTTPHandlerBodyReadOutlivesHandler(t *testing.T) {
	type read struct {
		n   int
		err error
	}
	inner := make(chan read, 1)
	h := server.HTTPHandler(http.TimeoutHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		inner <- read{len(b), err}
	}), 100*time.Millisecond, "too slow"))
	_, addr := suite.Start(t, suite.Target{Backend: poller.Default()}, server.Config{Workers: 2, StreamBodies: true}, h)
	c := suite.Dial(t, addr)
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01")
	start := time.Now()
	r := bufio.NewReader(c)
	res, err := suite.ReadResponse(r, false)
	if err != nil || res.Status != http.StatusServiceUnavailable || string(res.Body) != "too slow" || !res.Close {
		t.Fatalf("response %+v, %v; want 503 too slow, closing", res, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the response took %v: it waited for the abandoned read", d)
	}
	select {
	case got := <-inner:
		if got.err == nil {
			t.Errorf("the abandoned read returned %d of 10 bytes and no error", got.n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the abandoned read never returned")
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if rest, err := io.ReadAll(r); err != nil || len(rest) != 0 {
		t.Errorf("after the response: %q, %v; want the connection closed", rest, err)
	}
	// The server goes on serving.
	c2 := suite.Dial(t, addr)
	io.WriteString(c2, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab")
	if res, err := suite.ReadResponse(bufio.NewReader(c2), false); err != nil || res.Status != http.StatusOK {
		t.Fatalf("a new connection: %+v, %v", res, err)
	}
	if got := <-inner; got.err != nil || got.n != 2 {
		t.Errorf("a new connection's body: %d bytes, %v", got.n, got.err)
	}
}
