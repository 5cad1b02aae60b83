package protocol

import (
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// maxPipelined bounds how many pipelined requests the streaming comparisons
// parse from one input.
const maxPipelined = 16

// splitter returns the size of the next piece of input to deliver, given
// how many bytes are left (> 0).
type splitter func(left int) int

func wholeSplit(left int) int { return left }
func byteSplit(int) int       { return 1 }

// randomSplit delivers pieces of 1 to max bytes, reproducibly.
func randomSplit(seed uint64, max int) splitter {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	return func(left int) int { return min(left, 1+r.IntN(max)) }
}

// wholeAll parses every pipelined request of in with StreamBodies off, each
// from a buffer holding all the remaining input. Trailers are dropped from
// the results, as a streamed body discards them.
func wholeAll(in string, l Limits) []result {
	var res []result
	for len(in) > 0 && len(res) < maxPipelined {
		r := parseWhole(in, l)
		r.Trailers = nil
		res = append(res, r)
		if r.Status != 0 {
			break
		}
		in = in[r.N:]
	}
	return res
}

// streamAll plays a server with StreamBodies on: input arrives in pieces
// (split) into one buffer, requests are parsed with Parse and bodies read
// with ReadBody, copying each body out and dropping the consumed bytes
// (alternately in place and by moving to a new buffer). It checks the
// ReadBody contract on every call and returns results comparable with
// wholeAll's: N is the request's whole wire length, Body the concatenated
// decoded body.
func streamAll(t *testing.T, in string, l Limits, split splitter) []result {
	t.Helper()
	p := NewParser(l)
	p.StreamBodies(true)
	var buf []byte
	next, drops := 0, 0
	deliver := func() bool {
		if next == len(in) {
			return false
		}
		k := split(len(in) - next)
		buf = append(buf, in[next:next+k]...)
		next += k
		return true
	}
	drop := func(n int) {
		drops++
		if drops%2 == 0 {
			buf = append([]byte(nil), buf[n:]...) // a different buffer
		} else {
			buf = buf[:copy(buf, buf[n:])] // in place, as the server does
		}
	}
	var res []result
	for (next < len(in) || len(buf) > 0) && len(res) < maxPipelined {
		var r Request
		n, err := p.Parse(buf, &r)
		for err == ErrIncomplete {
			if !deliver() {
				return append(res, result{Status: -1})
			}
			n, err = p.Parse(buf, &r)
		}
		if err != nil {
			if p.InBody() {
				t.Fatalf("InBody after Parse error %v", err)
			}
			return append(res, result{Status: statusOf(err)})
		}
		got := snapshot(n, nil, &r)
		wantStream := r.Chunked() || r.ContentLength() > 0
		if r.BodyStreamed() != wantStream || p.InBody() != wantStream {
			t.Fatalf("BodyStreamed %v, InBody %v for %v", r.BodyStreamed(), p.InBody(), got)
		}
		if !r.BodyStreamed() {
			res = append(res, got)
			drop(n)
			continue
		}
		if r.Body() != nil || len(r.Trailers()) != 0 || !p.HeaderComplete() {
			t.Fatalf("streamed request has body %q, trailers %v, HeaderComplete %v", r.Body(), r.Trailers(), p.HeaderComplete())
		}
		drop(n)
		var body []byte
		total := n
		for {
			var before string
			if len(buf) <= 4096 {
				before = string(buf)
			}
			b, c, err := p.ReadBody(buf)
			if c < 0 || c > len(buf) || err != nil && err != io.EOF && (c != 0 || b != nil) {
				t.Fatalf("ReadBody(%d bytes) = %d bytes, consumed %d, %v", len(buf), len(b), c, err)
			}
			if len(b) > 0 {
				off := int(uintptr(unsafe.Pointer(&b[0])) - uintptr(unsafe.Pointer(&buf[0])))
				if off < 0 || off+len(b) > c || cap(b) != len(b) {
					t.Fatalf("body at %d+%d (cap %d) not within the %d consumed bytes", off, len(b), cap(b), c)
				}
			}
			// Unconsumed bytes are left alone (after an error the buffer
			// is dead and may have been partly rewritten, as with Parse).
			if (err == nil || err == io.EOF) && len(before) == len(buf) && string(buf[c:]) != before[c:] {
				t.Fatalf("ReadBody modified unconsumed bytes: %q -> %q", before[c:], buf[c:])
			}
			if err != nil && err != io.EOF {
				if p.InBody() {
					t.Fatal("InBody after ReadBody error")
				}
				return append(res, result{Status: statusOf(err)})
			}
			body = append(body, b...)
			total += c
			drop(c)
			if err == io.EOF {
				break
			}
			if !p.InBody() {
				t.Fatal("InBody false before io.EOF")
			}
			// Without new bytes there is nothing more to do.
			if b, c, err := p.ReadBody(buf); b != nil || c != 0 || err != nil {
				t.Fatalf("ReadBody again without new bytes: %q, %d, %v", b, c, err)
			}
			if !deliver() {
				return append(res, result{Status: -1})
			}
		}
		if p.InBody() || p.NeedsContinue() || p.HeaderComplete() {
			t.Fatal("parser not reset after io.EOF")
		}
		if b, c, err := p.ReadBody(buf); b != nil || c != 0 || err != io.EOF {
			t.Fatalf("ReadBody after io.EOF: %q, %d, %v", b, c, err)
		}
		got.N, got.Body, got.HasBody = total, string(body), len(body) > 0
		res = append(res, got)
	}
	return res
}

// checkStream compares streaming with every splitter against wholeAll.
func checkStream(t *testing.T, in string, l Limits, splits ...splitter) []result {
	t.Helper()
	want := wholeAll(in, l)
	for i, s := range splits {
		if got := streamAll(t, in, l, s); !reflect.DeepEqual(got, want) {
			t.Fatalf("splitter %d:\n got %v\nwant %v", i, bodies(got), bodies(want))
		}
	}
	return want
}

// bodies formats results with their full bodies (String truncates them).
func bodies(rs []result) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "\n  %v body=%q", r, r.Body)
	}
	return b.String()
}

