package protocol

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// fastLineCases are request lines and whether the fast path takes them.
var fastLineCases = []struct {
	in   string
	fast bool
}{
	{"GET / HTTP/1.1\r\n", true},
	{"GET / HTTP/1.0\r\nHost: a\r\n\r\n", true},
	{"HEAD /a/b?x=1&y=%zz HTTP/1.1\r\n", true},
	{"POST /up%20load HTTP/1.1\r\n", true},
	{"PUT /a:b@c!$&'()*+,;=-._~ HTTP/1.1\r\n", true},
	{"DELETE /\xc3\xa9 HTTP/1.1\r\n", true},
	{"GET /? HTTP/1.1\r\n", true},
	{"GET /?a?b/c{|}\"[] HTTP/1.1\r\n", true},
	{"GET / HTTP/1.1\r", false},           // incomplete
	{"GET / HTTP/1.1", false},             // incomplete
	{"GET / HTTP/1.2\r\n", false},         // 505 from the general path
	{"GET / HTTP/2.0\r\n", false},         // 505
	{"GET / http/1.1\r\n", false},         // 400
	{"GET  / HTTP/1.1\r\n", false},        // two spaces: 400
	{"GET / HTTP/1.1 \r\n", false},        // trailing space
	{"GET / HTTP/1.1\n", false},           // bare LF
	{"GET / HTTP/1.1\rX", false},          // bare CR
	{"GET /a%2 HTTP/1.1\r\n", false},      // bad pct-encoding
	{"GET /a%zz HTTP/1.1\r\n", false},     // bad pct-encoding
	{"GET /[x] HTTP/1.1\r\n", false},      // brackets in a path
	{"GET /a#b HTTP/1.1\r\n", false},      // fragment
	{"GET /?a#b HTTP/1.1\r\n", false},     // fragment in the query
	{"GET /#HTTP/1.1\r\n", false},         // no SP before the version
	{"GET /?#HTTP/1.1\r\n", false},        // no SP before the version
	{"GET * HTTP/1.1\r\n", false},         // asterisk-form
	{"OPTIONS * HTTP/1.1\r\n", false},     // another method
	{"GET http://a/ HTTP/1.1\r\n", false}, // absolute-form
	{"CONNECT a:1 HTTP/1.1\r\n", false},   // 501
	{"HEADx/ HTTP/1.1\r\n", false},        // no SP after the method
	{"POSTx/ HTTP/1.1\r\n", false},        // no SP after the method
	{"DELETEx/ HTTP/1.1\r\n", false},      // no SP after the method
	{"GET /%4g HTTP/1.1\r\n", false},      // bad second hex digit
	{"GET /%g4 HTTP/1.1\r\n", false},      // bad first hex digit
	{"GETS / HTTP/1.1\r\n", false},        // another method
	{"HEADS / HTTP/1.1\r\n", false},       // another method
	{"DELETED / HTTP/1.1\r\n", false},     // another method
	{"DELE / HTTP/1.1\r\n", false},        // another method
	{"get / HTTP/1.1\r\n", false},         // methods are case-sensitive
	{"\r\nGET / HTTP/1.1\r\n", false},     // the empty line the general path skips
	{"GET /\x00 HTTP/1.1\r\n", false},     // a control byte
	{"GET /a\tb HTTP/1.1\r\n", false},     // HTAB
	{"GET / HTTP/1.1\r\n\r\n", true},      // followed by the end of the header section
	{"GET /" + strings.Repeat("a", 100) + " HTTP/1.1\r\n", true},
}

func TestRequestLineFastPath(t *testing.T) {
	for _, c := range fastLineCases {
		if got := compareRequestLinePaths(t, []byte(c.in), 0); got != c.fast {
			t.Errorf("%q: fast path took it: %v, want %v", c.in, got, c.fast)
		}
	}
}

// TestRequestLineFastPathLimit: a line whose LF lies exactly at the length
// limit is too long for both paths; one byte shorter fits both.
func TestRequestLineFastPathLimit(t *testing.T) {
	line := "GET /" + strings.Repeat("a", 20) + " HTTP/1.1\r\n"
	atLimit := len(line) - 2 // MaxRequestLine excludes the CRLF
	if !compareRequestLinePaths(t, []byte(line), atLimit) {
		t.Errorf("a line of exactly MaxRequestLine bytes was not taken by the fast path")
	}
	if compareRequestLinePaths(t, []byte(line), atLimit-1) {
		t.Errorf("a line one byte over MaxRequestLine was taken by the fast path")
	}
	var p Parser
	p.limits = Limits{MaxRequestLine: atLimit - 1}.Normalized()
	p.ready = true
	if _, err := p.Parse([]byte(line), &Request{}); err != errURITooLong {
		t.Errorf("one byte over the limit: %v, want %v", err, errURITooLong)
	}
}

// compareRequestLinePaths runs the fast and the general request-line paths
// on in (with MaxRequestLine lineLimit, 0 for the default) and fails unless
// what the fast path accepts, the general one accepts with the same state.
// It reports whether the fast path took the line.
func compareRequestLinePaths(t *testing.T, in []byte, lineLimit int) bool {
	t.Helper()
	took := compareRequestLinePathsAt(t, in, lineLimit, 0)
	// The same line after the empty line the general path skips: the
	// fast path then starts at offset 2.
	if again := compareRequestLinePathsAt(t, append([]byte("\r\n"), in...), lineLimit, 2); again != took {
		t.Fatalf("%q: fast path took it at offset 0: %v, at offset 2: %v", in, took, again)
	}
	return took
}

