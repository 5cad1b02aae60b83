package suite

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniasync/miniasync/protocol"
	"github.com/miniasync/miniasync/server"
)

// Run runs every suite test against the named backend.
func Run(t *testing.T, backend string) { RunTarget(t, Target{Backend: backend}) }

// RunTarget runs every suite test against a backend in a given mode.
func RunTarget(t *testing.T, tg Target) {
	runCases(t, tg, []testCase{
		{"HelloNetHTTPClient", testHelloNetHTTP},
		{"KeepAliveReuse", testKeepAliveReuse},
		{"HandlerSeesClientAddress", testRemoteAddr},
		{"Pipelined100InOneWrite", testPipelined100},
		{"Pipelined300InOneWrite", testPipelined300},
		{"OneBytePerWrite", testOneBytePerWrite},
		{"SplitAtEveryPosition", testSplitEverywhere},
		{"ContentLengthBody", testContentLengthBody},
		{"ChunkedBody", testChunkedBody},
		{"LargeBodyUnderLimit", testLargeBodyUnderLimit},
		{"ConnectionClose", testConnectionClose},
		{"HandlerAsksClose", testHandlerClose},
		{"HTTP10", testHTTP10},
		{"ClientClosesMidRequest", testClientClosesMidRequest},
		{"LargeRequestOneWrite", testLargeRequest},
		{"Pipelined20Over64KiB", testPipelinedLarge},
		{"LargeResponseSlowReader", testLargeResponseSlowReader},
		{"UnknownMethodPURGE", testUnknownMethod},
		{"HighBytesInHeaderValue", testHighBytes},
		{"BinaryBody", testBinaryBody},
		{"BadRequest400AndClose", testBadRequest},
		{"HandlerPanic500", testHandlerPanic},
		{"HEADHasNoBody", testHead},
		{"ExpectContinue", testExpectContinue},
		{"ConcurrentClients", testConcurrentClients},
		{"ShutdownFinishesInFlight", testShutdownInFlight},
		{"IdleTimeoutCloses", testIdleTimeout},
		{"ReadHeaderTimeoutCloses", testReadHeaderTimeout},
		{"ReadBodyTimeoutCloses", testReadBodyTimeout},
		{"ExpectContinueRejectedFirst", testExpectRejected},
		{"StatusAndConnectionPerRule", testStatuses},
	})
}

// testCase is one named suite test.
type testCase struct {
	name string
	run  func(t *testing.T, tg Target)
}

// runCases runs each case as a subtest against backend, then checks that no
// descriptor leaked across them.
func runCases(t *testing.T, tg Target, cases []testCase) {
	checkFDs := CheckFDs(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, tg) })
	}
	checkFDs()
}

func get(path string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n"
}

func roundTrip(t *testing.T, addr, raw string) *Response {
	t.Helper()
	c := Dial(t, addr)
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	res, err := ReadResponse(bufio.NewReader(c), false)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	return res
}

