package loadgen

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// responses parses all of stream, fed in pieces of at most step bytes with
// the caller's carry-over of incomplete lines, and returns the completed
// responses' status codes and close flags.
func responses(t *testing.T, p *Parser, stream string, step int, eof bool) (codes []int, closes []bool, err error) {
	t.Helper()
	var buf []byte
	for off := 0; off < len(stream) || len(buf) > 0; {
		end := min(off+step, len(stream))
		buf = append(buf, stream[off:end]...)
		off = end
		for len(buf) > 0 {
			n, done, perr := p.Parse(buf)
			buf = buf[n:]
			if perr != nil {
				return codes, closes, perr
			}
			if done {
				codes = append(codes, p.Status())
				closes = append(closes, p.Close())
				continue
			}
			if n == 0 {
				break
			}
		}
		if off == len(stream) {
			if len(buf) > 0 {
				t.Fatalf("step %d: %d bytes left unparsed: %q", step, len(buf), buf)
			}
			break
		}
	}
	if eof && p.EOF() {
		codes = append(codes, p.Status())
		closes = append(closes, p.Close())
	}
	return codes, closes, nil
}

func TestParserFraming(t *testing.T) {
	hello := "HTTP/1.1 200 OK\r\nDate: Tue, 24 Nov 2026 11:40:32 GMT\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nHello"
	tests := []struct {
		name   string
		head   bool
		stream string
		eof    bool
		codes  []int
		closes []bool
	}{
		{"content-length", false, hello, false, []int{200}, []bool{false}},
		{"pipelined content-length", false, hello + hello + hello, false, []int{200, 200, 200}, []bool{false, false, false}},
		{"empty body", false, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", false, []int{404}, []bool{false}},
		{"bare LF line endings", false, "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", false, []int{200}, []bool{false}},
		{"header names any case", false, "HTTP/1.1 200 OK\r\ncOnTeNt-LeNgTh:   3  \r\n\r\nabc", false, []int{200}, []bool{false}},
		{"chunked", false, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n", false, []int{200}, []bool{false}},
		{"chunked with trailers then pipelined", false,
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n" + hello,
			false, []int{200, 200}, []bool{false, false}},
		{"chunked wins over content-length", false, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", false, []int{200}, []bool{false}},
		{"no body for 204 and 304", false, "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false, []int{204, 304}, []bool{false, false}},
		{"HEAD ignores content-length", true, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false, []int{200, 200}, []bool{false, false}},
		{"interim 100 is skipped", false, "HTTP/1.1 100 Continue\r\n\r\n" + hello, false, []int{200}, []bool{false}},
		{"connection close", false, "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false, []int{503}, []bool{true}},
		{"HTTP/1.0 closes", false, "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", false, []int{200}, []bool{true}},
		{"HTTP/1.0 keep-alive", false, "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx", false, []int{200}, []bool{false}},
		{"body until close", false, "HTTP/1.1 200 OK\r\n\r\nsome bytes until the end", true, []int{200}, []bool{true}},
		{"status without reason", false, "HTTP/1.1 500\r\nContent-Length: 0\r\n\r\n", false, []int{500}, []bool{false}},
	}
	for _, tt := range tests {
		for _, step := range []int{1, 2, 3, 7, 16, len(tt.stream)} {
			p := &Parser{Head: tt.head}
			codes, closes, err := responses(t, p, tt.stream, step, tt.eof)
			if err != nil {
				t.Fatalf("%s (step %d): %v", tt.name, step, err)
			}
			if !slices.Equal(codes, tt.codes) || !slices.Equal(closes, tt.closes) {
				t.Errorf("%s (step %d): codes %v closes %v, want %v %v", tt.name, step, codes, closes, tt.codes, tt.closes)
			}
			if p.Pending() {
				t.Errorf("%s (step %d): parser still within a response", tt.name, step)
			}
		}
	}
}

func TestParserErrors(t *testing.T) {
	tests := []struct{ name, stream string }{
		{"not HTTP", "SSH-2.0-OpenSSH\r\n"},
		{"HTTP/2 preface answer", "HTTP/2 200\r\n\r\n"},
		{"letters in status", "HTTP/1.1 2x0 OK\r\n\r\n"},
		{"status below 100", "HTTP/1.1 099 Low\r\n\r\n"},
		{"no colon in header", "HTTP/1.1 200 OK\r\nBroken header\r\n\r\n"},
		{"negative length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"},
		{"conflicting lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"},
		{"huge length", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n"},
		{"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"},
		{"chunk longer than its size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n"},
		{"line too long", "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", MaxLine+10)},
	}
	for _, tt := range tests {
		p := &Parser{}
		_, _, err := responses(t, p, tt.stream, len(tt.stream), false)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err %v, want ErrMalformed", tt.name, err)
		}
	}
}

func TestParserAllocatesNothing(t *testing.T) {
	stream := []byte(strings.Repeat("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nHello", 8) +
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHello\r\n0\r\n\r\n")
	var p Parser
	allocs := testing.AllocsPerRun(100, func() {
		for b := stream; len(b) > 0; {
			n, _, err := p.Parse(b)
			if err != nil || n == 0 {
				t.Fatalf("parse: n=%d err=%v", n, err)
			}
			b = b[n:]
		}
	})
	if allocs != 0 {
		t.Errorf("Parse allocated %.1f times per stream; want 0", allocs)
	}
}

func BenchmarkParserPipelined(b *testing.B) {
	one := "HTTP/1.1 200 OK\r\nDate: Tue, 24 Nov 2026 11:40:32 GMT\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nHello"
	stream := []byte(strings.Repeat(one, 16))
	var p Parser
	b.ReportAllocs()
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		for buf := stream; len(buf) > 0; {
			n, _, _ := p.Parse(buf)
			buf = buf[n:]
		}
	}
}
