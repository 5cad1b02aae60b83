package suite

import (
	"bufio"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/miniasync/miniasync/server"
)

// statusCase is one request and what the server must do with it: answer
// with status, then close the connection or keep it for the next request.
type statusCase struct {
	name   string
	raw    string
	status int
	closes bool
}

// statusCases holds one row per protocol rule, as it reaches a real
// connection. The parser's own tests cover each rule in depth.
var statusCases = []statusCase{
	{"valid GET is answered and the connection reused", "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n", 200, false},
	{"one empty line before the request line is ignored (RFC 9112 2.2)", "\r\nGET /hello HTTP/1.1\r\nHost: a\r\n\r\n", 200, false},
	{"absolute-form is accepted", "GET http://a/hello HTTP/1.1\r\nHost: a\r\n\r\n", 200, false},
	{"asterisk-form for OPTIONS", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 404, false},
	{"method not a token", "G(T /hello HTTP/1.1\r\nHost: a\r\n\r\n", 400, true},
	{"space in target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400, true},
	{"control byte in target", "GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400, true},
	{"pipe in path", "GET /a|b HTTP/1.1\r\nHost: a\r\n\r\n", 400, true},
	{"UTF-8 path and loose query reach the handler", "GET /caf\xc3\xa9?q=a|b&a[]=1 HTTP/1.1\r\nHost: a\r\n\r\n", 404, false},
	{"CONNECT is not supported", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 501, true},
	{"HTTP/2.0 is not supported", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, true},
	{"garbage version", "GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400, true},
	{"bare LF ends the request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400, true},
	{"no Host in HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 400, true},
	{"two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, true},
	{"space before colon (CVE-2019-16276)", "GET / HTTP/1.1\r\nHost: a\r\nX-A : b\r\n\r\n", 400, true},
	{"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 400, true},
	{"NUL in a field value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x00c\r\n\r\n", 400, true},
	{"Transfer-Encoding with Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, true},
	{"differing Content-Lengths (CVE-2015-5740)", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400, true},
	{"Content-Length: +16", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +16\r\n\r\n", 400, true},
	{"Transfer-Encoding: \\rchunked (CVE-2022-1705)", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \rchunked\r\n\r\n", 400, true},
	{"Transfer-Encoding: identity", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 400, true},
	{"Transfer-Encoding: gzip, chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, true},
	{"chunked given twice", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400, true},
	{"Transfer-Encoding on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, true},
	{"bare LF ends a chunk-size line (CVE-2025-22871)", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", 400, true},
	{"unterminated quoted chunk extension", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;a=\"b\r\nabc\r\n0\r\n\r\n", 400, true},
	{"missing CRLF after chunk data", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n", 400, true},
	{"chunk size overflow", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", 400, true},
	{"unknown expectation", "GET / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n", 417, true},
	{"request line over 8 KiB", "GET /" + strings.Repeat("a", 8300) + " HTTP/1.1\r\nHost: a\r\n\r\n", 414, true},
	{"header section over 64 KiB", "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("X-Pad: "+strings.Repeat("p", 1000)+"\r\n", 66) + "\r\n", 431, true},
	{"over 100 header fields", "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("X-F: v\r\n", 101) + "\r\n", 431, true},
	{"body over 10 MiB by Content-Length", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10485761\r\n\r\n", 413, true},
	{"HTTP/1.0 without keep-alive closes", "GET /hello HTTP/1.0\r\n\r\n", 200, true},
	{"HTTP/1.0 with keep-alive is reused", "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 200, false},
	{"Connection: close closes", "GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 200, true},
}

// testStatuses sends each row on a fresh connection and checks the status,
// that a rejection never reached the handler with a plain-text reason, and
// that the connection is closed or reused as the row says.
func testStatuses(t *testing.T, tg Target) {
	_, addr := Start(t, tg, server.Config{}, nil)
	for _, tc := range statusCases {
		t.Run(tc.name, func(t *testing.T) {
			c := Dial(t, addr)
			r := bufio.NewReader(c)
			go func() { _, _ = io.WriteString(c, tc.raw) }()
			res, err := ReadResponse(r, false)
			if err != nil {
				t.Fatalf("no response: %v", err)
			}
			if res.Status != tc.status {
				t.Fatalf("status %d, want %d (body %q)", res.Status, tc.status, res.Body)
			}
			if tc.status >= 400 && tc.closes {
				if !strings.HasPrefix(res.Header["content-type"], "text/plain") || len(res.Body) == 0 {
					t.Fatalf("rejection without a plain-text reason: %v %q", res.Header, res.Body)
				}
			}
			if res.Close != tc.closes {
				t.Fatalf("Connection: close is %v, want %v", res.Close, tc.closes)
			}
			if tc.closes {
				ExpectClosed(t, c, r)
				return
			}
			_ = c.SetDeadline(time.Now().Add(ioTimeout))
			io.WriteString(c, get("/hello"))
			if next, err := ReadResponse(r, false); err != nil || string(next.Body) != "Hello" {
				t.Fatalf("connection not reusable after the response: %v", err)
			}
		})
	}
}
