package protocol

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// fuzzSeeds are the inputs every fuzz target starts from: the table rows
// and benchmark requests up to 1 KiB (the long ones only repeat a byte; the
// unit tests cover them, and short seeds keep minimization fast).
func fuzzSeeds() []string {
	var seeds []string
	for _, c := range validCases {
		seeds = append(seeds, c.in)
	}
	for _, c := range rejectCases {
		seeds = append(seeds, c.in)
	}
	seeds = append(seeds, smallGET, browserGET, post4K[:400], chunkedPOST[:300]+"\r\n0\r\n\r\n")
	return slices.DeleteFunc(seeds, func(s string) bool { return len(s) > 1024 })
}

// maxFuzzInput bounds fuzz inputs: longer ones reach no new code and make
// the byte-by-byte comparisons (and minimization) slow.
const maxFuzzInput = 4 << 10

// smallLimits make the fuzzer reach every limit with short inputs.
var smallLimits = Limits{MaxRequestLine: 40, MaxHeaderBytes: 120, MaxHeaderCount: 5, MaxBodySize: 100}

// checkInvariants verifies what must hold for any accepted request.
func checkInvariants(t *testing.T, in string, got result, l Limits) {
	t.Helper()
	l = l.Normalized()
	if got.Status == 0 {
		if got.N <= 0 || got.N > len(in) {
			t.Fatalf("n = %d for %d input bytes", got.N, len(in))
		}
		if !isToken([]byte(got.Method)) || got.Target == "" || strings.ContainsAny(got.Target, " \t\r\n\x00") {
			t.Fatalf("bad request line in %v", got)
		}
		if got.Proto != "HTTP/1.1" && got.Proto != "HTTP/1.0" {
			t.Fatalf("proto %q", got.Proto)
		}
		if len(got.Headers)+len(got.Trailers) > l.MaxHeaderCount {
			t.Fatalf("%d fields over the limit", len(got.Headers)+len(got.Trailers))
		}
		for _, h := range append(slices.Clone(got.Headers), got.Trailers...) {
			if !isToken([]byte(h.Name)) || !validValue(h.Value) || strings.TrimLeft(h.Value, " \t") != h.Value || strings.TrimRight(h.Value, " \t") != h.Value {
				t.Fatalf("bad field %q: %q", h.Name, h.Value)
			}
		}
		if int64(len(got.Body)) > l.MaxBodySize {
			t.Fatalf("body of %d bytes over the limit", len(got.Body))
		}
		if got.Chunked && got.ContentLength != -1 || !got.Chunked && got.ContentLength >= 0 && int64(len(got.Body)) != got.ContentLength {
			t.Fatalf("body %d bytes, Content-Length %d, chunked %v", len(got.Body), got.ContentLength, got.Chunked)
		}
		if got.Minor == 1 && got.Host == "" && !strings.Contains(strings.ToLower(in[:got.N]), "\nhost:") {
			t.Fatal("HTTP/1.1 request without Host accepted")
		}
		return
	}
	switch got.Status {
	case -1, 400, 413, 414, 417, 431, 501, 505:
	default:
		t.Fatalf("unexpected status %d", got.Status)
	}
}

// checkIncremental compares the whole-buffer result with feeding the same
// bytes split at k and in steps of step bytes.
func checkIncremental(t *testing.T, in string, l Limits, k, step int) result {
	t.Helper()
	whole := parseWhole(in, l)
	checkInvariants(t, in, whole, l)
	if got := parseSplit(in, l, k%(len(in)+1)); fmt.Sprint(got) != fmt.Sprint(whole) {
		t.Fatalf("split at %d:\n got %v\nwant %v", k%(len(in)+1), got, whole)
	}
	if got := parseChunks(in, l, step); fmt.Sprint(got) != fmt.Sprint(whole) {
		t.Fatalf("%d bytes per call:\n got %v\nwant %v", step, got, whole)
	}
	got, rest, _ := parseCompacting(in, l, step)
	if fmt.Sprint(got) != fmt.Sprint(whole) || got.Body != whole.Body {
		t.Fatalf("%d bytes per call, compacting:\n got %v\nwant %v", step, got, whole)
	}
	if whole.Status == 0 && rest != in[whole.N:] {
		t.Fatalf("%d bytes per call, compacting: %q follows the request, want %q", step, rest, in[whole.N:])
	}
	return whole
}

