package loadgen

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const helloResponse = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nHello"

// rawServer serves each accepted connection with serve on loopback until
// the test ends, and returns its address.
func rawServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// answerEach writes resp(i) for the i-th request of a connection (requests
// without bodies, ended by a blank line). A nil answer closes.
func answerEach(resp func(i int) []byte) func(net.Conn) {
	return func(c net.Conn) {
		buf := make([]byte, 64<<10)
		out := make([]byte, 0, 64<<10)
		pending, i := 0, 0
		for {
			n, err := c.Read(buf[pending:])
			if err != nil {
				return
			}
			pending += n
			out = out[:0]
			start := 0
			for {
				end := indexBlankLine(buf[start:pending])
				if end < 0 {
					break
				}
				start += end
				r := resp(i)
				i++
				if r == nil {
					_, _ = c.Write(out)
					return
				}
				out = append(out, r...)
			}
			pending = copy(buf, buf[start:pending])
			if _, err := c.Write(out); err != nil {
				return
			}
		}
	}
}

// indexBlankLine returns the offset just past the first "\r\n\r\n", or -1.
func indexBlankLine(b []byte) int {
	for i := 0; i+3 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' && b[i+2] == '\r' && b[i+3] == '\n' {
			return i + 4
		}
	}
	return -1
}

func run(t *testing.T, cfg Config) *Result {
	t.Helper()
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := g.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestRunAgainstNetHTTP(t *testing.T) {
	var bodyErrors atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		want, _ := strconv.Atoi(r.URL.Query().Get("size"))
		if len(body) != want {
			bodyErrors.Add(1)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("Hello"))
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	for _, tc := range []struct {
		name     string
		pipeline int
		method   string
		size     int
	}{
		{"keep-alive", 1, "GET", 0},
		{"pipelined", 8, "GET", 0},
		{"post body", 2, "POST", 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var starts atomic.Int32
			res := run(t, Config{
				Addr: addr, Conns: 4, Pipeline: tc.pipeline,
				Warmup: 50 * time.Millisecond, Duration: 200 * time.Millisecond,
				Request:        RequestSpec{Method: tc.method, Path: "/x?size=" + strconv.Itoa(tc.size), BodySize: tc.size},
				OnMeasureStart: func() { starts.Add(1) },
			})
			if res.Requests == 0 || res.Errors.Total() != 0 || res.Non2xx() != 0 {
				t.Fatalf("requests %d, errors %+v, non-2xx %d", res.Requests, res.Errors, res.Non2xx())
			}
			if res.Latency.TotalCount() != res.Requests || res.Status[2] != res.Requests {
				t.Errorf("latency count %d, 2xx %d, requests %d", res.Latency.TotalCount(), res.Status[2], res.Requests)
			}
			if res.BytesRead < res.Requests*int64(len("Hello")) || res.RequestsPerSec() <= 0 {
				t.Errorf("bytes %d for %d requests, %f req/s", res.BytesRead, res.Requests, res.RequestsPerSec())
			}
			if starts.Load() != 1 {
				t.Errorf("OnMeasureStart called %d times", starts.Load())
			}
		})
	}
	if n := bodyErrors.Load(); n != 0 {
		t.Errorf("server saw %d bodies of the wrong size", n)
	}
}

func TestRunChunkedAndServerClose(t *testing.T) {
	chunked := []byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHello\r\n0\r\n\r\n")
	closing := []byte("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nHello")
	addr := rawServer(t, answerEach(func(i int) []byte {
		switch {
		case i == 5:
			return closing
		case i > 5:
			return nil // the connection is closing: drop pipelined requests
		}
		return chunked
	}))
	res := run(t, Config{Addr: addr, Conns: 2, Pipeline: 4, Duration: 150 * time.Millisecond})
	if res.Requests == 0 || res.Errors.Total() != 0 || res.Non2xx() != 0 {
		t.Fatalf("requests %d, errors %+v, non-2xx %d", res.Requests, res.Errors, res.Non2xx())
	}
	if res.Reconnects == 0 {
		t.Error("no reconnects after Connection: close")
	}
}

func TestRunCountsNon2xxAndErrors(t *testing.T) {
	notFound := []byte("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
	addr := rawServer(t, answerEach(func(int) []byte { return notFound }))
	res := run(t, Config{Addr: addr, Conns: 2, Pipeline: 1, Duration: 100 * time.Millisecond})
	if res.Requests == 0 || res.Non2xx() != res.Requests || res.Status[4] != res.Requests {
		t.Errorf("requests %d, non-2xx %d, 4xx %d", res.Requests, res.Non2xx(), res.Status[4])
	}

	garbage := rawServer(t, answerEach(func(int) []byte { return []byte("HELLO THERE\r\n\r\n") }))
	res = run(t, Config{Addr: garbage, Conns: 1, Pipeline: 1, Duration: 100 * time.Millisecond})
	if res.Requests != 0 || res.Errors.Parse == 0 {
		t.Errorf("garbage: requests %d, errors %+v", res.Requests, res.Errors)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	_ = ln.Close()
	res = run(t, Config{Addr: closed, Conns: 2, Pipeline: 1, Duration: 100 * time.Millisecond})
	if res.Requests != 0 || res.Errors.Connect == 0 {
		t.Errorf("nothing listening: requests %d, errors %+v", res.Requests, res.Errors)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	addr := rawServer(t, answerEach(func(int) []byte { return []byte(helloResponse) }))
	g, err := New(Config{Addr: addr, Conns: 4, Pipeline: 1, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = g.Run(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v, want context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Run took %v to stop", took)
	}
	if g.Completed() == 0 {
		t.Error("no responses before the cancel")
	}
}

func TestRunAllocatesNothingPerRequest(t *testing.T) {
	resp := []byte(helloResponse)
	addr := rawServer(t, answerEach(func(int) []byte { return resp }))
	g, err := New(Config{Addr: addr, Conns: 2, Pipeline: 4, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := g.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	mallocs := after.Mallocs - before.Mallocs
	// The run itself allocates a little (dials, goroutines, the merged
	// histogram); per request it must not.
	if res.Requests < 1000 {
		t.Skipf("only %d requests: too few to judge", res.Requests)
	}
	per := float64(mallocs) / float64(res.Requests)
	t.Logf("%d requests, %d mallocs (%.4f each)", res.Requests, mallocs, per)
	if per > 0.05 {
		t.Errorf("%d mallocs for %d requests (%.3f each)", mallocs, res.Requests, per)
	}
}

func TestNewValidates(t *testing.T) {
	good := Config{Addr: "127.0.0.1:1", Conns: 1, Pipeline: 1, Duration: time.Second}
	for name, mut := range map[string]func(*Config){
		"no addr":      func(c *Config) { c.Addr = "" },
		"zero conns":   func(c *Config) { c.Conns = 0 },
		"zero depth":   func(c *Config) { c.Pipeline = 0 },
		"no duration":  func(c *Config) { c.Duration = 0 },
		"neg warmup":   func(c *Config) { c.Warmup = -1 },
		"small buffer": func(c *Config) { c.ReadBuffer = 100 },
		"bad method":   func(c *Config) { c.Request.Method = "G T" },
	} {
		c := good
		mut(&c)
		if _, err := New(c); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	g, err := New(good)
	if err != nil {
		t.Fatal(err)
	}
	if want := "GET / HTTP/1.1\r\nHost: 127.0.0.1:1\r\n"; string(g.Request()[:len(want)]) != want {
		t.Errorf("request %q", g.Request())
	}
}
