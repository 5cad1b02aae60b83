// Package hello is what the peer servers share: the listen address, the
// response bytes with a Date header refreshed every second, and, for the
// servers that see raw bytes (gnet, netpoll), a minimal request framer.
package hello

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"sync/atomic"
	"time"
)

// DefaultAddr is where a peer listens when ADDR is not set.
const DefaultAddr = "127.0.0.1:8080"

// Body is the response body.
const Body = "Hello"

// Addr returns the address to listen on: $ADDR, or DefaultAddr.
func Addr() string {
	if a := os.Getenv("ADDR"); a != "" {
		return a
	}
	return DefaultAddr
}

var response atomic.Pointer[[]byte]

// build returns the whole response for the time t.
func build(t time.Time) *[]byte {
	b := []byte("HTTP/1.1 200 OK\r\nDate: " + t.UTC().Format(http.TimeFormat) +
		"\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n" + Body)
	return &b
}

func init() {
	response.Store(build(time.Now()))
	go func() {
		for now := range time.Tick(time.Second) {
			response.Store(build(now))
		}
	}()
}

// Response returns the current response bytes; callers must not modify
// them.
func Response() []byte { return *response.Load() }

// AppendResponses appends n copies of the response to dst.
func AppendResponses(dst []byte, n int) []byte {
	r := *response.Load()
	for range n {
		dst = append(dst, r...)
	}
	return dst
}

// ErrBadRequest is returned by Requests for input that is not HTTP/1.x.
var ErrBadRequest = errors.New("hello: bad request")

// MaxHeader bounds a request's header block.
const MaxHeader = 64 << 10

// Requests counts the complete requests at the start of b and how many
// bytes they take. A request ends with its blank line, plus its body when
// it has a Content-Length. An incomplete request at the end is left for
// later; one with a header block over MaxHeader, or a malformed length, is
// an error.
func Requests(b []byte) (count, consumed int, err error) {
	for {
		rest := b[consumed:]
		end := bytes.Index(rest, []byte("\r\n\r\n"))
		if end < 0 {
			if len(rest) > MaxHeader {
				return count, consumed, ErrBadRequest
			}
			return count, consumed, nil
		}
		body, err := contentLength(rest[:end])
		if err != nil {
			return count, consumed, err
		}
		total := end + 4 + body
		if total > len(rest) {
			return count, consumed, nil
		}
		consumed += total
		count++
	}
}

// contentLength finds a Content-Length header in a header block.
func contentLength(head []byte) (int, error) {
	for len(head) > 0 {
		line := head
		if i := bytes.Index(head, []byte("\r\n")); i >= 0 {
			line, head = head[:i], head[i+2:]
		} else {
			head = nil
		}
		const name = "content-length:"
		if len(line) <= len(name) || !bytes.EqualFold(line[:len(name)], []byte(name)) {
			continue
		}
		v := bytes.TrimSpace(line[len(name):])
		if len(v) == 0 || len(v) > 9 {
			return 0, ErrBadRequest
		}
		n := 0
		for _, c := range v {
			if c < '0' || c > '9' {
				return 0, ErrBadRequest
			}
			n = n*10 + int(c-'0')
		}
		return n, nil
	}
	return 0, nil
}