func FuzzParse(f *testing.F) {
	for i, s := range fuzzSeeds() {
		f.Add([]byte(s), uint16(i*7), uint8(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint16, step uint8) {
		if len(data) > maxFuzzInput {
			return
		}
		in := string(data)
		st := int(step%16) + 1
		whole := checkIncremental(t, in, Limits{}, int(split), st)
		checkIncremental(t, in, smallLimits, int(split), st)
		// Pipelining: the rest of the buffer parses the same way on its own.
		if whole.Status == 0 && whole.N < len(in) {
			checkIncremental(t, in[whole.N:], Limits{}, int(split), st)
		}
	})
}

// FuzzChunked fuzzes the chunked body decoder and compares accepted bodies
// with net/http's chunked reader.
func FuzzChunked(f *testing.F) {
	for _, s := range fuzzSeeds() {
		if i := strings.Index(s, "chunked\r\n\r\n"); i >= 0 {
			f.Add([]byte(s[i+len("chunked\r\n\r\n"):]), uint16(len(s)))
		}
	}
	f.Add([]byte("3;a=\"b\\\"c\";d\r\nabc\r\n0\r\nT: v\r\n\r\n"), uint16(5))
	f.Add([]byte("1\r\n\x00\r\n0000\r\n\r\n"), uint16(3))
	f.Fuzz(func(t *testing.T, body []byte, split uint16) {
		if len(body) > maxFuzzInput {
			return
		}
		in := chunkedReq + string(body)
		got := checkIncremental(t, in, Limits{}, int(split), int(split%7)+1)
		checkIncremental(t, in, smallLimits, int(split), int(split%5)+1)
		if got.Status != 0 {
			return
		}
		want, err := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(body)))
		if err != nil {
			return // net/http is stricter here; fine
		}
		if string(want) != got.Body {
			t.Fatalf("body %q, net/http decodes %q", got.Body, want)
		}
	})
}

// decodedTargetHost reports whether net/http's host is ours with its
// percent-encodings decoded: net/http decodes those of an absolute-form
// target's host (%80-%FF only; it refuses the others), while Request.Host
// is the authority as sent, wherever it came from.
func decodedTargetHost(ours, netHTTP string) bool {
	if !strings.Contains(ours, "%") {
		return false
	}
	decoded, err := url.PathUnescape(ours)
	return err == nil && decoded == netHTTP
}

// FuzzDifferential compares the parser with net/http's http.ReadRequest on
// inputs both accept: method, target, version, host, fields, body, and where
// the request ends (a disagreement there would be a smuggling vector).
func FuzzDifferential(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { differential(t, string(data)) })
}

// differential runs the comparison for FuzzDifferential and reports whether
// both parsers accepted in (and so were compared).
func differential(t *testing.T, in string) bool {
	t.Helper()
	got := parseWhole(in, Limits{})
	if got.Status != 0 {
		return false
	}
	skip := 0
	if strings.HasPrefix(in, "\r\n") {
		skip = 2 // net/http does not skip the leading empty line
	}
	rd := strings.NewReader(in[skip:])
	br := bufio.NewReader(rd)
	req, err := http.ReadRequest(br)
	if err != nil {
		return false
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return false
	}
	if consumed := len(in) - rd.Len() - br.Buffered(); consumed != got.N {
		t.Fatalf("request ends at %d, net/http read %d bytes", got.N, consumed)
	}
	if req.Method != got.Method || req.RequestURI != got.Target || req.ProtoMinor != got.Minor || req.ProtoMajor != 1 {
		t.Fatalf("request line %q %q %d, net/http %q %q %d", got.Method, got.Target, got.Minor, req.Method, req.RequestURI, req.ProtoMinor)
	}
	if req.Host != got.Host && !decodedTargetHost(got.Host, req.Host) {
		t.Fatalf("host %q, net/http %q", got.Host, req.Host)
	}
	if string(body) != got.Body {
		t.Fatalf("body %q, net/http %q", got.Body, body)
	}
	switch {
	case got.Chunked:
		if !slices.Equal(req.TransferEncoding, []string{"chunked"}) {
			t.Fatalf("chunked, net/http %q", req.TransferEncoding)
		}
	case got.ContentLength >= 0:
		if req.ContentLength != got.ContentLength {
			t.Fatalf("Content-Length %d, net/http %d", got.ContentLength, req.ContentLength)
		}
	default:
		if req.ContentLength != 0 {
			t.Fatalf("no body, net/http Content-Length %d", req.ContentLength)
		}
	}
	if req.Close == got.KeepAlive {
		t.Fatalf("keep-alive %v, net/http close %v", got.KeepAlive, req.Close)
	}

	ours := http.Header{}
	for _, h := range got.Headers {
		ours.Add(http.CanonicalHeaderKey(h.Name), h.Value)
	}
	// Fields net/http consumes or rewrites.
	for _, k := range []string{"Host", "Content-Length", "Transfer-Encoding"} {
		ours.Del(k)
		req.Header.Del(k)
	}
	if ours.Get("Cache-Control") == "" {
		ours.Del("Cache-Control")
		req.Header.Del("Cache-Control") // added by net/http for "Pragma: no-cache"
	}
	if fmt.Sprint(ours) != fmt.Sprint(req.Header) {
		t.Fatalf("fields\n %v\nnet/http\n %v", ours, req.Header)
	}
	trailers := http.Header{}
	for _, h := range got.Trailers {
		trailers.Add(http.CanonicalHeaderKey(h.Name), h.Value)
	}
	for k, v := range req.Trailer {
		if len(v) > 0 && !slices.Equal(v, trailers[k]) {
			t.Fatalf("trailer %q: %q, net/http %q", k, trailers[k], v)
		}
	}
	for k := range trailers {
		if len(req.Trailer[k]) == 0 {
			t.Fatalf("trailer %q not seen by net/http", k)
		}
	}
	return true
}

