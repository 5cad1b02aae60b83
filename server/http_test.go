package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/miniasync/miniasync/internal/suite"
	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/server"
)

// compareMux is a set of real-world handlers: a Go 1.22 pattern mux, the
// standard library's helpers (http.Error, redirects, ServeContent), a
// middleware, flushing, trailers, interim responses and request echoes.
func compareMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("Hello"))
	})
	mux.HandleFunc("GET /typed", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		fmt.Fprint(w, "typed")
	})
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "item %s\n", r.PathValue("id"))
	})
	mux.HandleFunc("POST /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "created %s", r.PathValue("id"))
	})
	mux.HandleFunc("GET /files/{path...}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "path=%q", r.PathValue("path"))
	})
	mux.HandleFunc("/teapot", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "short and stout", http.StatusTeapot)
	})
	mux.Handle("/dir/", http.StripPrefix("/dir", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "in dir: %s", r.URL.Path)
	})))
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/nocontent", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusNoContent)
		_, err := w.Write([]byte("dropped"))
		w.Header().Set("X-Late", "not sent")
		_ = err
	})
	mux.HandleFunc("/notmodified", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Etag", `"x"`)
		w.WriteHeader(http.StatusNotModified)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("0123456789"), 500)) // 5000 bytes: chunked
	})
	mux.HandleFunc("/pieces", func(w http.ResponseWriter, r *http.Request) {
		for i := range 300 {
			fmt.Fprintf(w, "piece %d\n", i) // crosses the 2 KiB buffer mid-write
		}
	})
	mux.HandleFunc("/flush", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		io.WriteString(w, "data: two\n\n")
	})
	mux.HandleFunc("/length", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5")
		_, err := w.Write([]byte("12345678")) // over the declared length
		fmt.Fprint(w, err == http.ErrContentLength)
	})
	mux.HandleFunc("/short", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		w.Write([]byte("12345")) // under it: the connection must close
	})
	mux.HandleFunc("/trailers", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Checksum")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "body")
		w.Header().Set("X-Checksum", "abc")
		w.Header().Set(http.TrailerPrefix+"X-Late", "late")
	})
	mux.HandleFunc("/hints", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		io.WriteString(w, "after hints")
	})
	mux.HandleFunc("/unknown-status", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(599)
	})
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "bye")
	})
	mux.HandleFunc("/content", func(w http.ResponseWriter, r *http.Request) {
		mod := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		http.ServeContent(w, r, "hello.txt", mod, strings.NewReader("0123456789abcdef"))
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		var keys []string
		for k, v := range r.Header {
			keys = append(keys, fmt.Sprintf("%s=%q", k, v))
		}
		sort.Strings(keys)
		fmt.Fprintf(w, "method=%s uri=%s url=%s path=%q query=%q host=%s proto=%s/%d.%d len=%d te=%v close=%v tls=%v\n",
			r.Method, r.RequestURI, r.URL, r.URL.Path, r.URL.RawQuery, r.Host, r.Proto, r.ProtoMajor, r.ProtoMinor,
			r.ContentLength, r.TransferEncoding, r.Close, r.TLS != nil)
		fmt.Fprintf(w, "headers=%s\nbody=%q err=%v\n", strings.Join(keys, " "), body, err)
		_, local := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
		fmt.Fprintf(w, "local-addr-in-context=%v remote-set=%v\n", local, r.RemoteAddr != "")
	})
	mux.HandleFunc("/ignore-body", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "not reading it")
	})
	mux.HandleFunc("/panic-abort", func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	})
	mux.HandleFunc("/controller", func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		io.WriteString(w, "x")
		fmt.Fprintf(w, " flush=%v", rc.Flush())
	})
	// A middleware chain around the mux.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Middleware", "yes")
		mux.ServeHTTP(w, r)
	})
}

