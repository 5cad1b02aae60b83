// Package handlers holds the handlers the miniasync command serves with
// --handler: hello, counter, echo, and http-hello (hello written for
// net/http, served through server.HTTPHandler).
package handlers

import (
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/miniasync/miniasync/protocol"
)

// Names lists the handler names New accepts, in help order.
var Names = []string{"hello", "counter", "echo", HTTPHelloName}

// HTTPHelloName names HTTPHello, the one net/http handler here.
const HTTPHelloName = "http-hello"

// HelloBody is what the hello handler answers.
const HelloBody = "Hello"

// Func is the shape of every handler here (server.HandlerFunc's).
type Func = func(req *protocol.Request, res *protocol.Response)

// New returns the named handler, or false for an unknown name.
func New(name string) (Func, bool) {
	switch name {
	case "hello":
		return Hello, true
	case "counter":
		return NewCounter().Serve, true
	case "echo":
		return Echo, true
	}
	return nil, false
}

// HTTPHello answers like Hello, written as a net/http handler: the
// command serves it through server.HTTPHandler, to measure the adapter.
func HTTPHello(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write(helloBody)
}

// helloBody is HelloBody as bytes, so answering does not convert per request.
var helloBody = []byte(HelloBody)

// Hello answers every request with 200 and "Hello" as text/plain.
func Hello(_ *protocol.Request, res *protocol.Response) {
	res.Status(200).ContentType("text/plain").Body(helloBody)
}

// Counter answers each request with a count that goes up by one per request,
// shared by every worker behind a mutex.
type Counter struct {
	mu sync.Mutex
	n  uint64
}

// NewCounter returns a counter at zero.
func NewCounter() *Counter { return &Counter{} }

// Serve counts the request and answers with the new count as text/plain.
func (c *Counter) Serve(_ *protocol.Request, res *protocol.Response) {
	c.mu.Lock()
	c.n++
	n := c.n
	c.mu.Unlock()
	var buf [20]byte
	_, _ = res.Status(200).ContentType("text/plain").Write(strconv.AppendUint(buf[:0], n, 10))
}

// Echo answers with the request itself as JSON:
//
//	{"method": "...", "target": "...", "proto": "HTTP/1.1", "headers": [["Name","value"], ...], "body": "..."}
//
// target is exactly as received, headers are in received order with names as
// received, and body is the decoded body. Bytes that are not valid UTF-8
// become U+FFFD, as encoding/json does.
func Echo(req *protocol.Request, res *protocol.Response) {
	var scratch [512]byte
	b := append(scratch[:0], `{"method": `...)
	b = AppendJSONString(b, req.Method())
	b = append(b, `, "target": `...)
	b = AppendJSONString(b, req.Target())
	b = append(b, `, "proto": `...)
	b = AppendJSONString(b, req.Proto())
	b = append(b, `, "headers": [`...)
	for i, h := range req.Headers() {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '[')
		b = AppendJSONString(b, h.Name)
		b = append(b, ',')
		b = AppendJSONString(b, h.Value)
		b = append(b, ']')
	}
	b = append(b, `], "body": `...)
	b = AppendJSONString(b, string(req.Body()))
	b = append(b, '}')
	_, _ = res.Status(200).ContentType("application/json").Write(b)
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string literal, escaped as
// encoding/json's Encoder does with SetEscapeHTML(false): <, > and & stay
// readable, U+2028 and U+2029 are escaped, and invalid UTF-8 becomes U+FFFD.
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