// TestDifferentialValid runs the differential comparison on every valid
// table row, so the comparison itself is known to work.
func TestDifferentialValid(t *testing.T) {
	compared := 0
	for _, c := range validCases {
		if differential(t, c.in) {
			compared++
		} else {
			t.Logf("net/http rejects %q", c.name)
		}
	}
	if compared < len(validCases)*3/4 {
		t.Fatalf("only %d of %d valid requests compared", compared, len(validCases))
	}
}

// FuzzBuild checks that Build never panics, leaves dst alone on error, and
// that whatever it accepts is one well-formed response that net/http reads
// back with the same status, fields and body: no field can split it.
func FuzzBuild(f *testing.F) {
	f.Add(200, "X-A", "b", "text/plain", []byte("hello"), false, false)
	f.Add(204, "Location", "/a\r\nSet-Cookie: x", "", []byte{}, true, false)
	f.Add(304, "ETag", "\"x\"", "a/b", []byte("x"), false, true)
	f.Add(103, "Link", "</a>", "", []byte(nil), false, false)
	f.Add(999, "X\x00", "\x80\xff", "t\tt", []byte("\r\n\r\n"), true, true)
	f.Fuzz(func(t *testing.T, status int, name, value, ctype string, body []byte, head, closeConn bool) {
		var r *Request
		if head {
			r = parsed(t, "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")
		}
		var w Response
		w.Reset(r)
		w.Status(status).Header(name, value).ContentType(ctype).Body(body)
		if closeConn {
			w.Close()
		}
		out, err := w.Build([]byte("x"))
		if err != nil {
			if string(out) != "x" || w.KeepAlive() {
				t.Fatalf("failed Build changed dst or kept alive: %q", out)
			}
			return
		}
		out = out[1:]
		if status < 200 {
			// net/http's ReadResponse treats 1xx as interim; check the
			// framing by hand: one header section and nothing after it.
			if i := bytes.Index(out, []byte("\r\n\r\n")); i != len(out)-4 {
				t.Fatalf("1xx response not a single header section: %q", out)
			}
			return
		}
		var req *http.Request
		if head {
			req = &http.Request{Method: "HEAD"}
		}
		br := bufio.NewReader(bytes.NewReader(out))
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			t.Fatalf("net/http cannot read %q: %v", out, err)
		}
		got, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("body of %q: %v", out, err)
		}
		if br.Buffered() != 0 {
			t.Fatalf("%d bytes after the response in %q", br.Buffered(), out)
		}
		if resp.StatusCode != status {
			t.Fatalf("status %d, want %d", resp.StatusCode, status)
		}
		wantBody := string(body)
		if head || status == 204 || status == 304 {
			wantBody = ""
		}
		if string(got) != wantBody {
			t.Fatalf("body %q, want %q", got, wantBody)
		}
		if w.KeepAlive() == resp.Close {
			t.Fatalf("KeepAlive %v but net/http sees close %v in %q", w.KeepAlive(), resp.Close, out)
		}
	})
}

// FuzzStreamBody compares streaming bodies (Parse with StreamBodies on, then
// ReadBody to the end, bytes arriving in pieces of arbitrary sizes and
// consumed bytes dropped between calls) with buffering whole requests: same
// verdicts and statuses, bodies, wire lengths and pipelined requests.
func FuzzStreamBody(f *testing.F) {
	ins, _ := streamCorpus()
	for i, s := range ins {
		if len(s) <= 1024 {
			f.Add([]byte(s), uint64(i), uint8(i*13))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, seed uint64, maxPiece uint8) {
		if len(data) > maxFuzzInput {
			return
		}
		in := string(data)
		split := randomSplit(seed, int(maxPiece)+1)
		checkStream(t, in, Limits{}, wholeSplit, split)
		checkStream(t, in, smallLimits, split)
	})
}

// FuzzRequestLineFast checks the request-line fast path against the general
// path: whatever the fast path accepts, the general one accepts with the
// same parser state, and what it declines it leaves untouched.
func FuzzRequestLineFast(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s), uint16(0))
	}
	for _, c := range fastLineCases {
		f.Add([]byte(c.in), uint16(len(c.in)))
	}
	f.Fuzz(func(t *testing.T, data []byte, lineLimit uint16) {
		if len(data) > maxFuzzInput {
			return
		}
		compareRequestLinePaths(t, data, int(lineLimit))
	})
}