func allSplits(in string) []splitter {
	s := []splitter{wholeSplit, randomSplit(1, 3), randomSplit(2, 17), randomSplit(3, 200)}
	if len(in) <= 20000 {
		s = append(s, byteSplit)
	}
	return s
}

const nextReq = "GET /next HTTP/1.1\r\nHost: a\r\n\r\n"

func TestStreamBodyTable(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 4096) // 64 KiB
	for _, c := range []struct {
		name, in, body string
	}{
		{"content-length", post + "Content-Length: 5\r\n\r\nhello", "hello"},
		{"content-length binary", post + "Content-Length: 256\r\n\r\n" + binaryBody, binaryBody},
		{"content-length 64K", post + "Content-Length: 65536\r\n\r\n" + big, big},
		{"HTTP/1.0 content-length", "PUT / HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc", "abc"},
		{"chunked", chunkedReq + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world"},
		{"chunked empty", chunkedReq + "0\r\n\r\n", ""},
		{"chunked extensions and trailers", chunkedReq + "3 ; a ; b = c;d=\"q \\\" \\\\ t\"\r\nabc\r\n0;last\r\nX-Sum: 42\r\nX-Other:  v \r\n\r\n", "abc"},
		{"chunked framing bytes in data", chunkedReq + chunk("\r\n0\r\n\r\n") + chunk("5\r\n") + "0\r\n\r\n", "\r\n0\r\n\r\n5\r\n"},
		{"chunked binary", chunkedReq + chunk(binaryBody[:100]) + chunk(binaryBody[100:101]) + chunk(binaryBody[101:]) + "0\r\n\r\n", binaryBody},
		{"chunked leading zeros", chunkedReq + "00A\r\n0123456789\r\n0000\r\n\r\n", "0123456789"},
		{"chunked 64K in small chunks", chunkedReq + func() string {
			var b strings.Builder
			for i := 0; i < len(big); i += 1000 {
				b.WriteString(chunk(big[i:min(i+1000, len(big))]))
			}
			return b.String()
		}() + "0\r\nT: v\r\n\r\n", big},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := c.in + nextReq
			for i, s := range append(allSplits(in), randomSplit(4, 1), randomSplit(5, 2), randomSplit(6, 5000)) {
				res := streamAll(t, in, Limits{}, s)
				if len(res) != 2 || res[0].Status != 0 || res[0].Body != c.body || res[0].N != len(c.in) {
					t.Fatalf("splitter %d: %s", i, bodies(res))
				}
				if res[1].Status != 0 || res[1].Path != "/next" || res[1].N != len(nextReq) {
					t.Fatalf("splitter %d: next request %v", i, res[1])
				}
			}
			checkStream(t, in, Limits{}, allSplits(in)...)
		})
	}
}

