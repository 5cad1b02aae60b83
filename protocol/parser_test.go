package protocol

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// binaryBody holds all 256 byte values.
var binaryBody = func() string {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return string(b)
}()

// chunk encodes s as one chunk.
func chunk(s string) string { return strconv.FormatInt(int64(len(s)), 16) + "\r\n" + s + "\r\n" }

type validCase struct {
	name string
	in   string
	want result // compared field by field where set; N 0 means len(in)
}

var validCases = []validCase{
	{"simple GET", "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
		result{Method: "GET", Target: "/", Path: "/", Proto: "HTTP/1.1", Minor: 1, Host: "example.com", KeepAlive: true, ContentLength: -1,
			Headers: []Header{{"Host", "example.com"}}}},
	{"RFC9112-2.2 one leading CRLF ignored", "\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n",
		result{Method: "GET", Target: "/x", Path: "/x", Host: "a", KeepAlive: true}},
	{"RFC9112-3.2 HTTP/1.0 without Host", "GET /old HTTP/1.0\r\n\r\n",
		result{Method: "GET", Target: "/old", Path: "/old", Proto: "HTTP/1.0", Minor: 0, KeepAlive: false}},
	{"RFC9112-9.3 HTTP/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
		result{Method: "GET", Proto: "HTTP/1.0", KeepAlive: true}},
	{"RFC9112-9.6 Connection close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
		result{Method: "GET", KeepAlive: false}},
	{"RFC9110-7.6.1 Connection list with close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade , CLOSE\r\n\r\n",
		result{Method: "GET", KeepAlive: false}},
	{"RFC9110-7.6.1 Connection keep-alive on 1.1", "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n",
		result{Method: "GET", KeepAlive: true}},
	{"obs-text (UTF-8) in path, as net/http and nginx take it", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n",
		result{Method: "GET", Target: "/caf\xc3\xa9", Path: "/caf\xc3\xa9", Host: "a", KeepAlive: true}},
	{"query with bytes clients send unencoded", "GET /s?q=a|b&f={\"a\":1}&a[]=1&p=100%&x=%zz&u=\xc3\xa9&l=<b>`^\\ HTTP/1.1\r\nHost: a\r\n\r\n",
		result{Method: "GET", Path: "/s", Query: "q=a|b&f={\"a\":1}&a[]=1&p=100%&x=%zz&u=\xc3\xa9&l=<b>`^\\", Host: "a", KeepAlive: true}},
	{"absolute-form IPv6 literal with brackets in the query", "GET http://[::1]/p?a[]=1 HTTP/1.1\r\nHost: [::1]\r\n\r\n",
		result{Method: "GET", Path: "/p", Query: "a[]=1", Host: "[::1]", KeepAlive: true}},
	{"RFC9112-3.2.4 OPTIONS asterisk-form", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
		result{Method: "OPTIONS", Target: "*", Path: "*", Host: "a", KeepAlive: true}},
	{"RFC9112-3.2.2 absolute-form takes Host from target", "GET http://Example.com:8080/a/b?q=1 HTTP/1.1\r\nHost: other\r\n\r\n",
		result{Method: "GET", Target: "http://Example.com:8080/a/b?q=1", Path: "/a/b", Query: "q=1", Host: "Example.com:8080", KeepAlive: true}},
	{"RFC9112-3.2.2 absolute-form empty path", "GET HTTPS://h HTTP/1.1\r\nHost: h\r\n\r\n",
		result{Method: "GET", Target: "HTTPS://h", Path: "/", Host: "h"}},
	{"RFC9112-3.2.2 absolute-form query without path", "GET http://h?x=/y HTTP/1.1\r\nHost: h\r\n\r\n",
		result{Method: "GET", Path: "/", Query: "x=/y", Host: "h"}},
	{"RFC3986-3.2.2 absolute-form IPv6 literal", "GET http://[::1]:80/p HTTP/1.1\r\nHost: [::1]:80\r\n\r\n",
		result{Method: "GET", Path: "/p", Host: "[::1]:80"}},
	{"RFC3986-3.2.2 Host IPv6 literal", "GET / HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n",
		result{Method: "GET", Host: "[2001:db8::1]:8080"}},
	{"RFC3986-3.2.2 Host with pct-encoded reg-name and empty port", "GET / HTTP/1.1\r\nHost: a%41b.example:\r\n\r\n",
		result{Method: "GET", Host: "a%41b.example:"}},
	{"RFC3986-3.2.2 Host IPvFuture", "GET / HTTP/1.1\r\nHost: [v1.fe80::a+en1]\r\n\r\n",
		result{Method: "GET", Host: "[v1.fe80::a+en1]"}},
	{"RFC9110-7.2 empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n",
		result{Method: "GET", Host: "", Headers: []Header{{"Host", ""}}}},
	{"RFC9110-9.1 unknown method token PURGE", "PURGE /cache/x HTTP/1.1\r\nHost: a\r\n\r\n",
		result{Method: "PURGE", Path: "/cache/x"}},
	{"RFC9110-9.1 method with tchar symbols", "M-SEARCH!#$%&'*+.^_`|~ / HTTP/1.1\r\nHost: a\r\n\r\n",
		result{Method: "M-SEARCH!#$%&'*+.^_`|~"}},
	{"RFC9110-5.5 obs-text in values", "GET / HTTP/1.1\r\nHost: a\r\nX-Latin: caf\xe9\r\nX-High: \x80\xff\xa0z\r\n\r\n",
		result{Headers: []Header{{"Host", "a"}, {"X-Latin", "caf\xe9"}, {"X-High", "\x80\xff\xa0z"}}}},
	{"RFC9112-5.1 OWS trimmed, inner kept", "GET / HTTP/1.1\r\nHost: a\r\nX-Sp: \t a \t b \t\r\nX-Empty:\r\nX-E2:   \r\n\r\n",
		result{Headers: []Header{{"Host", "a"}, {"X-Sp", "a \t b"}, {"X-Empty", ""}, {"X-E2", ""}}}},
	{"RFC9110-5.1 names kept as received", "GET / HTTP/1.1\r\nhOsT: a\r\nx_under.score: 1\r\n\r\n",
		result{Host: "a", Headers: []Header{{"hOsT", "a"}, {"x_under.score", "1"}}}},
	{"RFC3986-2.1 percent-encoding and sub-delims", "GET /a%20b/c;p=1,2!$&'()*+@:~ HTTP/1.1\r\nHost: a\r\n\r\n",
		result{Path: "/a%20b/c;p=1,2!$&'()*+@:~"}},
	{"RFC3986-3.4 query with ? and /", "GET /a?b?c=/d%2F HTTP/1.1\r\nHost: a\r\n\r\n",
		result{Path: "/a", Query: "b?c=/d%2F"}},
	{"RFC3986-3.4 empty query", "GET /a? HTTP/1.1\r\nHost: a\r\n\r\n",
		result{Path: "/a", Query: ""}},
	{"RFC9112-6.3 Content-Length body", "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
		result{Method: "POST", Body: "hello", HasBody: true, ContentLength: 5}},
	{"RFC9112-6.3 Content-Length zero", "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
		result{Method: "POST", ContentLength: 0}},
	{"RFC9110-8.6 identical Content-Length list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3 , 3,3\r\n\r\nabc",
		result{Body: "abc", HasBody: true, ContentLength: 3}},
	{"RFC9110-8.6 identical repeated Content-Length fields", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\ncontent-length: 003\r\n\r\nabc",
		result{Body: "abc", HasBody: true, ContentLength: 3}},
	{"binary body Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 256\r\n\r\n" + binaryBody,
		result{Body: binaryBody, HasBody: true, ContentLength: 256}},
	{"RFC9112-7.1 chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
		result{Body: "hello world", HasBody: true, Chunked: true, ContentLength: -1}},
	{"RFC9112-7.1 chunked case-insensitive and list OWS", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:  Chunked \r\n\r\n0\r\n\r\n",
		result{Chunked: true, ContentLength: -1}},
	{"RFC9112-7.1 chunk size hex, upper and leading zeros", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n00A\r\n0123456789\r\n0000\r\n\r\n",
		result{Body: "0123456789", HasBody: true, Chunked: true}},
	{"RFC9112-7.1.1 chunk extensions with BWS", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3 ; a ; b = c;d=\"q \\\" \\\\ t\"\r\nabc\r\n0;last\r\n\r\n",
		result{Body: "abc", HasBody: true, Chunked: true}},
	{"RFC9112-7.1.2 trailers", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-Sum: 42\r\nX-Other:  v \r\n\r\n",
		result{Body: "x", HasBody: true, Chunked: true, Trailers: []Header{{"X-Sum", "42"}, {"X-Other", "v"}}}},
	{"binary body chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
		chunk(binaryBody[:100]) + chunk(binaryBody[100:101]) + chunk(binaryBody[101:]) + "0\r\n\r\n",
		result{Body: binaryBody, HasBody: true, Chunked: true}},
	{"binary body chunked with CRLF bytes", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
		chunk("\r\n0\r\n\r\n") + "0\r\n\r\n",
		result{Body: "\r\n0\r\n\r\n", HasBody: true, Chunked: true}},
	{"RFC9110-10.1.1 Expect 100-continue", "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nhi",
		result{Method: "PUT", Body: "hi", HasBody: true, Expect: true, ContentLength: 2}},
	{"RFC9110-10.1.1 Expect ignored on HTTP/1.0", "PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
		result{Method: "PUT", Body: "hi", HasBody: true, Expect: false, ContentLength: 2}},
	{"pipelined: stops at the end of the first request", "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\n",
		result{N: len("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"), Path: "/1"}},
	{"GET with Content-Length body", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nzGET",
		result{N: len("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nz"), Body: "z", HasBody: true, ContentLength: 1}},
}