// compareCases are raw requests; each is followed on the same connection by
// a closing request, so keep-alive decisions show in the bytes too.
var compareCases = []struct{ name, req string }{
	{"hello", "GET /hello HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"typed", "GET /typed HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"pattern wildcard", "GET /items/42 HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"pattern method", "POST /items/7 HTTP/1.1\r\nHost: example.com\r\nContent-Length: 0\r\n\r\n"},
	{"pattern 405", "DELETE /items/7 HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"pattern rest", "GET /files/a/b%2Fc.txt HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"not found", "GET /nope HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"redirect", "GET /dir HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"strip prefix", "GET /dir/sub?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"http.Error", "GET /teapot HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"empty", "GET /empty HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"204", "GET /nocontent HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"304", "GET /notmodified HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"big", "GET /big HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"pieces", "GET /pieces HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"flush", "GET /flush HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"over length", "GET /length HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"under length", "GET /short HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"trailers", "GET /trailers HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"early hints", "GET /hints HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"unknown status", "GET /unknown-status HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"handler close", "GET /close HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"serve content", "GET /content HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"range", "GET /content HTTP/1.1\r\nHost: example.com\r\nRange: bytes=2-5\r\n\r\n"},
	{"conditional", "GET /content HTTP/1.1\r\nHost: example.com\r\nIf-Modified-Since: Fri, 02 Jan 2026 03:04:05 GMT\r\n\r\n"},
	{"head", "HEAD /hello HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"head big", "HEAD /big HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"head content", "HEAD /content HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"http/1.0", "GET /hello HTTP/1.0\r\n\r\n"},
	{"http/1.0 keep-alive", "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"},
	{"http/1.0 keep-alive big", "GET /big HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"},
	{"http/1.0 content", "GET /content HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"},
	{"client close", "GET /hello HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n"},
	{"echo", "GET /echo?a=1&b=%20x HTTP/1.1\r\nHost: example.com:8080\r\nx-lower: v\r\nAccept: a\r\nAccept: b\r\nUser-Agent: t\r\n\r\n"},
	{"echo body", "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world"},
	{"echo chunked", "PUT /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"},
	{"echo absolute-form", "GET http://other.example/echo?x HTTP/1.1\r\nHost: ignored\r\n\r\n"},
	{"echo escaped path", "GET /echo/../echo%3F HTTP/1.1\r\nHost: h\r\n\r\n"},
	{"echo force query", "GET /echo? HTTP/1.1\r\nHost: h\r\n\r\n"},
	{"unread body", "POST /ignore-body HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nabcd"},
	{"controller", "GET /controller HTTP/1.1\r\nHost: h\r\n\r\n"},
	{"abort", "GET /panic-abort HTTP/1.1\r\nHost: h\r\n\r\n"},
}

// closing ends every exchange: whatever the case left open, this request
// makes both servers close the connection.
const closing = "GET /hello HTTP/1.1\r\nHost: end\r\nConnection: close\r\n\r\n"

var dateField = regexp.MustCompile(`(?m)^Date: [^\r]*\r\n`)

// exchangeRaw sends req then closing on one connection and returns every
// byte the server sent until it closed, Date normalised.
func exchangeRaw(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req+closing); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil && !isReset(err) {
		t.Fatalf("reading: %v (got %q)", err, got)
	}
	return dateField.ReplaceAllString(string(got), "Date: <date>\r\n")
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe"))
}

// startNetHTTP serves h with the standard library's server on loopback.
func startNetHTTP(t testing.TB, h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h, ErrorLog: nil}
	go hs.Serve(ln)
	t.Cleanup(func() {
		// Shutdown, not just Close: it waits for connection goroutines,
		// one of which may sleep half a second after a closing response
		// (closeWriteAndWait), which goleak would report.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
		hs.Close()
	})
	return ln.Addr().String()
}

// TestHTTPHandlerMatchesNetHTTP runs the same handlers under net/http's
// server and under HTTPHandler on every backend, and compares every byte of
// the responses (Date aside).
func TestHTTPHandlerMatchesNetHTTP(t *testing.T) {
	h := compareMux()
	std := startNetHTTP(t, h)
	for _, backend := range poller.Available() {
		t.Run(backend, func(t *testing.T) {
			_, ours := suite.Start(t, suite.Target{Backend: backend}, server.Config{Workers: 2}, server.HTTPHandler(h))
			for _, tc := range compareCases {
				want := exchangeRaw(t, std, tc.req)
				got := exchangeRaw(t, ours, tc.req)
				if got != want {
					t.Errorf("%s:\nnet/http:\n%s\nminiasync:\n%s", tc.name, want, got)
				}
			}
		})
	}
}

// TestHTTPHandlerInline compares the same way with handlers on the loop.
func TestHTTPHandlerInline(t *testing.T) {
	h := compareMux()
	std := startNetHTTP(t, h)
	_, ours := suite.Start(t, suite.Target{Backend: poller.Default(), Inline: true}, server.Config{}, server.HTTPHandler(h))
	for _, tc := range compareCases {
		if want, got := exchangeRaw(t, std, tc.req), exchangeRaw(t, ours, tc.req); got != want {
			t.Errorf("%s:\nnet/http:\n%s\nminiasync:\n%s", tc.name, want, got)
		}
	}
}

// TestHTTPHandlerStdlibHandlers serves net/http/pprof and expvar, real
// handlers users mount on their servers.
func TestHTTPHandlerStdlibHandlers(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/debug/vars", expvar.Handler())
	_, addr := suite.Start(t, suite.Target{Backend: poller.Default()}, server.Config{Workers: 2}, server.HTTPHandler(mux))
	client := &http.Client{Timeout: 10 * time.Second}
	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		res, err := client.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, body
	}

	res, body := get("/debug/pprof/")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || !bytes.Contains(body, []byte("goroutine")) {
		t.Errorf("pprof index: %d %q %.200s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	res, body = get("/debug/pprof/goroutine?debug=1")
	if res.StatusCode != 200 || !bytes.Contains(body, []byte("goroutine profile:")) {
		t.Errorf("goroutine profile: %d %.200s", res.StatusCode, body)
	}
	res, body = get("/debug/pprof/heap")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/octet-stream" || len(body) < 2 || body[0] != 0x1f || body[1] != 0x8b {
		t.Errorf("heap profile: %d %q, %d bytes, want gzip", res.StatusCode, res.Header.Get("Content-Type"), len(body))
	}
	res, body = get("/debug/pprof/profile?seconds=1")
	if res.StatusCode != 200 || len(body) < 2 || body[0] != 0x1f || body[1] != 0x8b {
		t.Errorf("cpu profile: %d, %d bytes %.100q", res.StatusCode, len(body), body)
	}
	res, body = get("/debug/pprof/cmdline")
	if res.StatusCode != 200 || !bytes.Contains(body, []byte("server.test")) {
		t.Errorf("cmdline: %d %q", res.StatusCode, body)
	}
	res, body = get("/debug/vars")
	var vars map[string]json.RawMessage
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json; charset=utf-8" || json.Unmarshal(body, &vars) != nil || vars["memstats"] == nil || vars["cmdline"] == nil {
		t.Errorf("expvar: %d %q %.200s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
}

// contextWaiter returns a handler for one request that closes started when
// it runs, then waits for its request's context to end and sends the
// context's error on cancelled (nil if it did not end within 5 s).
func contextWaiter() (h http.Handler, started chan struct{}, cancelled chan error) {
	started, cancelled = make(chan struct{}), make(chan error, 1)
	h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		select {
		case <-r.Context().Done():
			cancelled <- r.Context().Err()
		case <-time.After(5 * time.Second):
			cancelled <- nil
		}
	})
	return h, started, cancelled
}