// streamCorpus is every table row plus bodies aimed at the streaming path;
// each with its limits.
func streamCorpus() (ins []string, limits []Limits) {
	add := func(in string, l Limits) { ins, limits = append(ins, in), append(limits, l) }
	for _, c := range validCases {
		add(c.in, Limits{})
		add(c.in+nextReq, Limits{})
		add(c.in, smallLimits)
	}
	for _, c := range rejectCases {
		add(c.in, c.limits)
		add(c.in, smallLimits)
	}
	for _, in := range []string{
		chunkedReq + "5\r\nhello\r\n" + "1;" + strings.Repeat("x", 4000) + "\r\nA\r\n0\r\n\r\n",
		chunkedReq + "5;" + strings.Repeat("x", 4094) + "\r\nhello\r\n0\r\n\r\n", // line at maxChunkLine
		chunkedReq + "5;" + strings.Repeat("x", 4095) + "\r\nhello\r\n0\r\n\r\n", // one over
		chunkedReq + strings.Repeat("1;"+strings.Repeat("x", 200)+"\r\nA\r\n", 30) + "0\r\n\r\n",
		chunkedReq + "5\r\nhello\r\n0\r\nX: " + strings.Repeat("v", 65000) + "\r\n\r\n",
		chunkedReq + "5\r\nhello\r\n0\r\nX: " + strings.Repeat("v", 65490) + "\r\n\r\n",
		chunkedReq + "5\r\nhello\r\n0\r\n" + strings.Repeat("X: 1\r\n", 98) + "\r\n",
		chunkedReq + "5\r\nhello\r\n0\r\n" + strings.Repeat("X: 1\r\n", 99) + "\r\n",
		chunkedReq + "5\r\nhello\r\n0\r\nX: 1\r\n\n",
		chunkedReq + "5\r\nhello\r\n0\r\nX: 1\r\nY",
		chunkedReq + "5\r\nhello\r\n0\r\n\rX",
		chunkedReq + "5\r\nhello\r\r\n0\r\n\r\n",
		chunkedReq + "5\r\nhello",
		chunkedReq + "5\r\nhello\r\n",
		chunkedReq + "5\r\nhello\r\n0\r\n",
		chunkedReq + "FFFFFFFFFFFFFFF\r\n",
		chunkedReq + "0000000000000000000000000000005\r\nhello\r\n0\r\n\r\n",
		post + "Content-Length: 5\r\n\r\nhel",
		post + "Content-Length: 5\r\nExpect: 100-continue\r\n\r\nhelloGET / HTTP/1.1\r\nHost: a\r\n\r\n",
		post + "Content-Length: 0\r\n\r\n" + nextReq,
		chunkedReq + "0\r\n\r\n" + chunkedReq + "3\r\nabc\r\n0\r\n\r\n" + post + "Content-Length: 2\r\n\r\nhi" + nextReq,
	} {
		add(in, Limits{})
		add(in, smallLimits)
	}
	add(chunkedReq+"5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n", Limits{MaxBodySize: 10})
	add(chunkedReq+"5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", Limits{MaxBodySize: 10})
	// FuzzStreamBody finding: data longer than its chunk after an in-place
	// move is rejected; the harness must not expect the dead buffer intact.
	add("0 / HTTP/1.1\r\nHost:\r\nTrAnsfer-EnCoding:Chunked\r\n\r\n5\r\n00000\r\n1\r\n0000000", Limits{})
	add(chunkedReq+"0\r\nA: 1\r\nB: 2\r\n\r\n", Limits{MaxHeaderCount: 3})
	add(chunkedReq+"0\r\nA: 1\r\n\r\n", Limits{MaxHeaderCount: 3})
	add(chunkedReq+"0\r\nA: 12\r\n\r\n", Limits{MaxHeaderBytes: 57}) // trailer section ends exactly at the budget
	add(chunkedReq+"0\r\nA: 123\r\n\r\n", Limits{MaxHeaderBytes: 57})
	return ins, limits
}