func testHelloNetHTTP(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	client := &http.Client{Timeout: ioTimeout}
	defer client.CloseIdleConnections()
	res, err := client.Get("http://" + addr + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || string(body) != "Hello" || res.Header.Get("Content-Type") != "text/plain" {
		t.Fatalf("got %d %q %q, want 200 Hello text/plain", res.StatusCode, body, res.Header.Get("Content-Type"))
	}
	if res.ContentLength != 5 {
		t.Fatalf("wrong Content-Length: %v", res.Header)
	}
	// The server dates responses from its event loop's clock: it must
	// still be the current second (give or take one for the round trip).
	date, err := http.ParseTime(res.Header.Get("Date"))
	if err != nil {
		t.Fatalf("Date %q: %v", res.Header.Get("Date"), err)
	}
	if skew := time.Since(date); skew < -time.Second || skew > 2*time.Second {
		t.Fatalf("Date %v is %v off the clock", date, skew)
	}
}

func testKeepAliveReuse(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	c := Dial(t, addr)
	r := bufio.NewReader(c)
	for i := range 5 {
		fmt.Fprintf(c, "GET /target?i=%d HTTP/1.1\r\nHost: test\r\n\r\n", i)
		res, err := ReadResponse(r, false)
		if err != nil {
			t.Fatalf("request %d on the same connection: %v", i, err)
		}
		if want := fmt.Sprintf("/target?i=%d", i); string(res.Body) != want || res.Close {
			t.Fatalf("request %d: body %q close %v, want %q on a kept-alive connection", i, res.Body, res.Close, want)
		}
	}
	// net/http's client must reuse the connection too.
	client := &http.Client{Timeout: ioTimeout}
	defer client.CloseIdleConnections()
	var dials int
	tr := &http.Transport{DialContext: func(ctx context.Context, network, a string) (netConn, error) {
		dials++
		return dialer.DialContext(ctx, network, a)
	}}
	defer tr.CloseIdleConnections()
	client.Transport = tr
	for range 3 {
		res, err := client.Get("http://" + addr + "/hello")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
	}
	if dials != 1 {
		t.Fatalf("net/http client dialed %d times for 3 requests, want 1", dials)
	}
}

// testRemoteAddr: the handler sees each client's address, on every
// request of a kept-alive connection and on the next connection (whose
// request state may be the first one's, back from the pool).
func testRemoteAddr(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{Workers: 1}, nil)
	for range 2 {
		c := Dial(t, addr)
		r := bufio.NewReader(c)
		want := fmt.Sprintf("%s %s %s", c.LocalAddr(), c.LocalAddr(), c.RemoteAddr())
		for i := range 2 {
			fmt.Fprint(c, "GET /remote HTTP/1.1\r\nHost: test\r\n\r\n")
			res, err := ReadResponse(r, false)
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			if string(res.Body) != want {
				t.Fatalf("request %d: handler saw %q, want %q (AppendRemoteAddr, RemoteAddr, LocalAddr)", i, res.Body, want)
			}
		}
		c.Close()
	}
}

func testPipelined100(t *testing.T, tg Target) { testPipelined(t, tg, 100) }

// testPipelined300 pipelines more requests in one write than a connection
// gets answered in one turn (Config.MaxPipelined, 64) several times over:
// the connection yields to others between turns, and every request must
// still be answered, in order.
func testPipelined300(t *testing.T, tg Target) { testPipelined(t, tg, 300) }

// testPipelined sends n requests in one write and expects n answers, in
// order.
func testPipelined(t *testing.T, tg Target, n int) {
	_, addr := Start(t, tg, server.Config{}, nil)
	c := Dial(t, addr)
	var all strings.Builder
	for i := range n {
		all.WriteString(get(fmt.Sprintf("/target?n=%d", i)))
	}
	if _, err := io.WriteString(c, all.String()); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	for i := range n {
		res, err := ReadResponse(r, false)
		if err != nil {
			t.Fatalf("response %d of %d: %v", i, n, err)
		}
		if want := fmt.Sprintf("/target?n=%d", i); string(res.Body) != want {
			t.Fatalf("response %d answers %q, want %q (out of order?)", i, res.Body, want)
		}
	}
}

