package handlers

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/miniasync/miniasync/protocol"
)

// serve parses raw, runs h on it and returns the response's wire bytes.
func serve(t *testing.T, h Func, raw string) string {
	t.Helper()
	var (
		p   protocol.Parser
		req protocol.Request
		res protocol.Response
	)
	buf := []byte(raw)
	if _, err := p.Parse(buf, &req); err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	res.Reset(&req)
	h(&req, &res)
	out, err := res.Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func body(wire string) string {
	_, b, _ := strings.Cut(wire, "\r\n\r\n")
	return b
}

func TestHello(t *testing.T) {
	out := serve(t, Hello, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if !strings.HasPrefix(out, "HTTP/1.1 200 OK\r\n") || !strings.Contains(out, "\r\nContent-Type: text/plain\r\n") || body(out) != "Hello" {
		t.Fatalf("hello: %q", out)
	}
}

func TestCounterIsSharedAndExact(t *testing.T) {
	c := NewCounter()
	const goroutines, each = 8, 50
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				serve(t, c.Serve, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			}
		})
	}
	wg.Wait()
	if got := body(serve(t, c.Serve, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")); got != "401" {
		t.Fatalf("after %d requests the next count is %s, want 401", goroutines*each, got)
	}
}

func TestEchoExactJSON(t *testing.T) {
	raw := "POST /a%20b?x=1&y=2 HTTP/1.1\r\nHost: h\r\nX-Mixed-CASE: caf\xc3\xa9 \x80<>&\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"3\r\nab\n\r\n2\r\n\"\\\r\n0\r\n\r\n"
	got := body(serve(t, Echo, raw))
	want := `{"method": "POST", "target": "/a%20b?x=1&y=2", "proto": "HTTP/1.1", "headers": [` +
		`["Host","h"], ["X-Mixed-CASE","café \ufffd<>&"], ["Content-Type","text/plain"], ["Transfer-Encoding","chunked"]], ` +
		`"body": "ab\n\"\\"}`
	if got != want {
		t.Fatalf("echo JSON:\n got %s\nwant %s", got, want)
	}
	var v struct {
		Method, Target, Proto, Body string
		Headers                     [][2]string
	}
	if err := json.Unmarshal([]byte(got), &v); err != nil {
		t.Fatalf("not valid JSON: %v", err)
	}
	if v.Body != "ab\n\"\\" || v.Headers[1][0] != "X-Mixed-CASE" || v.Proto != "HTTP/1.1" {
		t.Fatalf("decoded: %+v", v)
	}
	if out := serve(t, Echo, "GET / HTTP/1.0\r\n\r\n"); !strings.Contains(out, `"proto": "HTTP/1.0"`) || !strings.Contains(out, "application/json") {
		t.Fatalf("HTTP/1.0 echo: %q", out)
	}
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "\x00\x1f\t\r\n", "\u2028\u2029", "\xff\xfe", "日本語", "<script>&amp;</script>"} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		if got := AppendJSONString(nil, s); string(got) != strings.TrimSuffix(want.String(), "\n") {
			t.Errorf("%q: got %s, encoding/json gives %s", s, got, want.String())
		}
	}
}

func TestNew(t *testing.T) {
	for _, name := range Names {
		if name == HTTPHelloName {
			continue // a net/http handler: the command adapts it (TestHTTPHello)
		}
		if h, ok := New(name); !ok || h == nil {
			t.Errorf("New(%q) failed", name)
		}
	}
	if _, ok := New("nope"); ok {
		t.Error("New accepted an unknown name")
	}
}

func TestHTTPHello(t *testing.T) {
	rec := httptest.NewRecorder()
	HTTPHello(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 200 || rec.Body.String() != HelloBody || rec.Header().Get("Content-Type") != "text/plain" {
		t.Fatalf("got %d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}
}