// TestStreamBodyDifferential checks that streaming reaches the same verdict,
// body, wire length and pipelined requests as buffering the whole request,
// for every table row and however the bytes arrive.
func TestStreamBodyDifferential(t *testing.T) {
	ins, limits := streamCorpus()
	statuses := map[int]int{}
	for i, in := range ins {
		res := checkStream(t, in, limits[i], allSplits(in)...)
		for _, r := range res {
			statuses[r.Status]++
		}
	}
	// The comparison covered successes, incomplete inputs and every status.
	for _, s := range []int{0, -1, 400, 413, 414, 417, 431, 501, 505} {
		if statuses[s] == 0 {
			t.Errorf("no result with status %d", s)
		}
	}
}

// TestStreamBodyRejectsLikeParse pins the exact *Error of every chunked
// rejection row: ReadBody must fail for the same reason Parse does.
func TestStreamBodyRejectsLikeParse(t *testing.T) {
	checked := 0
	for _, c := range rejectCases {
		var r Request
		_, want := NewParser(c.limits).Parse([]byte(c.in), &r)
		p := NewParser(c.limits)
		p.StreamBodies(true)
		buf := []byte(c.in)
		n, err := p.Parse(buf, &r)
		if err != nil {
			if err != want {
				t.Errorf("%s: Parse with streaming: %v, want %v", c.name, err, want)
			}
			continue
		}
		if !r.BodyStreamed() {
			t.Errorf("%s: accepted without a streamed body", c.name)
			continue
		}
		_, _, err = p.ReadBody(buf[n:])
		if err != want {
			t.Errorf("%s: ReadBody: %v, want %v", c.name, err, want)
		}
		checked++
	}
	if checked < 35 {
		t.Fatalf("only %d rows rejected by ReadBody", checked)
	}
}