func testOneBytePerWrite(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	c := Dial(t, addr)
	req := "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 11\r\n\r\nhello world"
	for i := range len(req) {
		if _, err := c.Write([]byte{req[i]}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	res, err := ReadResponse(bufio.NewReader(c), false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 200 || string(res.Body) != "hello world" {
		t.Fatalf("got %d %q", res.Status, res.Body)
	}
}

func testSplitEverywhere(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	req := "POST /echo?x=1 HTTP/1.1\r\nHost: test\r\nX-A: b\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
	c := Dial(t, addr)
	r := bufio.NewReader(c)
	for i := 1; i < len(req); i++ {
		if _, err := io.WriteString(c, req[:i]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Microsecond) // let the first part arrive alone
		if _, err := io.WriteString(c, req[i:]); err != nil {
			t.Fatal(err)
		}
		res, err := ReadResponse(r, false)
		if err != nil {
			t.Fatalf("split at %d: %v", i, err)
		}
		if res.Status != 200 || string(res.Body) != "abcde" {
			t.Fatalf("split at %d: got %d %q", i, res.Status, res.Body)
		}
	}
}

func testContentLengthBody(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	client := &http.Client{Timeout: ioTimeout}
	defer client.CloseIdleConnections()
	body := Pattern(100_000)
	res, err := client.Post("http://"+addr+"/echo", "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != 200 || !bytes.Equal(got, body) {
		t.Fatalf("status %d, %d bytes back of %d sent", res.StatusCode, len(got), len(body))
	}
}

func testChunkedBody(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	res := roundTrip(t, addr, "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"+
		"5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n")
	if res.Status != 200 || string(res.Body) != "hello world" {
		t.Fatalf("got %d %q", res.Status, res.Body)
	}
	// net/http's client sends chunked when it does not know the length.
	client := &http.Client{Timeout: ioTimeout}
	defer client.CloseIdleConnections()
	body := Pattern(50_000)
	hres, err := client.Post("http://"+addr+"/echo", "application/octet-stream", io.MultiReader(bytes.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(hres.Body)
	_ = hres.Body.Close()
	if hres.StatusCode != 200 || !bytes.Equal(got, body) {
		t.Fatalf("chunked upload: status %d, %d bytes back of %d", hres.StatusCode, len(got), len(body))
	}
}

// testLargeBodyUnderLimit uploads bodies of a few MiB, well under the
// default 10 MiB MaxBodySize, in one write each, as a client on a fast link
// does: the server must take them in whole, however fast they arrive,
// not only the ones that fit a backend's buffers, and also while it is
// still busy with requests pipelined before the upload.
func testLargeBodyUnderLimit(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	body := Pattern(4 << 20)
	plain := fmt.Sprintf("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	var chunked strings.Builder
	chunked.WriteString("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n")
	for p := body; len(p) > 0; {
		n := min(len(p), 32<<10)
		fmt.Fprintf(&chunked, "%x\r\n%s\r\n", n, p[:n])
		p = p[n:]
	}
	chunked.WriteString("0\r\n\r\n")
	oneChunk := fmt.Sprintf("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(body), body)
	// The largest body the default limit takes, in 64-byte chunks: about
	// 9% of framing, the most netpoll's allowance for a request covers.
	largest := Pattern(protocol.DefaultMaxBodySize)
	var smallChunks strings.Builder
	smallChunks.WriteString("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n")
	for p := largest; len(p) > 0; p = p[64:] {
		fmt.Fprintf(&smallChunks, "40\r\n%s\r\n", p[:64])
	}
	smallChunks.WriteString("0\r\n\r\n")
	cases := []struct {
		name   string
		before string // requests pipelined ahead of the upload, all answered "slept"
		slow   bool   // send them first and give the server time to start on them
		upload string
		body   []byte
	}{
		{"content-length", "", false, plain, body},
		{"chunked", "", false, chunked.String(), body},
		{"behind a slow request", get("/sleep?ms=300"), true, plain, body},
		{"one chunk behind a slow request", get("/sleep?ms=300"), true, oneChunk, body},
		{"behind 100 pipelined requests", strings.Repeat(get("/sleep?ms=1"), 100), false, chunked.String(), body},
		{"MaxBodySize in 64-byte chunks behind a slow request", get("/sleep?ms=300"), true, smallChunks.String(), largest},
	}
	for _, tc := range cases {
		c := Dial(t, addr)
		r := bufio.NewReader(c)
		upload := tc.before + tc.upload
		if tc.slow {
			io.WriteString(c, tc.before)
			time.Sleep(50 * time.Millisecond)
			upload = tc.upload
		}
		werr := make(chan error, 1)
		go func() { _, err := io.WriteString(c, upload); werr <- err }()
		for i := range strings.Count(tc.before, "\r\n\r\n") {
			res, err := ReadResponse(r, false)
			if err != nil || string(res.Body) != "slept" {
				t.Fatalf("%s: response %d ahead of the upload: %v", tc.name, i+1, err)
			}
		}
		res, err := ReadResponse(r, false)
		if err != nil {
			t.Fatalf("%s: reading the response to a %d-byte upload: %v (write: %v)", tc.name, len(tc.body), err, <-werr)
		}
		if res.Status != 200 || !bytes.Equal(res.Body, tc.body) {
			t.Fatalf("%s: status %d, %d bytes back of %d sent", tc.name, res.Status, len(res.Body), len(tc.body))
		}
		if err := <-werr; err != nil {
			t.Fatalf("%s: write: %v", tc.name, err)
		}
		_ = c.Close()
	}
}

func testConnectionClose(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	c := Dial(t, addr)
	r := bufio.NewReader(c)
	io.WriteString(c, "GET /hello HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
	res, err := ReadResponse(r, false)
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Body) != "Hello" || !res.Close {
		t.Fatalf("got %q, Connection: close %v; want Hello and close", res.Body, res.Close)
	}
	ExpectClosed(t, c, r)
}

func testHandlerClose(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	c := Dial(t, addr)
	r := bufio.NewReader(c)
	io.WriteString(c, get("/close")+get("/hello"))
	res, err := ReadResponse(r, false)
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Body) != "bye" || !res.Close {
		t.Fatalf("got %q close=%v", res.Body, res.Close)
	}
	ExpectClosed(t, c, r) // the pipelined second request is not answered
}

func testHTTP10(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	// Without keep-alive: one response, then close.
	c := Dial(t, addr)
	r := bufio.NewReader(c)
	io.WriteString(c, "GET /hello HTTP/1.0\r\n\r\n")
	res, err := ReadResponse(r, false)
	if err != nil || string(res.Body) != "Hello" {
		t.Fatalf("HTTP/1.0: %v %+v", err, res)
	}
	ExpectClosed(t, c, r)
	// With keep-alive: the connection stays open.
	c = Dial(t, addr)
	r = bufio.NewReader(c)
	for i := range 2 {
		io.WriteString(c, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
		res, err := ReadResponse(r, false)
		if err != nil || string(res.Body) != "Hello" {
			t.Fatalf("HTTP/1.0 keep-alive request %d: %v %+v", i, err, res)
		}
		if !strings.EqualFold(res.Header["connection"], "keep-alive") {
			t.Fatalf("HTTP/1.0 keep-alive response lacks Connection: keep-alive: %v", res.Header)
		}
	}
}

func testClientClosesMidRequest(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	for _, partial := range []string{
		"GET /hel",
		"GET /hello HTTP/1.1\r\nHost: te",
		"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\nonly part",
	} {
		c := Dial(t, addr)
		io.WriteString(c, partial)
		time.Sleep(5 * time.Millisecond)
		_ = c.Close()
	}
	// The server is still fine.
	res := roundTrip(t, addr, get("/hello"))
	if string(res.Body) != "Hello" {
		t.Fatalf("after aborted clients: %q", res.Body)
	}
}

func testLargeRequest(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	big := strings.Repeat("v", 9000)
	res := roundTrip(t, addr, "GET /header?name=X-Big HTTP/1.1\r\nHost: test\r\nX-Big: "+big+"\r\n\r\n")
	if res.Status != 200 || string(res.Body) != big {
		t.Fatalf("9 KB header: status %d, %d bytes back", res.Status, len(res.Body))
	}
}

func testPipelinedLarge(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	c := Dial(t, addr)
	var all bytes.Buffer
	bodies := make([][]byte, 20)
	for i := range bodies {
		bodies[i] = Pattern(3500 + i)
		fmt.Fprintf(&all, "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: %d\r\n\r\n%s", len(bodies[i]), bodies[i])
	}
	if all.Len() <= 64<<10 {
		t.Fatalf("test bug: %d bytes is not over 64 KiB", all.Len())
	}
	go func() { _, _ = c.Write(all.Bytes()) }() // the write can block until responses are read
	r := bufio.NewReader(c)
	for i := range bodies {
		res, err := ReadResponse(r, false)
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		if !bytes.Equal(res.Body, bodies[i]) {
			t.Fatalf("response %d: %d bytes, want %d (or content differs)", i, len(res.Body), len(bodies[i]))
		}
	}
}

func testLargeResponseSlowReader(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	const n = 8 << 20 // far above any socket buffer
	c := Dial(t, addr)
	io.WriteString(c, get(fmt.Sprintf("/big?n=%d", n)))
	r := bufio.NewReaderSize(c, 4096)
	time.Sleep(100 * time.Millisecond) // let the server hit a full socket buffer
	// Read slowly at first: small reads with pauses.
	var head bytes.Buffer
	for range 20 {
		var b [1024]byte
		m, err := r.Read(b[:])
		if err != nil {
			t.Fatal(err)
		}
		head.Write(b[:m])
		time.Sleep(5 * time.Millisecond)
	}
	res, err := ReadResponse(bufio.NewReader(io.MultiReader(&head, r)), false)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.Body, Pattern(n)) {
		t.Fatalf("large response: got %d bytes, want %d, or content differs", len(res.Body), n)
	}
}

func testUnknownMethod(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	res := roundTrip(t, addr, "PURGE /method HTTP/1.1\r\nHost: test\r\n\r\n")
	if res.Status != 200 || string(res.Body) != "PURGE" {
		t.Fatalf("PURGE: %d %q", res.Status, res.Body)
	}
}

func testHighBytes(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	val := "caf\xe9 \x80\xff\xc3\xa9"
	res := roundTrip(t, addr, "GET /header?name=X-Name HTTP/1.1\r\nHost: test\r\nX-Name: "+val+"\r\n\r\n")
	if res.Status != 200 || string(res.Body) != val {
		t.Fatalf("obs-text header value: %d %q", res.Status, res.Body)
	}
}

func testBinaryBody(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	body := make([]byte, 4*256)
	for i := range body {
		body[i] = byte(i)
	}
	c := Dial(t, addr)
	fmt.Fprintf(c, "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: %d\r\n\r\n", len(body))
	c.Write(body)
	res, err := ReadResponse(bufio.NewReader(c), false)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.Body, body) {
		t.Fatalf("binary body not byte-exact: %d bytes back", len(res.Body))
	}
}

// testBadRequest: a refused request gets its error status and a close,
// alone or after good requests that arrived with it in one write (their
// responses come first; nothing after the refused one is parsed).
func testBadRequest(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	const good = "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n"
	for _, tc := range []struct {
		raw    string
		status int
	}{
		{"GARBAGE\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\n\r\n", 400}, // no Host
		{"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
		{"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
		{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999\r\n\r\n", 413},
		{"GET /" + strings.Repeat("a", 9000) + " HTTP/1.1\r\nHost: a\r\n\r\n", 414},
	} {
		for goods := range 3 {
			name := fmt.Sprintf("%q after %d good requests", tc.raw[:min(len(tc.raw), 40)], goods)
			c := Dial(t, addr)
			r := bufio.NewReader(c)
			io.WriteString(c, strings.Repeat(good, goods)+tc.raw+good)
			for i := range goods {
				if res, err := ReadResponse(r, false); err != nil || res.Status != 200 || string(res.Body) != "Hello" {
					t.Fatalf("%s: response %d: %v %+v, want 200 Hello", name, i, err, res)
				}
			}
			res, err := ReadResponse(r, false)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if res.Status != tc.status || !res.Close {
				t.Fatalf("%s: got %d close=%v, want %d and close", name, res.Status, res.Close, tc.status)
			}
			ExpectClosed(t, c, r)
		}
	}
}

func testHandlerPanic(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	c := Dial(t, addr)
	r := bufio.NewReader(c)
	io.WriteString(c, get("/panic"))
	res, err := ReadResponse(r, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 500 || !res.Close {
		t.Fatalf("panic: got %d close=%v, want 500 and close", res.Status, res.Close)
	}
	ExpectClosed(t, c, r)
	if res := roundTrip(t, addr, get("/hello")); string(res.Body) != "Hello" {
		t.Fatalf("server did not go on after a panic: %q", res.Body)
	}
}

func testHead(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	c := Dial(t, addr)
	r := bufio.NewReader(c)
	io.WriteString(c, "HEAD /hello HTTP/1.1\r\nHost: test\r\n\r\n"+get("/hello"))
	res, err := ReadResponse(r, true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 200 || res.Header["content-length"] != "5" {
		t.Fatalf("HEAD: %d %v", res.Status, res.Header)
	}
	// The next response starts right away: HEAD sent no body.
	res, err = ReadResponse(r, false)
	if err != nil || string(res.Body) != "Hello" {
		t.Fatalf("response after HEAD: %v %+v", err, res)
	}
}

func testExpectContinue(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	c := Dial(t, addr)
	r := bufio.NewReader(c)
	io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
	interim, err := ReadResponse(r, false)
	if err != nil || interim.Status != 100 {
		t.Fatalf("want 100 Continue before the body, got %v %+v", err, interim)
	}
	io.WriteString(c, "ping")
	res, err := ReadResponse(r, false)
	if err != nil || res.Status != 200 || string(res.Body) != "ping" {
		t.Fatalf("after 100 Continue: %v %+v", err, res)
	}
}

func testConcurrentClients(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	const clients, each = 50, 20
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Go(func() {
			c := Dial(t, addr)
			r := bufio.NewReader(c)
			for j := range each {
				fmt.Fprintf(c, "GET /target?c=%d&r=%d HTTP/1.1\r\nHost: t\r\n\r\n", i, j)
				res, err := ReadResponse(r, false)
				if err != nil {
					errs <- err
					return
				}
				if want := fmt.Sprintf("/target?c=%d&r=%d", i, j); string(res.Body) != want {
					errs <- fmt.Errorf("got %q want %q", res.Body, want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func testShutdownInFlight(t *testing.T, tg Target) {
	srv, addr := Start(t, tg, server.Config{}, nil)
	busy := Dial(t, addr)
	idle := Dial(t, addr)
	idleR := bufio.NewReader(idle)
	io.WriteString(idle, get("/hello"))
	if _, err := ReadResponse(idleR, false); err != nil {
		t.Fatal(err)
	}
	io.WriteString(busy, get("/sleep?ms=300"))
	time.Sleep(50 * time.Millisecond) // the handler is running
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shut <- srv.Shutdown(ctx)
	}()
	res, err := ReadResponse(bufio.NewReader(busy), false)
	if err != nil || string(res.Body) != "slept" || !res.Close {
		t.Fatalf("in-flight request during shutdown: %v %+v (want its response, with Connection: close)", err, res)
	}
	ExpectClosed(t, idle, idleR) // idle keep-alive connections are closed
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if _, err := tryDial(addr); err == nil {
		t.Fatal("still accepting after Shutdown")
	}
}

func testIdleTimeout(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{IdleTimeout: 300 * time.Millisecond}, nil)
	c := Dial(t, addr)
	r := bufio.NewReader(c)
	io.WriteString(c, get("/hello"))
	if _, err := ReadResponse(r, false); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ExpectClosed(t, c, r)
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Fatalf("closed after %v, before the idle timeout", d)
	}
}

func testReadHeaderTimeout(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{ReadHeaderTimeout: 300 * time.Millisecond}, nil)
	c := Dial(t, addr)
	r := bufio.NewReader(c)
	start := time.Now()
	// Trickle header bytes faster than any idle timeout, never finishing.
	stop := make(chan struct{})
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := io.WriteString(c, fmt.Sprintf("X-%d: y\r\n", i)); err != nil {
				return
			}
			if i > 100 {
				return
			}
		}
	}()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: t\r\n")
	ExpectClosed(t, c, r)
	close(stop)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("slow header client kept for %v, timeout is 300ms", d)
	}
}

func testReadBodyTimeout(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{ReadBodyTimeout: 300 * time.Millisecond}, nil)
	c := Dial(t, addr)
	r := bufio.NewReader(c)
	start := time.Now()
	io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n")
	go func() {
		for range 40 { // a byte every 50 ms: never enough in time
			time.Sleep(50 * time.Millisecond)
			if _, err := c.Write([]byte("x")); err != nil {
				return
			}
		}
	}()
	ExpectClosed(t, c, r)
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Fatalf("slow body kept for %v, timeout is 300ms", d)
	}
}

func testExpectRejected(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	c := Dial(t, addr)
	r := bufio.NewReader(c)
	io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 999999999\r\nExpect: 100-continue\r\n\r\n")
	res, err := ReadResponse(r, false)
	if err != nil || res.Status != 413 || !res.Close {
		t.Fatalf("oversized upload with Expect: %v %+v, want 413 (and no 100 before it)", err, res)
	}
	ExpectClosed(t, c, r)
}
