package protocol

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const smallGET = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"

// browserGET is a ~400-byte request with 10 fields, as a browser sends it.
const browserGET = "GET /static/app/main.js?v=1.4.2 HTTP/1.1\r\n" +
	"Host: www.example.com\r\n" +
	"Connection: keep-alive\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r\n" +
	"Accept: */*\r\n" +
	"Sec-Fetch-Site: same-origin\r\n" +
	"Sec-Fetch-Mode: no-cors\r\n" +
	"Referer: https://www.example.com/index.html\r\n" +
	"Accept-Encoding: gzip, deflate, br\r\n" +
	"Accept-Language: en-US,en;q=0.9\r\n" +
	"Cookie: session=4f2a9c1e7b; theme=dark\r\n" +
	"\r\n"

var postBody = strings.Repeat("0123456789abcdef", 256) // 4 KiB

var post4K = "POST /upload HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/octet-stream\r\nContent-Length: 4096\r\n\r\n" + postBody

// chunkedPOST carries the same 4 KiB in four chunks plus a trailer.
var chunkedPOST = "POST /upload HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n" +
	"400\r\n" + postBody[:1024] + "\r\n" +
	"400\r\n" + postBody[1024:2048] + "\r\n" +
	"400\r\n" + postBody[2048:3072] + "\r\n" +
	"400\r\n" + postBody[3072:] + "\r\n" +
	"0\r\nX-Checksum: 1234\r\n\r\n"

func benchParse(b *testing.B, in string, inPlace bool) {
	src := []byte(in)
	buf := make([]byte, len(src))
	copy(buf, src)
	var p Parser
	var r Request
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if inPlace {
			copy(buf, src) // chunked decoding rewrote the buffer
		}
		n, err := p.Parse(buf, &r)
		if err != nil || n != len(buf) {
			b.Fatal(n, err)
		}
	}
}

// benchNetHTTP is the same-run baseline: http.ReadRequest over a
// bufio.Reader over a bytes.Reader, reading the whole body.
func benchNetHTTP(b *testing.B, in string) {
	src := []byte(in)
	rd := bytes.NewReader(src)
	br := bufio.NewReader(rd)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(src)
		br.Reset(rd)
		req, err := http.ReadRequest(br)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSmallGET(b *testing.B)      { benchParse(b, smallGET, false) }
func BenchmarkNetHTTPSmallGET(b *testing.B)    { benchNetHTTP(b, smallGET) }
func BenchmarkParseBrowserGET(b *testing.B)    { benchParse(b, browserGET, false) }
func BenchmarkNetHTTPBrowserGET(b *testing.B)  { benchNetHTTP(b, browserGET) }
func BenchmarkParsePOST4K(b *testing.B)        { benchParse(b, post4K, false) }
func BenchmarkNetHTTPPOST4K(b *testing.B)      { benchNetHTTP(b, post4K) }
func BenchmarkParseChunkedPOST(b *testing.B)   { benchParse(b, chunkedPOST, true) }
func BenchmarkNetHTTPChunkedPOST(b *testing.B) { benchNetHTTP(b, chunkedPOST) }

// BenchmarkParseBrowserGETByteByByte measures the incremental path: the
// request arrives one byte per Parse call.
func BenchmarkParseBrowserGETByteByByte(b *testing.B) {
	src := []byte(browserGET)
	var p Parser
	var r Request
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		for i := 1; i <= len(src); i++ {
			n, err := p.Parse(src[:i], &r)
			if err == ErrIncomplete {
				continue
			}
			if err != nil || n != len(src) {
				b.Fatal(n, err)
			}
		}
	}
}

func BenchmarkBuildHello(b *testing.B) {
	b.Run("Build", func(b *testing.B) {
		benchBuildHello(b, func(w *Response, dst []byte) ([]byte, error) { return w.Build(dst) })
	})
	// BuildAt is the server's path: the clock is read once per batch.
	now := time.Now().Unix()
	b.Run("BuildAt", func(b *testing.B) {
		benchBuildHello(b, func(w *Response, dst []byte) ([]byte, error) { return w.BuildAt(dst, now) })
	})
}

func benchBuildHello(b *testing.B, build func(*Response, []byte) ([]byte, error)) {
	var p Parser
	var r Request
	if _, err := p.Parse([]byte(smallGET), &r); err != nil {
		b.Fatal(err)
	}
	var w Response
	dst := make([]byte, 0, 512)
	body := []byte("Hello, World!")
	b.ReportAllocs()
	for b.Loop() {
		w.Reset(&r)
		w.Status(200).ContentType("text/plain; charset=utf-8").Body(body)
		var err error
		if dst, err = build(&w, dst[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendDate(b *testing.B) {
	dst := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendDate(dst[:0])
	}
}