// TestHTTPHandlerContextCancelledWhenClientLeaves checks r.Context() ends
// when the client closes its connection while the handler runs.
func TestHTTPHandlerContextCancelledWhenClientLeaves(t *testing.T) {
	for _, backend := range poller.Available() {
		t.Run(backend, func(t *testing.T) {
			h, started, cancelled := contextWaiter()
			_, addr := suite.Start(t, suite.Target{Backend: backend}, server.Config{Workers: 2}, server.HTTPHandler(h))
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			<-started
			c.Close()
			if err := <-cancelled; err != context.Canceled {
				t.Fatalf("context error %v, want context.Canceled", err)
			}
		})
	}
}

// TestHTTPHandlerContextCancelledOnClose checks Close cancels the context
// of a handler waiting on it, so the handler and Close both return.
func TestHTTPHandlerContextCancelledOnClose(t *testing.T) {
	h, started, cancelled := contextWaiter()
	srv, addr := suite.Start(t, suite.Target{Backend: poller.Default()}, server.Config{Workers: 2}, server.HTTPHandler(h))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	<-started
	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	if err := <-cancelled; err != context.Canceled {
		t.Fatalf("context error %v, want context.Canceled", err)
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return after the handler did")
	}
}

// TestHTTPHandlerUnsupported checks the documented gaps answer the standard
// way instead of misbehaving.
func TestHTTPHandlerUnsupported(t *testing.T) {
	results := make(chan string, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		_, _, hijackErr := rc.Hijack()
		_, isHijacker := w.(http.Hijacker)
		_, isPusher := w.(http.Pusher)
		deadlineErr := rc.SetWriteDeadline(time.Now().Add(time.Second))
		results <- fmt.Sprintf("hijack=%v hijacker=%v pusher=%v deadline=%v",
			errors.Is(hijackErr, http.ErrNotSupported), isHijacker, isPusher, errors.Is(deadlineErr, http.ErrNotSupported))
	})
	_, addr := suite.Start(t, suite.Target{Backend: poller.Default()}, server.Config{Workers: 2}, server.HTTPHandler(h))
	res, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got, want := <-results, "hijack=true hijacker=false pusher=false deadline=true"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

// BenchmarkHTTPHandler measures the adapter over one real connection
// against the native API; allocs/op is the server's per request.
func BenchmarkHTTPHandler(b *testing.B) {
	adapted := server.HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(helloBody)
	}))
	for _, tc := range []struct {
		name string
		h    server.Handler
	}{{"native", server.HandlerFunc(hello)}, {"http.Handler", adapted}} {
		b.Run(tc.name, func(b *testing.B) { benchmarkHandler(b, tc.h) })
	}
	b.Run("net/http", func(b *testing.B) {
		addr := startNetHTTP(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Write(helloBody)
		}))
		benchmarkAddr(b, addr, 1)
	})
}

// TestHTTPHandlerRemoteAddr checks r.RemoteAddr is the client's address in
// net.TCPAddr's form, as net/http reports it.
func TestHTTPHandlerRemoteAddr(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.RemoteAddr) })
	_, addr := suite.Start(t, suite.Target{Backend: poller.Default()}, server.Config{Workers: 2}, server.HTTPHandler(h))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	raw, _ := io.ReadAll(c)
	if want := c.LocalAddr().String(); !strings.HasSuffix(string(raw), "\r\n\r\n"+want) {
		t.Fatalf("response %q, want body %q", raw, want)
	}
}