func TestStreamBodyConsumed(t *testing.T) {
	for _, c := range []struct {
		name, wire, body string
		consumed         int
		eof              bool
	}{
		{"partial chunk-size line kept", "5\r\nhello\r\n1", "hello", 10, false},
		{"partial chunk-size line CR kept", "5\r\nhello\r\n1\r", "hello", 10, false},
		{"complete chunk-size line consumed", "5\r\nhello\r\n1\r\n", "hello", 13, false},
		{"partial chunk data consumed", "5\r\nhel", "hel", 6, false},
		{"lone CR after data kept", "5\r\nhello\r", "hello", 8, false},
		{"CRLF after data consumed", "5\r\nhello\r\n", "hello", 10, false},
		{"incomplete trailer section kept", "5\r\nhello\r\n0\r\nX: 1\r\n", "hello", 13, false},
		{"incomplete final CRLF kept", "5\r\nhello\r\n0\r\n\r", "hello", 13, false},
		{"complete body", "5\r\nhello\r\n0\r\nX: 1\r\n\r\nGET", "hello", 21, true},
		{"empty", "", "", 0, false},
	} {
		p := NewParser(Limits{})
		p.StreamBodies(true)
		var r Request
		if _, err := p.Parse([]byte(chunkedReq), &r); err != nil || !r.BodyStreamed() || r.ContentLength() != -1 || !r.Chunked() {
			t.Fatalf("%s: Parse: %v", c.name, err)
		}
		wire := []byte(c.wire)
		b, n, err := p.ReadBody(wire)
		if string(b) != c.body || n != c.consumed || (err == io.EOF) != c.eof || err != nil && err != io.EOF {
			t.Errorf("%s: got %q, %d, %v; want %q, %d, eof %v", c.name, b, n, err, c.body, c.consumed, c.eof)
		}
		if c.eof && string(wire[n:]) != "GET" {
			t.Errorf("%s: rest %q", c.name, wire[n:])
		}
	}

	// Content-Length: the body is the front of wire, the rest untouched.
	p := NewParser(Limits{})
	p.StreamBodies(true)
	var r Request
	head := post + "Content-Length: 5\r\n\r\n"
	n, err := p.Parse([]byte(head+"he"), &r)
	if err != nil || n != len(head) || !r.BodyStreamed() || r.ContentLength() != 5 || r.Chunked() || r.Body() != nil {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if b, c, err := p.ReadBody([]byte("he")); string(b) != "he" || c != 2 || err != nil {
		t.Fatalf("%q %d %v", b, c, err)
	}
	if b, c, err := p.ReadBody([]byte("lloGET")); string(b) != "llo" || c != 3 || err != io.EOF {
		t.Fatalf("%q %d %v", b, c, err)
	}
}

func TestStreamBodySetting(t *testing.T) {
	var p Parser
	p.StreamBodies(true)
	p.Reset() // the setting survives Reset
	var r Request
	// Bodiless requests are complete at once.
	for _, in := range []string{smallGET, post + "Content-Length: 0\r\n\r\n", "GET / HTTP/1.0\r\n\r\n"} {
		n, err := p.Parse([]byte(in), &r)
		if err != nil || n != len(in) || r.BodyStreamed() || p.InBody() {
			t.Fatalf("%q: n=%d err=%v streamed=%v", in, n, err, r.BodyStreamed())
		}
	}
	// Header-time checks still come first.
	for in, status := range map[string]int{
		post + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n": 400,
		post + "Content-Length: 10485761\r\n\r\n":                        413,
		post + "Expect: 200-ok\r\nContent-Length: 1\r\n\r\n":             417,
		post + "Transfer-Encoding: gzip, chunked\r\n\r\n":                501,
	} {
		if _, err := p.Parse([]byte(in), &r); statusOf(err) != status || p.InBody() {
			t.Fatalf("%q: %v, want %d", in, err, status)
		}
	}
	// Parse while a body is pending is refused (server bug).
	if _, err := p.Parse([]byte(chunkedReq), &r); err != nil || !p.InBody() {
		t.Fatal(err)
	}
	if _, err := p.Parse([]byte(smallGET), &r); statusOf(err) != 500 || p.InBody() {
		t.Fatalf("Parse in body: %v", err)
	}
	// ReadBody without a streamed body.
	if b, n, err := p.ReadBody([]byte("5\r\nhello\r\n")); b != nil || n != 0 || err != io.EOF {
		t.Fatalf("%q %d %v", b, n, err)
	}
	// Reset drops a pending body.
	if _, err := p.Parse([]byte(chunkedReq), &r); err != nil || !p.InBody() {
		t.Fatal(err)
	}
	p.Reset()
	if p.InBody() || p.HeaderComplete() {
		t.Fatal("Reset kept the body state")
	}
	// Off again: the whole request is buffered.
	p.StreamBodies(false)
	in := chunkedReq + "1\r\nx\r\n0\r\n\r\n"
	if n, err := p.Parse([]byte(in), &r); err != nil || n != len(in) || r.BodyStreamed() || string(r.Body()) != "x" {
		t.Fatalf("off: n=%d err=%v", n, err)
	}
	// Clone keeps the flag.
	p.StreamBodies(true)
	if _, err := p.Parse([]byte(chunkedReq), &r); err != nil || !r.Clone().BodyStreamed() {
		t.Fatal("clone lost BodyStreamed", err)
	}
}

func TestStreamBodyExpectContinue(t *testing.T) {
	for _, in := range []string{
		post + "Expect: 100-continue\r\nContent-Length: 5\r\n\r\n",
		chunkedReq[:len(chunkedReq)-2] + "Expect: 100-continue\r\n\r\n",
	} {
		p := NewParser(Limits{})
		p.StreamBodies(true)
		var r Request
		if _, err := p.Parse([]byte(in[:len(in)-1]), &r); err != ErrIncomplete || p.NeedsContinue() {
			t.Fatalf("before end of headers: %v %v", err, p.NeedsContinue())
		}
		n, err := p.Parse([]byte(in), &r)
		if err != nil || n != len(in) || !r.BodyStreamed() || !r.ExpectContinue() || !p.NeedsContinue() {
			t.Fatalf("streamed: n=%d err=%v needs=%v", n, err, p.NeedsContinue())
		}
		// Still needed until acknowledged, also after an empty read.
		if _, _, err := p.ReadBody(nil); err != nil || !p.NeedsContinue() {
			t.Fatalf("empty read: %v %v", err, p.NeedsContinue())
		}
		p.ContinueSent()
		if p.NeedsContinue() {
			t.Fatal("NeedsContinue after ContinueSent")
		}
		wire := "hello"
		if r.Chunked() {
			wire = "5\r\nhello\r\n0\r\n\r\n"
		}
		if b, c, err := p.ReadBody([]byte(wire)); string(b) != "hello" || c != len(wire) || err != io.EOF || p.NeedsContinue() {
			t.Fatalf("%q %d %v", b, c, err)
		}
	}
	// HTTP/1.0 ignores the expectation.
	p := NewParser(Limits{})
	p.StreamBodies(true)
	var r Request
	if _, err := p.Parse([]byte("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"), &r); err != nil || p.NeedsContinue() {
		t.Fatal(err, p.NeedsContinue())
	}
}

// TestStreamBodyLimitsAcrossCalls checks that the body-wide counters carry
// over between ReadBody calls: MaxBodySize on the decoded total and the
// CVE-2023-39326 allowance, with one chunk per call.
func TestStreamBodyLimitsAcrossCalls(t *testing.T) {
	run := func(l Limits, pieces ...string) error {
		p := NewParser(l)
		p.StreamBodies(true)
		var r Request
		if _, err := p.Parse([]byte(chunkedReq), &r); err != nil {
			t.Fatal(err)
		}
		for _, s := range pieces {
			_, c, err := p.ReadBody([]byte(s))
			if err != nil {
				return err
			}
			if c != len(s) {
				t.Fatalf("consumed %d of %q", c, s)
			}
		}
		return nil
	}
	if err := run(Limits{MaxBodySize: 10}, "5\r\nhello\r\n", "5\r\nworld\r\n", "1\r\n"); err != errBodyTooLarge {
		t.Fatalf("decoded total: %v", err)
	}
	ext := "1;" + strings.Repeat("x", 200) + "\r\nA\r\n"
	var pieces []string
	for range 100 {
		pieces = append(pieces, ext)
	}
	if err := run(Limits{}, pieces...); err != errChunkExtExcess {
		t.Fatalf("chunk-line allowance: %v", err)
	}
}

// TestStreamBodyByteByByteIsLinear guards against rescanning across
// ReadBody calls: long chunk-size lines and trailer sections fed one byte
// per call must not take quadratic time.
func TestStreamBodyByteByByteIsLinear(t *testing.T) {
	// Large header limits let the trailer section reach a megabyte, which
	// is hopeless to rescan on every call.
	big := Limits{MaxHeaderBytes: 2 << 20, MaxHeaderCount: 100000}
	for _, c := range []struct {
		in string
		l  Limits
	}{
		{chunkedReq + "5;" + strings.Repeat("x", 4000) + "\r\nhello\r\n0\r\nX: " + strings.Repeat("v", 60000) + "\r\n\r\n", Limits{}},
		{chunkedReq + "0\r\n" + strings.Repeat("X-Trailer-Field: value\r\n", 98) + "\r\n", Limits{}},
		{chunkedReq + "5\r\nhello\r\n0\r\nX: " + strings.Repeat("v", 1<<20) + "\r\n\r\n", big},
		{chunkedReq + "0\r\n" + strings.Repeat("X-Trailer-Field: value\r\n", 40000) + "\r\n", big},
		{chunkedReq + "F4240\r\n" + strings.Repeat("b", 1000000) + "\r\n0\r\n\r\n", Limits{}},
		{post + "Content-Length: 1000000\r\n\r\n" + strings.Repeat("b", 1000000), Limits{}},
	} {
		in := c.in
		start := time.Now()
		p := NewParser(c.l)
		p.StreamBodies(true)
		var r Request
		n, err := p.Parse([]byte(in), &r)
		if err != nil {
			t.Fatal(err)
		}
		var wire []byte
		total := n
		for i := n; i < len(in); i++ {
			wire = append(wire, in[i])
			_, c, err := p.ReadBody(wire)
			total += c
			wire = wire[c:] // drop without copying: linear overall
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if total != len(in) || p.InBody() {
			t.Fatalf("consumed %d of %d", total, len(in))
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%d bytes one per call took %v", len(in), d)
		}
	}
}

func TestStreamBodyZeroAllocs(t *testing.T) {
	src := []byte(chunkedPOST + post4K)
	buf := make([]byte, len(src))
	var p Parser
	p.StreamBodies(true)
	var r Request
	run := func() {
		copy(buf, src)
		wire := buf
		for range 2 {
			n, err := p.Parse(wire, &r)
			if err != nil || !r.BodyStreamed() {
				t.Fatal(err)
			}
			wire = wire[n:]
			// Deliver in 100-byte steps: partial lines, data and trailers.
			for end := min(100, len(wire)); ; end = min(end+100, len(wire)) {
				_, c, err := p.ReadBody(wire[:end])
				wire, end = wire[c:], end-c
				if err == io.EOF {
					break
				}
				if err != nil || end == len(wire) {
					t.Fatal("body not complete", err)
				}
			}
		}
		if len(wire) != 0 {
			t.Fatalf("%d bytes left", len(wire))
		}
	}
	run() // warm up the field slices
	if a := testing.AllocsPerRun(100, run); a != 0 {
		t.Fatalf("%v allocations per run", a)
	}
}

func benchReadBody(b *testing.B, in string, step int) {
	src := []byte(in)
	buf := make([]byte, len(src))
	var p Parser
	p.StreamBodies(true)
	var r Request
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		copy(buf, src) // chunked decoding rewrote the buffer
		n, err := p.Parse(buf, &r)
		if err != nil || !r.BodyStreamed() {
			b.Fatal(err)
		}
		wire := buf[n:]
		for end := min(step, len(wire)); ; end = min(end+step, len(wire)) {
			_, c, err := p.ReadBody(wire[:end])
			wire, end = wire[c:], end-c
			if err == io.EOF {
				break
			}
			if err != nil || end == len(wire) {
				b.Fatal("body not complete", err)
			}
		}
	}
}

func BenchmarkReadBodyPOST4K(b *testing.B)          { benchReadBody(b, post4K, 1<<20) }
func BenchmarkReadBodyChunkedPOST(b *testing.B)     { benchReadBody(b, chunkedPOST, 1<<20) }
func BenchmarkReadBodyChunkedPOST512(b *testing.B)  { benchReadBody(b, chunkedPOST, 512) }
func BenchmarkReadBodyChunkedPOSTByte(b *testing.B) { benchReadBody(b, chunkedPOST, 1) }

// A body in 1-byte chunks is six times its size on the wire; a buffer that
// is compacted after every incomplete Parse holds the header, the decoded
// body and less than one chunk of framing, and the request and the one
// pipelined after it parse as they do without compaction.
func TestCompactDropsSpentFraming(t *testing.T) {
	const size = 2000
	var in strings.Builder
	in.WriteString(chunkedReq)
	for i := range size {
		fmt.Fprintf(&in, "1\r\n%c\r\n", 'a'+i%26)
	}
	in.WriteString("0\r\nTrailer-One: x\r\n\r\n")
	next := "GET /next HTTP/1.1\r\nHost: a\r\n\r\n"
	in.WriteString(next)
	whole := parseWhole(in.String(), Limits{})
	if whole.Status != 0 || len(whole.Body) != size {
		t.Fatalf("whole: %v", whole)
	}
	for _, step := range []int{1, 7, 64, 4096} {
		got, rest, peak := parseCompacting(in.String(), Limits{}, step)
		if fmt.Sprint(got) != fmt.Sprint(whole) || got.Body != whole.Body {
			t.Fatalf("step %d: got %v, want %v", step, got, whole)
		}
		if rest != next {
			t.Fatalf("step %d: %q follows the request, want %q", step, rest, next)
		}
		if most := len(chunkedReq) + size + step + 64; peak > most {
			t.Fatalf("step %d: the buffer reached %d bytes for a %d-byte body, want at most %d", step, peak, size, most)
		}
	}
}

func TestCompactOutsideChunkedBodyChangesNothing(t *testing.T) {
	for _, in := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\n",                               // headers pending
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc", // fixed-length body
		chunkedReq + "3\r\nabc\r\n0\r\nT: v\r\n",                      // trailers pending
	} {
		p := NewParser(Limits{})
		var r Request
		buf := []byte(in)
		if _, err := p.Parse(buf, &r); err != ErrIncomplete {
			t.Fatalf("%q: %v, want ErrIncomplete", in, err)
		}
		if got := p.Compact(buf); string(got) != in || string(buf) != in {
			t.Fatalf("%q: Compact returned %q and left %q", in, got, buf)
		}
	}
}