// check compares the fields set in want.
func (c validCase) check(got result) error {
	w := c.want
	if got.Status != 0 {
		return fmt.Errorf("status %d, want success", got.Status)
	}
	wantN := w.N
	if wantN == 0 {
		wantN = len(c.in)
	}
	var errs []string
	cmp := func(name string, ok bool, g, want any) {
		if !ok {
			errs = append(errs, fmt.Sprintf("%s = %q, want %q", name, g, want))
		}
	}
	cmp("N", got.N == wantN, got.N, wantN)
	cmp("Method", w.Method == "" || got.Method == w.Method, got.Method, w.Method)
	cmp("Target", w.Target == "" || got.Target == w.Target, got.Target, w.Target)
	cmp("Path", w.Path == "" || got.Path == w.Path, got.Path, w.Path)
	cmp("Query", got.Query == w.Query, got.Query, w.Query)
	cmp("Proto", w.Proto == "" || got.Proto == w.Proto, got.Proto, w.Proto)
	cmp("Minor", w.Proto == "" || got.Minor == w.Minor, got.Minor, w.Minor)
	cmp("Host", w.Host == "" || got.Host == w.Host, got.Host, w.Host)
	cmp("Body", got.Body == w.Body && got.HasBody == w.HasBody, got.Body, w.Body)
	cmp("Chunked", got.Chunked == w.Chunked, got.Chunked, w.Chunked)
	cmp("Expect", got.Expect == w.Expect, got.Expect, w.Expect)
	if w.ContentLength != 0 || w.HasBody && !w.Chunked {
		cmp("ContentLength", got.ContentLength == w.ContentLength, got.ContentLength, w.ContentLength)
	}
	if w.Method != "" && w.Proto != "" || strings.Contains(c.name, "Connection") || strings.Contains(c.name, "keep-alive") {
		cmp("KeepAlive", got.KeepAlive == w.KeepAlive, got.KeepAlive, w.KeepAlive)
	}
	if w.Headers != nil {
		cmp("Headers", fmt.Sprint(got.Headers) == fmt.Sprint(w.Headers), got.Headers, w.Headers)
	}
	cmp("Trailers", fmt.Sprint(got.Trailers) == fmt.Sprint(w.Trailers), got.Trailers, w.Trailers)
	if errs != nil {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func TestParseValid(t *testing.T) {
	for _, c := range validCases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.check(parseWhole(c.in, Limits{})); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestParseIncremental checks that every valid request gives the identical
// result when split at every byte position across two calls and when fed one
// byte per call, with the buffer reallocated between calls.
func TestParseIncremental(t *testing.T) {
	for _, c := range validCases {
		t.Run(c.name, func(t *testing.T) {
			whole := parseWhole(c.in, Limits{})
			for k := 0; k <= len(c.in); k++ {
				if got := parseSplit(c.in, Limits{}, k); fmt.Sprint(got) != fmt.Sprint(whole) {
					t.Fatalf("split at %d:\n got %v\nwant %v", k, got, whole)
				}
			}
			if got := parseChunks(c.in, Limits{}, 1); fmt.Sprint(got) != fmt.Sprint(whole) {
				t.Fatalf("byte by byte:\n got %v\nwant %v", got, whole)
			}
		})
	}
}

type rejectCase struct {
	name   string
	in     string
	status int
	limits Limits
}

const (
	h11        = "GET / HTTP/1.1\r\nHost: a\r\n"
	post       = "POST / HTTP/1.1\r\nHost: a\r\n"
	chunkedReq = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
)

var rejectCases = []rejectCase{
	// Line endings (RFC 9112 §2.2).
	{"RFC9112-2.2 bare LF ending request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-2.2 bare LF as leading empty line", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-2.2 two leading empty lines", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-2.2 bare CR leading", "\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-2.2 bare CR in request line", "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-2.2 bare LF ending field line", "GET / HTTP/1.1\r\nHost: a\n\r\n", 400, Limits{}},
	{"RFC9112-2.2 bare LF ending header section", h11 + "\n", 400, Limits{}},
	{"RFC9112-2.2 bare CR ending field line", h11 + "X: a\r\r\n\r\n", 400, Limits{}},

	// Request line (RFC 9112 §3).
	{"RFC9112-3 empty method", " / HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-3 method not a token", "G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-3 method with control", "GE\x01T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-3 method with obs-text", "G\xc9T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-3 two spaces after method", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-3 two spaces before version", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-3 HTAB as separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-3 missing version", "GET /\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-3 HTTP/0.9 style", "GET /\r\n\r\n", 400, Limits{}},
	{"RFC9112-3 trailing space after version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-3 empty target", "GET  HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-2.3 lowercase HTTP-name", "GET / http/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-2.3 version letter", "GET / HTTP/1.x\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-2.3 version without dot", "GET / HTTP/11\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-2.3 version two minor digits", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-2.3 version HTTP/2", "GET / HTTP/2\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-2.3 garbage line", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400, Limits{}},
	{"RFC9110-6.2 HTTP/2.0 is 505", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, Limits{}},
	{"RFC9110-6.2 HTTP/1.2 is 505", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505, Limits{}},
	{"RFC9110-6.2 HTTP/0.9 is 505", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505, Limits{}},
	{"RFC9110-6.2 HTTP/3.0 is 505", "GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505, Limits{}},
	{"RFC3986 space inside target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC3986 pipe in path", "GET /a|b HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC3986 brace in path", "GET /{a} HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"control byte in query", "GET /a?x=\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"DEL in query", "GET /a?x=\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"HTAB in query", "GET /a?x=\ty HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-3.2.1 fragment in query", "GET /a?x#f HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC3986 NUL in target", "GET /\x00 HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC3986 HTAB in target", "GET /\t HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC3986 DEL in target", "GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-3.2.1 fragment in target", "GET /a#f HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC3986-2.1 bad percent-encoding", "GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC3986-2.1 truncated percent-encoding", "GET /%4 HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC3986-2.1 percent at end", "GET /% HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC3986 backslash in target", "GET /a\\b HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC3986 double quote in target", "GET /\" HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC3986 angle brackets in target", "GET /<x> HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC3986 curly braces in target", "GET /{x} HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC3986 pipe in target", "GET /a|b HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC3986 caret in target", "GET /a^b HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC3986 backtick in target", "GET /a`b HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC3986-3.3 brackets in path", "GET /[x] HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC3986-3.3 brackets in absolute-form path", "GET http://h/[x] HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-3.2.4 asterisk-form with GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-3.2.4 asterisk with suffix", "OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-3.2.3 CONNECT authority-form is 501", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 501, Limits{}},
	{"RFC9112-3.2.3 authority-form with GET", "GET example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-3.2 relative target", "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-3.2 query-only target", "GET ?a HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9110-4.2.1 absolute-form empty host", "GET http:///a HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"RFC9110-4.2.4 absolute-form userinfo", "GET http://u:p@h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400, Limits{}},
	{"RFC9112-3.2.2 absolute-form non-http scheme", "GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400, Limits{}},
	{"RFC9112-3.2.2 absolute-form without slashes", "GET http:h HTTP/1.1\r\nHost: h\r\n\r\n", 400, Limits{}},
	{"RFC3986-3.2.3 absolute-form bad port", "GET http://h:8x/ HTTP/1.1\r\nHost: h\r\n\r\n", 400, Limits{}},
	{"RFC3986-3.2.2 absolute-form unclosed IPv6", "GET http://[::1/ HTTP/1.1\r\nHost: h\r\n\r\n", 400, Limits{}},
	{"RFC9112-3.2 absolute-form still needs Host", "GET http://h/ HTTP/1.1\r\n\r\n", 400, Limits{}},
	{"RFC9112-3 request line over limit is 414", "GET /" + strings.Repeat("a", 9000) + " HTTP/1.1\r\nHost: a\r\n\r\n", 414, Limits{}},
	{"RFC9112-3 request line over small limit is 414", "GET /abcdef HTTP/1.1\r\nHost: a\r\n\r\n", 414, Limits{MaxRequestLine: 18}},
	{"RFC9112-3 request line over limit without CRLF is 414", "GET /" + strings.Repeat("a", 20), 414, Limits{MaxRequestLine: 18}},

	// Field lines (RFC 9112 §5, RFC 9110 §5).
	{"CVE-2019-16276 space before colon (RFC9112-5.1)", post + "Transfer-Encoding : chunked\r\nContent-Length: 1\r\n\r\nx", 400, Limits{}},
	{"CVE-2019-16276 space before colon in Host (RFC9112-5.1)", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, Limits{}},
	{"RFC9112-5.1 HTAB before colon", h11 + "X-A\t: b\r\n\r\n", 400, Limits{}},
	{"RFC9112-5.2 obs-fold with SP", h11 + "X-A: b\r\n c\r\n\r\n", 400, Limits{}},
	{"RFC9112-5.2 obs-fold with HTAB", h11 + "X-A: b\r\n\tc\r\n\r\n", 400, Limits{}},
	{"RFC9112-2.2 whitespace before first field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400, Limits{}},
	{"RFC9110-5.1 empty field name", h11 + ": v\r\n\r\n", 400, Limits{}},
	{"RFC9110-5.1 field name with space", h11 + "X A: v\r\n\r\n", 400, Limits{}},
	{"RFC9110-5.1 field name with separator", h11 + "X(A): v\r\n\r\n", 400, Limits{}},
	{"RFC9110-5.1 field name with obs-text", h11 + "X\xe9: v\r\n\r\n", 400, Limits{}},
	{"RFC9112-5 field line without colon", h11 + "X-A v\r\n\r\n", 400, Limits{}},
	{"RFC9110-5.5 NUL in value", h11 + "X-A: a\x00b\r\n\r\n", 400, Limits{}},
	{"RFC9110-5.5 bare CR in value", h11 + "X-A: a\rb\r\n\r\n", 400, Limits{}},
	{"RFC9110-5.5 control 0x01 in value", h11 + "X-A: a\x01b\r\n\r\n", 400, Limits{}},
	{"RFC9110-5.5 DEL in value", h11 + "X-A: a\x7fb\r\n\r\n", 400, Limits{}},
	{"RFC9110-5.5 ESC in value", h11 + "X-A: \x1b[0m\r\n\r\n", 400, Limits{}},
	{"CVE-2022-1705 Transfer-Encoding: \\rchunked", post + "Transfer-Encoding: \rchunked\r\n\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-3.2 missing Host in HTTP/1.1", "GET / HTTP/1.1\r\nX: y\r\n\r\n", 400, Limits{}},
	{"RFC9112-3.2 two Host fields", h11 + "Host: b\r\n\r\n", 400, Limits{}},
	{"RFC9112-3.2 two Host fields in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n", 400, Limits{}},
	{"RFC9112-3.2 Host with space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, Limits{}},
	{"RFC9112-3.2 Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400, Limits{}},
	{"RFC9112-3.2 Host with path", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, Limits{}},
	{"RFC9112-3.2 Host with bad port", "GET / HTTP/1.1\r\nHost: a:b\r\n\r\n", 400, Limits{}},
	{"RFC9112-3.2 Host with empty IP literal", "GET / HTTP/1.1\r\nHost: []\r\n\r\n", 400, Limits{}},
	{"RFC9112-3.2 Host with junk after IP literal", "GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", 400, Limits{}},
	{"RFC9112-3.2 Host with bad IP literal char", "GET / HTTP/1.1\r\nHost: [::1/]\r\n\r\n", 400, Limits{}},
	{"RFC9112-3.2 Host with bad pct-encoding", "GET / HTTP/1.1\r\nHost: a%4\r\n\r\n", 400, Limits{}},
	{"RFC9112-3.2 Host with unclosed IPv6", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400, Limits{}},
	{"RFC6585-5 too many fields is 431", h11 + strings.Repeat("X: y\r\n", 100) + "\r\n", 431, Limits{}},
	{"RFC6585-5 too many fields, small limit", h11 + "A: 1\r\nB: 2\r\n\r\n", 431, Limits{MaxHeaderCount: 2}},
	{"RFC6585-5 header section too large is 431", h11 + "X: " + strings.Repeat("v", 70000) + "\r\n\r\n", 431, Limits{}},
	{"RFC6585-5 header section over small limit", h11 + "X: 0123456789\r\n\r\n", 431, Limits{MaxHeaderBytes: 20}},
	{"RFC6585-5 unterminated header section over limit", h11 + "X: 0123456789abcdef", 431, Limits{MaxHeaderBytes: 20}},

	// Framing (RFC 9112 §6, RFC 9110 §8.6).
	{"CVE-2015-5740 duplicate Content-Length with different values", post + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nxy", 400, Limits{}},
	{"RFC9110-8.6 Content-Length list with different values", post + "Content-Length: 1, 2\r\n\r\nxy", 400, Limits{}},
	{"RFC9110-8.6 Content-Length: +16", post + "Content-Length: +16\r\n\r\n0123456789abcdef", 400, Limits{}},
	{"RFC9110-8.6 Content-Length: -1", post + "Content-Length: -1\r\n\r\n", 400, Limits{}},
	{"RFC9110-8.6 Content-Length with inner space", post + "Content-Length: 1 2\r\n\r\n012345678901", 400, Limits{}},
	{"RFC9110-8.6 Content-Length hex", post + "Content-Length: 0x10\r\n\r\n", 400, Limits{}},
	{"RFC9110-8.6 Content-Length decimal point", post + "Content-Length: 1.0\r\n\r\n", 400, Limits{}},
	{"RFC9110-8.6 Content-Length overflow", post + "Content-Length: 99999999999999999999\r\n\r\n", 400, Limits{}},
	{"RFC9110-8.6 Content-Length empty", post + "Content-Length:\r\n\r\n", 400, Limits{}},
	{"RFC9110-8.6 Content-Length empty list element", post + "Content-Length: 1,\r\n\r\nx", 400, Limits{}},
	{"RFC9112-6.1 Transfer-Encoding with Content-Length", post + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-6.1 Content-Length with Transfer-Encoding", post + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-6.1 Transfer-Encoding: gzip, chunked is 501", post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, Limits{}},
	{"RFC9112-6.1 unknown coding before chunked is 501", post + "Transfer-Encoding: foo\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501, Limits{}},
	{"RFC9112-6.3 Transfer-Encoding: chunked, gzip", post + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-6.3 Transfer-Encoding: gzip only", post + "Transfer-Encoding: gzip\r\n\r\n", 400, Limits{}},
	{"RFC9112-6.3 Transfer-Encoding: xchunked", post + "Transfer-Encoding: xchunked\r\n\r\n", 400, Limits{}},
	{"RFC9112-6.1 Transfer-Encoding: identity", post + "Transfer-Encoding: identity\r\n\r\n", 400, Limits{}},
	{"RFC9112-6.1 Transfer-Encoding: identity, chunked", post + "Transfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-6.1 chunked twice in one field", post + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-6.1 chunked twice in two fields", post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-6.1 Transfer-Encoding on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-7 chunked with parameter", post + "Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9110-5.6.1 Transfer-Encoding empty element", post + "Transfer-Encoding: , chunked\r\n\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9110-5.6.1 Transfer-Encoding trailing comma", post + "Transfer-Encoding: chunked,\r\n\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-6.1 Transfer-Encoding empty", post + "Transfer-Encoding:\r\n\r\n", 400, Limits{}},
	{"RFC9112-6.1 Transfer-Encoding with separator", post + "Transfer-Encoding: \"chunked\"\r\n\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9110-10.1.1 unknown expectation is 417", post + "Expect: 200-ok\r\nContent-Length: 1\r\n\r\nx", 417, Limits{}},
	{"RFC9110-10.1.1 Expect list is 417", post + "Expect: 100-continue, foo\r\nContent-Length: 1\r\n\r\nx", 417, Limits{}},
	{"RFC9110-15.5.14 Content-Length over limit is 413", post + "Content-Length: 10485761\r\n\r\n", 413, Limits{}},
	{"RFC9110-15.5.14 Content-Length over small limit is 413", post + "Content-Length: 11\r\n\r\n", 413, Limits{MaxBodySize: 10}},

	// Chunked coding (RFC 9112 §7.1).
	{"CVE-2025-22871 bare LF ending chunk-size line", chunkedReq + "5\nhello\r\n0\r\n\r\n", 400, Limits{}},
	{"CVE-2025-22871 bare LF ending last-chunk line", chunkedReq + "0\n\r\n", 400, Limits{}},
	{"CVE-2025-22871 bare LF after extension", chunkedReq + "5;a=b\nhello\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1 bare LF after chunk data", chunkedReq + "5\r\nhello\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1 missing CRLF after chunk data", chunkedReq + "5\r\nhelloX\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1 chunk data longer than size", chunkedReq + "3\r\nhello\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1 bare CR after chunk data", chunkedReq + "5\r\nhello\rX0\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1 bare CR in chunk-size line", chunkedReq + "5\r\r\nhello\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1 non-hex chunk size", chunkedReq + "g\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1 empty chunk size", chunkedReq + "\r\nhello\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1 0x prefix", chunkedReq + "0x5\r\nhello\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1 sign in chunk size", chunkedReq + "+5\r\nhello\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1 whitespace before chunk size", chunkedReq + " 5\r\nhello\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1 whitespace after chunk size", chunkedReq + "5 \r\nhello\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1 HTAB after chunk size", chunkedReq + "5\t\r\nhello\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1 whitespace after extension", chunkedReq + "5;a \r\nhello\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1 chunk size overflow", chunkedReq + "10000000000000000\r\n", 400, Limits{}},
	{"RFC9112-7.1 chunk size over body limit is 413", chunkedReq + "a00001\r\n", 413, Limits{}},
	{"RFC9112-7.1 decoded total over body limit is 413", chunkedReq + "5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n", 413, Limits{MaxBodySize: 10}},
	{"RFC9112-7.1.1 extension without name", chunkedReq + "5;\r\nhello\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1.1 extension with only value", chunkedReq + "5;=x\r\nhello\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1.1 extension without semicolon", chunkedReq + "5a=b\r\nhello\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1.1 extension empty value", chunkedReq + "5;a=\r\nhello\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1.1 extension value with space", chunkedReq + "5;a=b c\r\nhello\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1.1 unterminated quoted chunk extension", chunkedReq + "5;a=\"b\r\nhello\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1.1 unterminated quoted extension with escaped quote", chunkedReq + "5;a=\"b\\\"\r\nhello\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1.1 control in quoted extension", chunkedReq + "5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1.1 NUL in extension", chunkedReq + "5;a\x00\r\nhello\r\n0\r\n\r\n", 400, Limits{}},
	{"CVE-2023-39326 chunk-extension overhead", chunkedReq + strings.Repeat("1;"+strings.Repeat("x", 200)+"\r\nA\r\n", 100) + "0\r\n\r\n", 400, Limits{}},
	{"CVE-2023-39326 empty-data chunk lines of zeros", chunkedReq + strings.Repeat("000000000000000000000001\r\nA\r\n", 1000) + "0\r\n\r\n", 400, Limits{}},
	{"CVE-2023-39326 single chunk line too long", chunkedReq + "5;" + strings.Repeat("x", 5000) + "\r\nhello\r\n0\r\n\r\n", 400, Limits{}},
	{"CVE-2023-39326 unterminated chunk line too long", chunkedReq + "5;" + strings.Repeat("x", 5000), 400, Limits{}},
	{"RFC9112-7.1.2 trailer obs-fold", chunkedReq + "0\r\nX: a\r\n b\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1.2 trailer bare LF", chunkedReq + "0\r\nX: a\n\r\n", 400, Limits{}},
	{"RFC9112-7.1.2 trailer section ends with bare LF", chunkedReq + "0\r\n\n", 400, Limits{}},
	{"RFC9112-7.1.2 trailer space before colon", chunkedReq + "0\r\nX : a\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1.2 trailer NUL in value", chunkedReq + "0\r\nX: \x00\r\n\r\n", 400, Limits{}},
	{"RFC9112-7.1.2 too many trailers is 431", chunkedReq + "0\r\nA: 1\r\nB: 2\r\n\r\n", 431, Limits{MaxHeaderCount: 3}},
	{"RFC9112-7.1.2 trailer section too large is 431", chunkedReq + "0\r\nX: " + strings.Repeat("v", 70000) + "\r\n\r\n", 431, Limits{}},
}

// rejectReasons pins the exact rejection of the regression rows, so they
// cannot pass for an unrelated reason.
var rejectReasons = map[string]*Error{
	"CVE-2015-5740 duplicate Content-Length with different values": errMultiCL,
	"CVE-2019-16276 space before colon (RFC9112-5.1)":              errBadFieldName,
	"CVE-2022-1705 Transfer-Encoding: \\rchunked":                  errBadFieldValue,
	"CVE-2023-39326 chunk-extension overhead":                      errChunkExtExcess,
	"CVE-2023-39326 empty-data chunk lines of zeros":               errChunkExtExcess,
	"CVE-2023-39326 single chunk line too long":                    errChunkLineLong,
	"CVE-2025-22871 bare LF ending chunk-size line":                errBareLFChunk,
	"CVE-2025-22871 bare LF ending last-chunk line":                errBareLFChunk,
	"RFC9112-7.1.1 unterminated quoted chunk extension":            errBadChunkExt,
	"RFC9110-8.6 Content-Length: +16":                              errBadContentLength,
	"RFC9112-6.1 Transfer-Encoding: identity":                      errTEIdentity,
	"RFC9112-6.1 Transfer-Encoding: gzip, chunked is 501":          errTEUnsupported,
	"RFC9112-6.1 Transfer-Encoding on HTTP/1.0":                    errTEHTTP10,
	"RFC9112-6.1 Transfer-Encoding with Content-Length":            errTEAndCL,
	"RFC9112-5.2 obs-fold with SP":                                 errObsFold,
}

func TestParseReject(t *testing.T) {
	for _, c := range rejectCases {
		t.Run(c.name, func(t *testing.T) {
			got := parseWhole(c.in, c.limits)
			if got.Status != c.status {
				t.Fatalf("whole buffer: got %v, want status %d", got, c.status)
			}
			if want, ok := rejectReasons[c.name]; ok {
				var r Request
				if _, err := NewParser(c.limits).Parse([]byte(c.in), &r); err != want {
					t.Fatalf("rejected with %v, want %v", err, want)
				}
			}
			// The verdict must not depend on how the bytes arrive.
			for _, step := range []int{1, 2, 3, 7, 64} {
				if got := parseChunks(c.in, c.limits, step); got.Status != c.status {
					t.Fatalf("%d bytes per call: got %v, want status %d", step, got, c.status)
				}
			}
		})
	}
}

func TestRejectReasonsNamed(t *testing.T) {
	names := map[string]bool{}
	for _, c := range rejectCases {
		if names[c.name] {
			t.Errorf("duplicate row name %q", c.name)
		}
		names[c.name] = true
	}
	for name := range rejectReasons {
		if !names[name] {
			t.Errorf("rejectReasons names no row: %q", name)
		}
	}
}

// TestParseRejectResetsParser checks that a Parser is usable after an error.
func TestParseRejectResetsParser(t *testing.T) {
	var p Parser
	var r Request
	if _, err := p.Parse([]byte("GET / HTTP/1.1\nHost: a\r\n\r\n"), &r); statusOf(err) != 400 {
		t.Fatalf("err = %v", err)
	}
	in := []byte("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n")
	if n, err := p.Parse(in, &r); err != nil || n != len(in) || r.Path() != "/ok" {
		t.Fatalf("n=%d err=%v path=%q", n, err, r.Path())
	}
}

func TestParseIncompleteCases(t *testing.T) {
	for _, in := range []string{
		"", "\r", "\r\n", "GET", "GET / HTTP/1.1", "GET / HTTP/1.1\r", "GET / HTTP/1.1\r\n",
		h11, h11 + "\r", post + "Content-Length: 5\r\n\r\nhell",
		chunkedReq, chunkedReq + "5", chunkedReq + "5\r", chunkedReq + "5\r\nhel", chunkedReq + "5\r\nhello", chunkedReq + "5\r\nhello\r",
		chunkedReq + "0\r\n", chunkedReq + "0\r\nX: 1\r\n", chunkedReq + "0\r\n\r",
	} {
		if got := parseWhole(in, Limits{}); got.Status != -1 {
			t.Errorf("%q: got %v, want incomplete", in, got)
		}
	}
}

func TestLimitsBoundaries(t *testing.T) {
	// A request line of exactly MaxRequestLine bytes is accepted.
	line := "GET /" + strings.Repeat("a", 20-len("GET / HTTP/1.1")) + " HTTP/1.1"
	if len(line) != 20 {
		t.Fatal(len(line))
	}
	in := line + "\r\nHost: a\r\n\r\n"
	if got := parseWhole(in, Limits{MaxRequestLine: 20}); got.Status != 0 {
		t.Fatalf("line at limit: %v", got)
	}
	if got := parseWhole(in, Limits{MaxRequestLine: 19}); got.Status != 414 {
		t.Fatalf("line over limit: %v", got)
	}
	// Detected as soon as MaxRequestLine+2 bytes arrived without LF.
	p := NewParser(Limits{MaxRequestLine: 20})
	var r Request
	if _, err := p.Parse([]byte(line+"\r"), &r); err != ErrIncomplete {
		t.Fatalf("err = %v", err)
	}
	if _, err := p.Parse([]byte(line+"\rX"), &r); statusOf(err) != 414 {
		t.Fatalf("err = %v", err)
	}

	// Header section of exactly MaxHeaderBytes ("Host: a\r\n\r\n" = 11).
	in = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
	if got := parseWhole(in, Limits{MaxHeaderBytes: 11}); got.Status != 0 {
		t.Fatalf("headers at limit: %v", got)
	}
	if got := parseWhole(in, Limits{MaxHeaderBytes: 10}); got.Status != 431 {
		t.Fatalf("headers over limit: %v", got)
	}
	// Exactly MaxHeaderCount fields.
	in = h11 + "X: 1\r\n\r\n"
	if got := parseWhole(in, Limits{MaxHeaderCount: 2}); got.Status != 0 {
		t.Fatalf("count at limit: %v", got)
	}
	// Body of exactly MaxBodySize, both framings.
	if got := parseWhole(post+"Content-Length: 5\r\n\r\nhello", Limits{MaxBodySize: 5}); got.Status != 0 {
		t.Fatalf("body at limit: %v", got)
	}
	if got := parseWhole(chunkedReq+"3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n", Limits{MaxBodySize: 5}); got.Status != 0 || got.Body != "hello" {
		t.Fatalf("chunked body at limit: %v", got)
	}
	// 413 for Content-Length is reported before the body arrives.
	p = NewParser(Limits{MaxBodySize: 5})
	if _, err := p.Parse([]byte(post+"Content-Length: 6\r\n\r\n"), &r); statusOf(err) != 413 {
		t.Fatalf("err = %v", err)
	}
	// Default limits for the zero Parser and negative values.
	if DefaultLimits() != NewParser(Limits{MaxRequestLine: -1}).limits {
		t.Fatal("negative limit not defaulted")
	}
	var zp Parser
	if _, err := zp.Parse([]byte(post+"Content-Length: 10485760\r\n\r\n"), &r); err != ErrIncomplete {
		t.Fatalf("zero parser: %v", err)
	}
}

// TestChunkExtensionAllowance checks that ordinary chunked bodies with small
// chunks and a few extensions stay within the CVE-2023-39326 allowance.
func TestChunkExtensionAllowance(t *testing.T) {
	var b strings.Builder
	b.WriteString(chunkedReq)
	for range 5000 {
		b.WriteString("1\r\nx\r\n") // 1-byte chunks: 1 line byte per body byte
	}
	b.WriteString("3;name=\"v\"\r\nabc\r\n0\r\n\r\n")
	got := parseWhole(b.String(), Limits{})
	if got.Status != 0 || len(got.Body) != 5003 {
		t.Fatalf("got status %d, body %d", got.Status, len(got.Body))
	}
}

func TestPipelined100(t *testing.T) {
	var all bytes.Buffer
	for i := range 100 {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&all, "GET /r%d HTTP/1.1\r\nHost: a\r\n\r\n", i)
		case 1:
			body := strings.Repeat("b", i)
			fmt.Fprintf(&all, "POST /r%d HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n%s", i, len(body), body)
		case 2:
			fmt.Fprintf(&all, "PUT /r%d HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n%s0\r\n\r\n", i, chunk(strconv.Itoa(i)))
		}
	}
	buf := all.Bytes()
	var p Parser
	var r Request
	for i := range 100 {
		n, err := p.Parse(buf, &r)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if want := "/r" + strconv.Itoa(i); r.Path() != want {
			t.Fatalf("request %d: path %q, want %q", i, r.Path(), want)
		}
		switch i % 3 {
		case 1:
			if len(r.Body()) != i {
				t.Fatalf("request %d: body %d bytes", i, len(r.Body()))
			}
		case 2:
			if string(r.Body()) != strconv.Itoa(i) {
				t.Fatalf("request %d: body %q", i, r.Body())
			}
		}
		buf = buf[n:]
	}
	if len(buf) != 0 {
		t.Fatalf("%d bytes left", len(buf))
	}
	if _, err := p.Parse(buf, &r); err != ErrIncomplete {
		t.Fatalf("empty buffer: %v", err)
	}
}

func TestExpectContinue(t *testing.T) {
	var p Parser
	var r Request
	head := post + "Expect: 100-continue\r\nContent-Length: 5\r\n\r\n"
	buf := []byte(head[:len(head)-1])
	if _, err := p.Parse(buf, &r); err != ErrIncomplete || p.NeedsContinue() {
		t.Fatalf("before end of headers: err=%v needs=%v", err, p.NeedsContinue())
	}
	buf = []byte(head)
	if _, err := p.Parse(buf, &r); err != ErrIncomplete || !p.NeedsContinue() {
		t.Fatalf("after headers: err=%v needs=%v", err, p.NeedsContinue())
	}
	p.ContinueSent()
	if p.NeedsContinue() {
		t.Fatal("NeedsContinue after ContinueSent")
	}
	buf = append(buf, "hel"...)
	if _, err := p.Parse(buf, &r); err != ErrIncomplete || p.NeedsContinue() {
		t.Fatalf("partial body: err=%v needs=%v", err, p.NeedsContinue())
	}
	buf = append(buf, "lo"...)
	n, err := p.Parse(buf, &r)
	if err != nil || n != len(buf) || string(r.Body()) != "hello" || !r.ExpectContinue() {
		t.Fatalf("n=%d err=%v body=%q", n, err, r.Body())
	}
	if p.NeedsContinue() {
		t.Fatal("NeedsContinue after completion")
	}

	// The next request starts unacknowledged again.
	if _, err := p.Parse([]byte(chunkedReq[:len(chunkedReq)-2]+"Expect: 100-continue\r\n\r\n"), &r); err != ErrIncomplete || !p.NeedsContinue() {
		t.Fatalf("chunked: err=%v needs=%v", err, p.NeedsContinue())
	}
	p.Reset()
	if p.NeedsContinue() {
		t.Fatal("NeedsContinue after Reset")
	}

	for _, c := range []struct {
		name, in string
		status   int
	}{
		{"too large: 413 before any 100", post + "Expect: 100-continue\r\nContent-Length: 99999999999\r\n\r\n", 413},
		{"invalid header: 400 before any 100", post + "Expect: 100-continue\r\nContent-Length: 5\r\nX : y\r\n\r\n", 400},
		{"no body: complete at once", "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n", 0},
		{"HTTP/1.0 ignores the expectation", "PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", -1},
	} {
		var p Parser
		_, err := p.Parse([]byte(c.in), &r)
		if statusOf(err) != c.status || p.NeedsContinue() {
			t.Errorf("%s: err=%v needs=%v", c.name, err, p.NeedsContinue())
		}
	}
}

// TestInPlaceChunkedKeepsNextRequest checks that decoding in place does not
// touch bytes after the request.
func TestInPlaceChunkedKeepsNextRequest(t *testing.T) {
	next := "GET /next HTTP/1.1\r\nHost: a\r\n\r\n"
	buf := []byte(chunkedReq + "3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n" + next)
	var p Parser
	var r Request
	n, err := p.Parse(buf, &r)
	if err != nil || string(r.Body()) != "abcdef" || string(buf[n:]) != next {
		t.Fatalf("n=%d err=%v body=%q rest=%q", n, err, r.Body(), buf[n:])
	}
	if cap(r.Body()) != len(r.Body()) {
		t.Fatal("body capacity exceeds length")
	}
}

func TestRequestAccessors(t *testing.T) {
	var p Parser
	var r Request
	in := []byte("GET /p?q HTTP/1.1\r\nHost: h\r\nX-Multi: 1\r\nx-multi: 2\r\nContent-Type: text/html\r\n\r\n")
	if _, err := p.Parse(in, &r); err != nil {
		t.Fatal(err)
	}
	if r.Header("x-MULTI") != "1" || r.Header("content-type") != "text/html" || r.Header("missing") != "" {
		t.Fatalf("Header lookups: %q %q", r.Header("x-MULTI"), r.Header("content-type"))
	}
	if r.ContentLength() != -1 || r.Chunked() || r.Body() != nil || len(r.Trailers()) != 0 {
		t.Fatal("no-body accessors")
	}
	c := r.Clone()
	s := CloneString(r.Header("X-Multi"))
	head := string(r.Head())
	for i := range in {
		in[i] = 'Z' // the connection buffer is reused
	}
	if c.Path() != "/p" || c.Query() != "q" || c.Host() != "h" || c.Header("x-multi") != "1" || len(c.Headers()) != 4 || s != "1" {
		t.Fatalf("clone changed with the buffer: %+v %q", c, s)
	}
	if string(c.Head()) != head || head != "GET /p?q HTTP/1.1\r\nHost: h\r\nX-Multi: 1\r\nx-multi: 2\r\nContent-Type: text/html\r\n\r\n" {
		t.Fatalf("clone's Head = %q, want the original's %q", c.Head(), head)
	}
	if r.Method() != "GET" {
		t.Fatal("standard method strings are static")
	}
}

// TestByteByByteIsLinear guards against rescanning: a megabyte fed one byte
// per Parse call must take about as long as a few megabytes of scanning, not
// a quadratic amount (which would take minutes).
func TestByteByByteIsLinear(t *testing.T) {
	for _, in := range []string{
		"GET /" + strings.Repeat("a", 8000) + " HTTP/1.1\r\nHost: a\r\n\r\n",
		h11 + "X-Long: " + strings.Repeat("v", 60000) + "\r\n\r\n",
		h11 + "X" + strings.Repeat("n", 60000) + ": v\r\n\r\n",
		chunkedReq + "5;" + strings.Repeat("x", 4000) + "\r\nhello\r\n0\r\nX: " + strings.Repeat("v", 60000) + "\r\n\r\n",
		post + "Content-Length: 1000000\r\n\r\n" + strings.Repeat("b", 1000000),
		chunkedReq + "F4240\r\n" + strings.Repeat("b", 1000000) + "\r\n0\r\n\r\n",
	} {
		start := time.Now()
		if got := parseChunks(in, Limits{}, 1); got.Status != 0 {
			t.Fatalf("status %d", got.Status)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%d bytes one per call took %v", len(in), d)
		}
	}
}

// TestTwoRequestsOneParser checks that handing field storage from the
// Parser to a Request never aliases another Request's fields.
func TestTwoRequestsOneParser(t *testing.T) {
	var p Parser
	var a, b Request
	bufA := []byte("GET /a HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\r\n")
	bufB := []byte("GET /b HTTP/1.1\r\nHost: b\r\nX-B: 2\r\nX-C: 3\r\n\r\n")
	for range 3 {
		if _, err := p.Parse(bufA, &a); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Parse(bufB, &b); err != nil {
			t.Fatal(err)
		}
		if a.Header("X-A") != "1" || a.Header("X-B") != "" || len(a.Headers()) != 2 || a.Host() != "a" {
			t.Fatalf("request a: %v", a.Headers())
		}
		if b.Header("X-C") != "3" || b.Header("X-A") != "" || len(b.Headers()) != 3 || b.Host() != "b" {
			t.Fatalf("request b: %v", b.Headers())
		}
	}
}

func TestZeroRequest(t *testing.T) {
	var r Request
	if r.Header("Host") != "" || len(r.Headers()) != 0 || len(r.Trailers()) != 0 || r.Body() != nil || r.Proto() != "HTTP/1.0" {
		t.Fatal("zero Request")
	}
	if c := r.Clone(); c.Method() != "" || len(c.Headers()) != 0 {
		t.Fatal("zero Request clone")
	}
	var w Response
	w.Reset(&r)
	if _, err := w.Build(nil); err != nil {
		t.Fatal(err)
	}
}

func TestParseNilRequestAndShrunkBuffer(t *testing.T) {
	var p Parser
	in := []byte(h11 + "\r\n")
	if n, err := p.Parse(in, nil); err != nil || n != len(in) {
		t.Fatalf("nil request: %d %v", n, err)
	}
	// A caller that breaks the append-only contract gets a fresh parse, not a panic.
	if _, err := p.Parse(in[:20], nil); err != ErrIncomplete {
		t.Fatal(err)
	}
	if n, err := p.Parse(in[:5], nil); err != ErrIncomplete || n != 0 {
		t.Fatal(n, err)
	}
	if n, err := p.Parse(in, nil); err != nil || n != len(in) {
		t.Fatal(n, err)
	}
}

func TestHeaderComplete(t *testing.T) {
	var p Parser
	var r Request
	head := post + "Content-Length: 3\r\n\r\n"
	for i := 0; i < len(head); i++ {
		if _, err := p.Parse([]byte(head[:i]), &r); err != ErrIncomplete || p.HeaderComplete() {
			t.Fatalf("at %d: err=%v complete=%v", i, err, p.HeaderComplete())
		}
	}
	if _, err := p.Parse([]byte(head+"ab"), &r); err != ErrIncomplete || !p.HeaderComplete() {
		t.Fatalf("body pending: err=%v complete=%v", err, p.HeaderComplete())
	}
	if _, err := p.Parse([]byte(head+"abc"), &r); err != nil || p.HeaderComplete() {
		t.Fatalf("done: err=%v complete=%v", err, p.HeaderComplete())
	}
}

func TestStandardMethodsStatic(t *testing.T) {
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "PURGE", "GETX", "POSTS"} {
		buf := []byte(m + " / HTTP/1.1\r\nHost: a\r\n\r\n")
		var p Parser
		var r Request
		if _, err := p.Parse(buf, &r); err != nil {
			t.Fatal(m, err)
		}
		got := r.Method()
		buf[0] = 'Z' // static strings do not change with the buffer
		static := m != "PURGE" && m != "GETX" && m != "POSTS"
		if static && got != m || !static && got == m {
			t.Fatalf("%s: Method() = %q after the buffer changed", m, got)
		}
	}
}
