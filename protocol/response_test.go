package protocol

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"
)

// parsed parses a request for use with Response.Reset.
func parsed(t testing.TB, in string) *Request {
	t.Helper()
	var p Parser
	r := new(Request)
	if _, err := p.Parse([]byte(in), r); err != nil {
		t.Fatalf("parse %q: %v", in, err)
	}
	return r
}

// stripDate checks the Date line right after the status line and removes it.
func stripDate(t *testing.T, out string) string {
	t.Helper()
	i := strings.Index(out, "\r\nDate: ")
	if i < 0 {
		t.Fatalf("no Date in %q", out)
	}
	j := i + len("\r\nDate: ")
	date := out[j : j+dateLen]
	ts, err := time.Parse(http.TimeFormat, date)
	if err != nil || time.Since(ts) > 5*time.Second || time.Until(ts) > 5*time.Second {
		t.Fatalf("bad Date %q: %v", date, err)
	}
	if strings.Index(out[:i], "\r\n") >= 0 {
		t.Fatalf("Date is not the first field: %q", out)
	}
	return out[:i] + out[j+dateLen:]
}

func build(t *testing.T, w *Response) string {
	t.Helper()
	out, err := w.Build([]byte("prefix|"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "prefix|") {
		t.Fatal("Build did not append to dst")
	}
	return stripDate(t, string(out[len("prefix|"):]))
}

func TestResponseExact(t *testing.T) {
	get11 := "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
	cases := []struct {
		name      string
		req       string // "" for Reset(nil)
		set       func(w *Response)
		want      string
		keepAlive bool
	}{
		{"simple 200", get11, func(w *Response) {
			w.Status(200).ContentType("text/plain").BodyString("hello")
		}, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello", true},
		{"defaults: 200, empty body", get11, func(w *Response) {},
			"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true},
		{"nil request", "", func(w *Response) { w.BodyString("x") },
			"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", true},
		{"user headers in order", get11, func(w *Response) {
			w.Header("X-A", "1").Header("Set-Cookie", "a=b; Path=/").Header("x-a", "\t2 é").Body([]byte("{}")).ContentType("application/json")
		}, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-A: 1\r\nSet-Cookie: a=b; Path=/\r\nx-a: \t2 é\r\nContent-Length: 2\r\n\r\n{}", true},
		{"HEAD: Content-Length of the body, no body", "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", func(w *Response) {
			w.ContentType("text/html").BodyString("<p>hi</p>")
		}, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 9\r\n\r\n", true},
		{"204: no body, no Content-Length", get11, func(w *Response) {
			w.Status(204).ContentType("text/plain").BodyString("ignored")
		}, "HTTP/1.1 204 No Content\r\n\r\n", true},
		{"304: no body, no Content-Length", get11, func(w *Response) {
			w.Status(304).Header("ETag", `"x"`).ContentType("text/plain").BodyString("ignored")
		}, "HTTP/1.1 304 Not Modified\r\nContent-Type: text/plain\r\nETag: \"x\"\r\n\r\n", true},
		{"1xx: no body, closes", get11, func(w *Response) {
			w.Status(103).Header("Link", "</s.css>; rel=preload").BodyString("ignored")
		}, "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\nConnection: close\r\n\r\n", false},
		{"Close", get11, func(w *Response) { w.Close().BodyString("bye") },
			"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbye", false},
		{"Connection: close header honoured as Close", get11, func(w *Response) { w.Header("connection", "Keep-Alive, Close") },
			"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", false},
		{"framing headers owned by the server are ignored", get11, func(w *Response) {
			w.Header("Content-Length", "99").Header("Transfer-Encoding", "chunked").Header("Date", "x").Header("Connection", "keep-alive").
				Header("content-type", "text/css").BodyString("a")
		}, "HTTP/1.1 200 OK\r\nContent-Type: text/css\r\nContent-Length: 1\r\n\r\na", true},
		{"client asked to close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", func(w *Response) {},
			"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", false},
		{"HTTP/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", func(w *Response) { w.BodyString("ok") },
			"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok", true},
		{"HTTP/1.0 without keep-alive", "GET / HTTP/1.0\r\n\r\n", func(w *Response) { w.BodyString("ok") },
			"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", false},
		{"HTTP/1.0 keep-alive but Close", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", func(w *Response) { w.Close() },
			"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", false},
		{"unregistered code gets a generic reason", get11, func(w *Response) { w.Status(299) },
			"HTTP/1.1 299 Success\r\nContent-Length: 0\r\n\r\n", true},
		{"code 999", get11, func(w *Response) { w.Status(999) },
			"HTTP/1.1 999 Unknown Status\r\nContent-Length: 0\r\n\r\n", true},
		{"Write and WriteString", get11, func(w *Response) {
			w.Write([]byte("a"))
			w.WriteString("bc")
		}, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", true},
		{"Body then Write appends", get11, func(w *Response) {
			w.BodyString("ab")
			w.WriteString("c")
		}, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", true},
		{"Write then Body replaces", get11, func(w *Response) {
			w.WriteString("abc")
			w.BodyString("d")
		}, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nd", true},
		{"binary body", get11, func(w *Response) { w.BodyString(binaryBody) },
			"HTTP/1.1 200 OK\r\nContent-Length: 256\r\n\r\n" + binaryBody, true},
	}
	var w Response
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r *Request
			if c.req != "" {
				r = parsed(t, c.req)
			}
			w.Reset(r) // the same Response is reused across cases
			c.set(&w)
			if got := build(t, &w); got != c.want {
				t.Fatalf("got  %q\nwant %q", got, c.want)
			}
			if w.KeepAlive() != c.keepAlive {
				t.Fatalf("KeepAlive = %v, want %v", w.KeepAlive(), c.keepAlive)
			}
		})
	}
}

func TestResponseInvalid(t *testing.T) {
	cases := []struct {
		name string
		set  func(w *Response)
		want error
	}{
		{"status 99", func(w *Response) { w.Status(99) }, ErrInvalidStatus},
		{"status 1000", func(w *Response) { w.Status(1000) }, ErrInvalidStatus},
		{"status negative", func(w *Response) { w.Status(-200) }, ErrInvalidStatus},
		{"empty name", func(w *Response) { w.Header("", "v") }, ErrInvalidHeader},
		{"name with space", func(w *Response) { w.Header("X A", "v") }, ErrInvalidHeader},
		{"name with colon", func(w *Response) { w.Header("X:", "v") }, ErrInvalidHeader},
		{"name with CRLF", func(w *Response) { w.Header("X\r\nY", "v") }, ErrInvalidHeader},
		{"value with CRLF (response splitting)", func(w *Response) { w.Header("Location", "/a\r\nSet-Cookie: x=y") }, ErrInvalidHeader},
		{"value with LF", func(w *Response) { w.Header("X", "a\nb") }, ErrInvalidHeader},
		{"value with CR", func(w *Response) { w.Header("X", "a\rb") }, ErrInvalidHeader},
		{"value with NUL", func(w *Response) { w.Header("X", "a\x00b") }, ErrInvalidHeader},
		{"value with DEL", func(w *Response) { w.Header("X", "a\x7fb") }, ErrInvalidHeader},
		{"content type with LF", func(w *Response) { w.ContentType("text/plain\nX: y") }, ErrInvalidHeader},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var w Response
			w.Reset(nil)
			c.set(&w)
			dst := []byte("keep")
			out, err := w.Build(dst)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if string(out) != "keep" {
				t.Fatalf("dst changed: %q", out)
			}
			if w.KeepAlive() {
				t.Fatal("KeepAlive after failed Build")
			}
		})
	}
}

func TestResponseResetClears(t *testing.T) {
	var w Response
	w.Reset(nil)
	w.Status(404).ContentType("x/y").Header("A", "b").Close()
	w.WriteString("body")
	if w.StatusCode() != 404 {
		t.Fatal(w.StatusCode())
	}
	w.Reset(nil)
	if got := build(t, &w); got != "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" || !w.KeepAlive() {
		t.Fatalf("after Reset: %q", got)
	}
}

func TestBodyStringNotModified(t *testing.T) {
	// BodyString's bytes are read-only: Write must copy, never append into them.
	backing := []byte("abcdef")
	s := string(backing[:3])
	var w Response
	w.Reset(nil)
	w.BodyString(s)
	w.WriteString("X")
	w.Body(backing[:3])
	w.WriteString("Y")
	if string(backing) != "abcdef" || s != "abc" {
		t.Fatalf("body source modified: %q %q", backing, s)
	}
}

func TestAppendError(t *testing.T) {
	out := string(AppendError([]byte("x"), 431, "request header section too large"))
	want := "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Content-Length: 33\r\nConnection: close\r\n\r\nrequest header section too large\n"
	if got := stripDate(t, out[1:]); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	if got := stripDate(t, string(AppendError(nil, 42, "x"))); !strings.HasPrefix(got, "HTTP/1.1 500 Internal Server Error\r\n") {
		t.Fatalf("invalid status: %q", got)
	}
	// Every Error the parser returns maps to a registered status.
	for _, c := range rejectCases {
		var r Request
		_, err := NewParser(c.limits).Parse([]byte(c.in), &r)
		var e *Error
		if !errors.As(err, &e) || StatusText(e.Status) == "" || strings.ContainsAny(e.Reason, "\r\n") {
			t.Fatalf("%s: %v", c.name, err)
		}
		if e.Error() != "protocol: "+itoa(e.Status)+" "+e.Reason {
			t.Fatalf("Error() = %q", e.Error())
		}
	}
}

func itoa(n int) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

func TestStatusText(t *testing.T) {
	for code, want := range map[int]string{200: "OK", 404: "Not Found", 413: "Content Too Large", 431: "Request Header Fields Too Large", 505: "HTTP Version Not Supported", 299: "", 42: ""} {
		if got := StatusText(code); got != want {
			t.Errorf("StatusText(%d) = %q, want %q", code, got, want)
		}
	}
	for code, want := range map[int]string{200: "OK", 299: "Success", 150: "Informational", 399: "Redirection", 499: "Client Error", 599: "Server Error", 600: "Unknown Status", 99: "", 1000: ""} {
		if got := StatusReason(code); got != want {
			t.Errorf("StatusReason(%d) = %q, want %q", code, got, want)
		}
	}
}

func TestAppendDate(t *testing.T) {
	d := string(AppendDate([]byte("x")))
	if len(d) != 1+dateLen {
		t.Fatalf("%q", d)
	}
	ts, err := time.Parse(http.TimeFormat, d[1:])
	if err != nil || time.Since(ts).Abs() > 2*time.Second {
		t.Fatalf("%q: %v", d, err)
	}
	// formatDate matches the reference layout for many instants.
	for _, sec := range []int64{0, 784111777, 951782400, 1709210096, 4102444799, 253402300799} {
		want := time.Unix(sec, 0).UTC().Format(http.TimeFormat)
		if got := string(formatDate(nil, sec)); got != want {
			t.Errorf("formatDate(%d) = %q, want %q", sec, got, want)
		}
	}
	if got := string(formatDate(nil, 784111777)); got != "Sun, 06 Nov 1994 08:49:37 GMT" {
		t.Fatal(got)
	}
}

func TestAppendDateConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b []byte
			for range 2000 {
				b = AppendDate(b[:0])
				if _, err := time.Parse(http.TimeFormat, string(b)); err != nil {
					t.Errorf("torn date %q", b)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestZeroAllocs(t *testing.T) {
	in := []byte(browserGET)
	chunked := []byte(chunkedPOST)
	work := make([]byte, len(chunked))
	var p Parser
	var r Request
	var w Response
	dst := make([]byte, 0, 4096)
	body := []byte("hello world")
	bad := []byte("GET / HTTP/1.1\nHost: a\r\n\r\n")
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := p.Parse(in, &r); err != nil {
			t.Fatal(err)
		}
		copy(work, chunked)
		if _, err := p.Parse(work, &r); err != nil {
			t.Fatal(err)
		}
		w.Reset(&r)
		w.Status(200).ContentType("text/plain").Header("X-Id", "1").Body(body)
		w.WriteString("!")
		var err error
		if dst, err = w.Build(dst[:0]); err != nil {
			t.Fatal(err)
		}
		dst = AppendError(dst[:0], 400, "bad")
		if _, err := p.Parse(bad, &r); err == nil {
			t.Fatal("no error")
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocs per run, want 0", allocs)
	}
}

// TestBuildAtReusesHeadsExactly builds every pair of responses (a, then b)
// on one Response, so b may reuse a's head, and checks b's bytes and error
// against b built on a fresh Response: whatever the head depends on must
// be part of what decides its reuse.
func TestBuildAtReusesHeadsExactly(t *testing.T) {
	const sec = 1_700_000_000
	http11, http10 := parsed(t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"), parsed(t, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
	type variant struct {
		name  string
		req   *Request
		now   int64
		build func(w *Response)
	}
	hello := func(w *Response) { w.ContentType("text/plain").BodyString("Hello") }
	variants := []variant{
		{"hello", http11, sec, hello},
		{"hello a minute later", http11, sec + 60, hello},
		{"hello HTTP/1.0", http10, sec, hello},
		{"hello close", http11, sec, func(w *Response) { hello(w); w.Close() }},
		{"other type", http11, sec, func(w *Response) { w.ContentType("text/plane").BodyString("Hello") }},
		{"invalid type", http11, sec, func(w *Response) { w.ContentType("text/pla\ne").BodyString("Hello") }},
		{"no type", http11, sec, func(w *Response) { w.BodyString("Hello") }},
		{"longer body", http11, sec, func(w *Response) { w.ContentType("text/plain").BodyString("Hello!") }},
		{"404", http11, sec, func(w *Response) { w.Status(404).ContentType("text/plain").BodyString("Hello") }},
		{"204 with type", http11, sec, func(w *Response) { w.Status(204).ContentType("text/plain") }},
		{"204 without type", http11, sec, func(w *Response) { w.Status(204) }},
		{"204 invalid type", http11, sec, func(w *Response) { w.Status(204).ContentType("a\nb") }},
		{"103", http11, sec, func(w *Response) { w.Status(103) }},
		{"invalid status", http11, sec, func(w *Response) { w.Status(99) }},
		{"extra field", http11, sec, func(w *Response) { hello(w); w.Header("X-A", "1") }},
		{"invalid field", http11, sec, func(w *Response) { hello(w); w.Header("X-A", "1\r\n") }},
		{"long type", http11, sec, func(w *Response) {
			w.ContentType("text/plain; x=" + strings.Repeat("y", maxCachedHead)).BodyString("Hello")
		}},
	}
	build := func(w *Response, v variant) (string, error) {
		w.Reset(v.req)
		v.build(w)
		out, err := w.BuildAt([]byte("prefix"), v.now)
		return string(out), err
	}
	for _, a := range variants {
		for _, b := range variants {
			var fresh, reused Response
			want, wantErr := build(&fresh, b)
			if _, err := build(&reused, a); err != nil && !errors.Is(err, ErrInvalidStatus) && !errors.Is(err, ErrInvalidHeader) {
				t.Fatalf("%s: %v", a.name, err)
			}
			got, err := build(&reused, b)
			if got != want || (err == nil) != (wantErr == nil) || reused.KeepAlive() != fresh.KeepAlive() {
				t.Errorf("%s after %s:\n got %q, %v, keep-alive %v\nwant %q, %v, keep-alive %v",
					b.name, a.name, got, err, reused.KeepAlive(), want, wantErr, fresh.KeepAlive())
			}
		}
	}
}

// TestBuildAtReuseWithAliasedContentType: a Content-Type string that
// aliases a buffer the caller then overwrites (as one taken from a request
// does) must not make a stale head look current.
func TestBuildAtReuseWithAliasedContentType(t *testing.T) {
	req := parsed(t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	buf := []byte("text/plain")
	var w Response
	for _, ct := range []string{"text/plain", "text/html!"} {
		copy(buf, ct)
		w.Reset(req)
		w.ContentType(unsafe.String(&buf[0], len(buf))).BodyString("Hello")
		out, err := w.BuildAt(nil, 1_700_000_000)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), "\r\nContent-Type: "+ct+"\r\n") {
			t.Fatalf("Content-Type %q: built %q", ct, out)
		}
	}
}