// compareRequestLinePathsAt is compareRequestLinePaths for a line starting
// at offset pos of in.
func compareRequestLinePathsAt(t *testing.T, in []byte, lineLimit, pos int) bool {
	t.Helper()
	l := Limits{MaxRequestLine: lineLimit}.Normalized()
	fast := Parser{limits: l, ready: true}
	fast.pos, fast.scan = pos, pos
	general := fast
	start := fast.reqState
	took := fast.requestLineFast(in, fast.pos+l.MaxRequestLine+2)
	if !took {
		if fast.reqState != start {
			t.Fatalf("%q: the fast path declined but changed the parser: %+v", in, fast.reqState)
		}
		return false
	}
	if err := general.requestLineGeneral(in); err != nil {
		t.Fatalf("%q: the fast path took it, the general path says %v", in, err)
	}
	if got, want := methodNames[fast.methodID], methodString(in, general.method); got != want {
		t.Fatalf("%q: method %q, general path %q", in, got, want)
	}
	fast.methodID = methodOther
	if fast.reqState != general.reqState {
		t.Fatalf("%q: fast path state\n%+v\ngeneral path\n%+v", in, fast.reqState, general.reqState)
	}
	return true
}

// TestHugeLimitsAreCapped: limits meaning "none" (math.MaxInt) are taken as
// MaxLimitBytes, so no offset arithmetic overflows, on the fast path, the
// general one, header lines and trailers.
func TestHugeLimitsAreCapped(t *testing.T) {
	for _, n := range []int{math.MaxInt, math.MaxInt - 1, MaxLimitBytes + 1} {
		p := NewParser(Limits{MaxRequestLine: n, MaxHeaderBytes: n})
		if p.limits.MaxRequestLine != MaxLimitBytes || p.limits.MaxHeaderBytes != MaxLimitBytes {
			t.Fatalf("limits %d: normalized to %+v, want both %d", n, p.limits, MaxLimitBytes)
		}
		for _, in := range []string{
			smallGET,                                // the fast path
			"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", // the general path
			chunkedPOST,                             // trailers
		} {
			var req Request
			if got, err := p.Parse([]byte(in), &req); err != nil || got != len(in) {
				t.Fatalf("limits %d, %q: Parse = %d, %v; want %d, nil", n, in[:20], got, err, len(in))
			}
			for k := range len(in) {
				if _, err := p.Parse([]byte(in[:k]), &req); err != ErrIncomplete {
					t.Fatalf("limits %d, %q cut at %d: %v, want ErrIncomplete", n, in[:20], k, err)
				}
				p.Reset()
			}
		}
	}
}

// TestHostFirstFastPath checks the header fast path's shortcut for a Host
// field on the first line against the general path (one byte per call never
// completes a line in the fast path): same verdict, same request, for the
// name in any case, near-miss names, bad values, a second Host, and Host
// not first.
func TestHostFirstFastPath(t *testing.T) {
	for _, hdr := range []string{
		"Host: example.com\r\n\r\n",
		"host: example.com\r\n\r\n",
		"HOST: example.com\r\n\r\n",
		"hOsT:example.com:8080 \r\n\r\n",
		"Host: \r\n\r\n",
		"Host:\r\n\r\n",
		"Host: [::1]:80\r\nX: y\r\n\r\n",
		"Host: a b\r\n\r\n",
		"Host: user@example.com\r\n\r\n",
		"Host: a\r\nHost: a\r\n\r\n",
		"Host: a\r\nhost: b\r\n\r\n",
		"Host : a\r\n\r\n",
		"Hosts: a\r\nHost: b\r\n\r\n",
		"Hos: a\r\n\r\n",
		"Hoxt: a\r\n\r\n",
		"(ost: a\r\nHost: b\r\n\r\n",
		"Host\x00: a\r\n\r\n",
		"X: y\r\nHost: a\r\n\r\n",
		"Host: a\rb\r\n\r\n",
		"Host: a\n\r\n",
	} {
		for _, line := range []string{"GET / HTTP/1.1\r\n", "GET http://target.example/ HTTP/1.1\r\n", "GET / HTTP/1.0\r\n"} {
			in := line + hdr
			whole := parseWhole(in, Limits{})
			byByte := parseChunks(in, Limits{}, 1)
			if fmt.Sprint(whole) != fmt.Sprint(byByte) {
				t.Errorf("%q:\nwhole   %v\nby byte %v", in, whole, byByte)
			}
		}
	}
	if got := parseWhole("GET / HTTP/1.1\r\nhOsT: example.com\r\n\r\n", Limits{}); got.Status != 0 || got.Host != "example.com" {
		t.Errorf("Host in mixed case: %v", got)
	}
	if got := parseWhole("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", Limits{}); got.Status != 400 {
		t.Errorf("a second Host after the first: %v, want 400", got)
	}
	if got := parseWhole("GET / HTTP/1.1\r\nHost: a\r\n\r\n", Limits{MaxHeaderCount: 1}); got.Status != 0 {
		t.Errorf("Host alone at MaxHeaderCount 1: %v", got)
	}
}