// Compact after every prefix of a request with a chunked body (extensions,
// chunks of several sizes, a trailer, a request pipelined after it), with
// up to 3 bytes appended unparsed before the call: the rest then parses to
// the same request and the same following bytes.
func TestCompactAtEveryPrefix(t *testing.T) {
	in := chunkedReq + "3;a=\"b\"\r\nabc\r\n" + strings.Repeat("1;x\r\nq\r\n", 5) + "A\r\n0123456789\r\n0\r\nT: v\r\n\r\n" + "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
	whole := parseWhole(in, Limits{})
	if whole.Status != 0 {
		t.Fatalf("whole: %v", whole)
	}
	for k := 0; k <= len(in); k++ {
		for extra := 0; extra <= 3 && k+extra <= len(in); extra++ {
			p := NewParser(Limits{})
			var r Request
			buf := []byte(in[:k])
			if _, err := p.Parse(buf, &r); err != ErrIncomplete {
				continue
			}
			buf = append(buf, in[k:k+extra]...)
			compacted := p.Compact(buf)
			removed := len(buf) - len(compacted)
			buf = append(compacted, in[k+extra:]...)
			n, err := p.Parse(buf, &r)
			got := snapshot(n, err, &r)
			if err == nil {
				got.N += removed
			}
			if fmt.Sprint(got) != fmt.Sprint(whole) || got.Body != whole.Body {
				t.Fatalf("compacted after %d bytes (+%d unparsed):\n got %v\nwant %v", k, extra, got, whole)
			}
			if string(buf[n:]) != in[whole.N:] {
				t.Fatalf("compacted after %d bytes (+%d unparsed): %q follows, want %q", k, extra, buf[n:], in[whole.N:])
			}
		}
	}
}
