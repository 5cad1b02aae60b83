// Package suite is the backend-independent integration suite: every test in
// it runs a real server on a loopback port with the backend it is given, and
// talks to it over TCP with Go's net/http client and with raw sockets.
//
// A backend's tests run it with Run(t, "name"); the server package runs it
// for every backend available on the platform.
package suite

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miniasync/miniasync/protocol"
	"github.com/miniasync/miniasync/server"
)

// ioTimeout bounds every read and write a test makes, so a broken server
// fails the test instead of hanging it.
const ioTimeout = 10 * time.Second

// Handler is the suite's test application. Routes:
//
//	/hello          "Hello" as text/plain
//	/echo           the request body back, byte for byte
//	/target         the request target
//	/method         the method
//	/header?name=N  the value of header N
//	/big?n=N        N bytes of a repeating pattern
//	/panic          panics
//	/sleep?ms=N     sleeps N ms, then "slept"
//	/close          "bye" and asks to close the connection
//	/remote         the client's address three ways: AppendRemoteAddr,
//	                RemoteAddr and LocalAddr, separated by spaces
func Handler(req *protocol.Request, res *protocol.Response) {
	res.ContentType("text/plain")
	switch req.Path() {
	case "/hello":
		res.BodyString("Hello")
	case "/echo":
		_, _ = res.Write(req.Body())
	case "/target":
		res.BodyString(req.Target())
	case "/method":
		res.BodyString(req.Method())
	case "/header":
		res.BodyString(req.Header(queryValue(req.Query(), "name")))
	case "/big":
		n, _ := strconv.Atoi(queryValue(req.Query(), "n"))
		_, _ = res.Write(Pattern(n))
	case "/panic":
		panic("handler panic on purpose")
	case "/sleep":
		ms, _ := strconv.Atoi(queryValue(req.Query(), "ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		res.BodyString("slept")
	case "/close":
		res.Close().BodyString("bye")
	case "/remote":
		b := req.AppendRemoteAddr(make([]byte, 0, 64))
		b = fmt.Appendf(b, " %v %v", req.RemoteAddr(), req.LocalAddr())
		_, _ = res.Write(b)
	default:
		res.Status(404).BodyString("not found")
	}
}

func queryValue(query, key string) string {
	for part := range strings.SplitSeq(query, "&") {
		if k, v, ok := strings.Cut(part, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// Pattern returns n bytes of a repeating, position-dependent pattern, so a
// dropped or repeated chunk shows up in a comparison.
func Pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + (i/7+i)%26)
	}
	return b
}

// Target is what a suite run tests: a backend, and how the server runs
// handlers on it.
type Target struct {
	// Backend names the poller backend.
	Backend string
	// Inline runs handlers on the event loop (server.Config.Inline).
	Inline bool
}

// Start runs a server for the target with the given config on a loopback
// port and stops it when the test ends, failing the test if the shutdown
// does not complete. It returns the server and its address.
func Start(t testing.TB, tg Target, cfg server.Config, h server.Handler) (*server.Server, string) {
	t.Helper()
	cfg.Backend = tg.Backend
	cfg.Inline = cfg.Inline || tg.Inline
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Workers == 0 {
		cfg.Workers = 3
	}
	if h == nil {
		h = server.HandlerFunc(Handler)
	}
	srv, err := server.New(cfg, h)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatalf("Listen: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		select {
		case err := <-served:
			if !errors.Is(err, server.ErrServerClosed) {
				t.Errorf("Serve returned %v, want ErrServerClosed", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Serve did not return after Shutdown")
		}
	})
	return srv, srv.Addr().String()
}

// Dial opens a raw TCP connection to addr with a deadline on every
// operation.
func Dial(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Response is a response read off a raw connection.
type Response struct {
	Status int
	Header map[string]string // last value per lower-case name
	Body   []byte
	Close  bool // the response says the connection closes
}

// ReadResponse reads one response from r, with a Content-Length or chunked
// body (or none, for HEAD when head is true).
func ReadResponse(r *bufio.Reader, head bool) (*Response, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(line, "HTTP/1.1 ") || len(line) < 14 {
		return nil, errors.New("bad status line: " + strconv.Quote(line))
	}
	code, err := strconv.Atoi(line[9:12])
	if err != nil {
		return nil, err
	}
	res := &Response{Status: code, Header: map[string]string{}}
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		l = strings.TrimRight(l, "\r\n")
		if l == "" {
			break
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			return nil, errors.New("bad header line: " + strconv.Quote(l))
		}
		res.Header[strings.ToLower(k)] = strings.TrimSpace(v)
	}
	res.Close = strings.EqualFold(res.Header["connection"], "close")
	if head || code == 204 || code == 304 || code < 200 {
		return res, nil
	}
	if strings.EqualFold(res.Header["transfer-encoding"], "chunked") {
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return nil, err
			}
			size, err := strconv.ParseInt(strings.TrimRight(l, "\r\n"), 16, 64)
			if err != nil {
				return nil, err
			}
			if size == 0 {
				_, err = r.ReadString('\n')
				return res, err
			}
			chunk := make([]byte, size+2)
			if _, err := io.ReadFull(r, chunk); err != nil {
				return nil, err
			}
			res.Body = append(res.Body, chunk[:size]...)
		}
	}
	cl, ok := res.Header["content-length"]
	if !ok {
		res.Body, err = io.ReadAll(r)
		return res, err
	}
	n, err := strconv.Atoi(cl)
	if err != nil {
		return nil, err
	}
	res.Body = make([]byte, n)
	_, err = io.ReadFull(r, res.Body)
	return res, err
}

// ExpectClosed fails the test unless the server closes c (EOF or reset)
// without sending anything more.
func ExpectClosed(t testing.TB, c net.Conn, r *bufio.Reader) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(ioTimeout))
	b, err := r.ReadByte()
	if err == nil {
		rest, _ := r.Peek(r.Buffered())
		t.Fatalf("connection still open: read %q", append([]byte{b}, rest...))
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection not closed within %v", ioTimeout)
	}
}

// openFDs counts this process's open descriptors (Linux), or -1.
func openFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// CheckFDs returns a function that fails t if the process holds more
// descriptors than when CheckFDs was called, allowing a short time for
// asynchronous closes to land.
func CheckFDs(t testing.TB) func() {
	before := openFDs()
	return func() {
		t.Helper()
		if before < 0 {
			return
		}
		deadline := time.Now().Add(3 * time.Second)
		for {
			now := openFDs()
			if now <= before {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("descriptor leak: %d open before, %d after", before, now)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
