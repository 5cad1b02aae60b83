package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
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

// TestHTTPHandlerAnswersWhileAnotherGoroutineReads: http.TimeoutHandler
// answering while its inner goroutine waits in r.Body.Read, with
// Expect: 100-continue (the reader sends the 100) and with a message
// longer than the response buffer (the answer goes out while the handler
// runs), at two MaxOutput sizes. The answer's writes and the reader take
// turns on the connection: the race detector watches, the 503 arrives
// whole and the reader's read fails.
func TestHTTPHandlerAnswersWhileAnotherGoroutineReads(t *testing.T) {
	for _, expect := range []bool{false, true} {
		for _, msgLen := range []int{8, 3000} {
			for _, maxOut := range []int{0, 1024} {
				t.Run(fmt.Sprintf("expect=%v/msg=%d/maxOutput=%d", expect, msgLen, maxOut), func(t *testing.T) {
					inner := make(chan error, 1)
					msg := strings.Repeat("m", msgLen)
					h := server.HTTPHandler(http.TimeoutHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						_, err := io.ReadAll(r.Body)
						inner <- err
					}), 100*time.Millisecond, msg))
					cfg := server.Config{Workers: 2, StreamBodies: true, MaxOutput: maxOut}
					_, addr := suite.Start(t, suite.Target{Backend: poller.Default()}, cfg, h)
					c := suite.Dial(t, addr)
					head := "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n"
					if expect {
						head += "Expect: 100-continue\r\n"
					}
					io.WriteString(c, head+"\r\n01")
					r := bufio.NewReader(c)
					res, err := suite.ReadResponse(r, false)
					if err == nil && expect && res.Status == http.StatusContinue {
						res, err = suite.ReadResponse(r, false)
					}
					if err != nil {
						t.Fatalf("response: %v", err)
					}
					if res.Status != http.StatusServiceUnavailable || string(res.Body) != msg || !res.Close {
						t.Fatalf("response %d, %d body bytes, close %v (%v); want 503 with the message, closing", res.Status, len(res.Body), res.Close, res.Header)
					}
					expectCutShort(t, inner)
				})
			}
		}
	}
}

// TestHTTPHandlerGoexitWithBodyReaderLeftBehind: a handler that leaves a
// goroutine waiting in r.Body.Read and calls runtime.Goexit: the reader's
// read ends (its connection closes) instead of waiting forever.
func TestHTTPHandlerGoexitWithBodyReaderLeftBehind(t *testing.T) {
	inner := make(chan error, 1)
	h := server.HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		go func() {
			_, err := io.ReadAll(r.Body)
			inner <- err
		}()
		time.Sleep(100 * time.Millisecond) // the reader waits for the client
		runtime.Goexit()
	}))
	_, addr := suite.Start(t, suite.Target{Backend: poller.Default()}, server.Config{Workers: 2, StreamBodies: true}, h)
	c := suite.Dial(t, addr)
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01")
	suite.ExpectClosed(t, c, bufio.NewReader(c))
	expectCutShort(t, inner)
}

// expectCutShort waits for the error of a body read a handler left behind
// and fails unless the read ended, with an error: the client never sent
// the whole body.
func expectCutShort(t *testing.T, inner <-chan error) {
	t.Helper()
	select {
	case err := <-inner:
		if err == nil {
			t.Error("the reader left behind read the whole of a body the client never finished")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the reader left behind never returned")
	}
}

// TestHTTPHandlerAbandonedReadLeavesNoTrace: with one worker, the request
// after one whose body read was abandoned (its exchange reused) streams a
// slow body as usual: nothing of the abandoned read (its flag, its
// deadline) carries over.
func TestHTTPHandlerAbandonedReadLeavesNoTrace(t *testing.T) {
	inner := make(chan error, 2)
	h := server.HTTPHandler(http.TimeoutHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		inner <- err
		fmt.Fprintf(w, "%s", b)
	}), 1500*time.Millisecond, "too slow"))
	_, addr := suite.Start(t, suite.Target{Backend: poller.Default()}, server.Config{Workers: 1, StreamBodies: true}, h)
	c := suite.Dial(t, addr)
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01")
	r := bufio.NewReader(c)
	if res, err := suite.ReadResponse(r, false); err != nil || res.Status != http.StatusServiceUnavailable {
		t.Fatalf("first: %+v, %v", res, err)
	}
	<-inner
	// Closing the first connection from this side lets the one worker
	// close it too, which puts its request state in that worker's stash:
	// the second connection, on the same worker, gets the same state.
	suite.ExpectClosed(t, c, r)
	c.Close()
	time.Sleep(100 * time.Millisecond)
	c2 := suite.Dial(t, addr)
	io.WriteString(c2, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab")
	time.Sleep(500 * time.Millisecond) // several sweeps while the read waits
	io.WriteString(c2, "cd")
	if res, err := suite.ReadResponse(bufio.NewReader(c2), false); err != nil || res.Status != http.StatusOK || string(res.Body) != "abcd" {
		t.Fatalf("second: %+v, %v; want 200 abcd", res, err)
	}
	if err := <-inner; err != nil {
		t.Errorf("second read: %v", err)
	}
}
