package loadgen

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// RequestSpec describes the one request every connection sends repeatedly.
type RequestSpec struct {
	// Method is the request method, such as GET or POST. Empty means GET.
	Method string
	// Path is the request target, such as "/" or "/hello?x=1". Empty
	// means "/".
	Path string
	// Host is the Host header's value, usually the server's address.
	Host string
	// BodySize is the number of body bytes sent with each request, with a
	// Content-Length header; 0 sends no body and no Content-Length.
	BodySize int
}

// Build returns the request's bytes, ready to write as they are.
func (s RequestSpec) Build() ([]byte, error) {
	method := s.Method
	if method == "" {
		method = "GET"
	}
	path := s.Path
	if path == "" {
		path = "/"
	}
	if !validToken(method) {
		return nil, fmt.Errorf("loadgen: invalid method %q", method)
	}
	if !strings.HasPrefix(path, "/") && path != "*" {
		return nil, fmt.Errorf("loadgen: path %q must start with /", path)
	}
	if strings.ContainsAny(path, " \r\n\t") {
		return nil, fmt.Errorf("loadgen: path %q has spaces or line breaks", path)
	}
	if s.BodySize < 0 {
		return nil, fmt.Errorf("loadgen: negative body size %d", s.BodySize)
	}
	if strings.ContainsAny(s.Host, " \r\n\t") {
		return nil, fmt.Errorf("loadgen: host %q has spaces or line breaks", s.Host)
	}
	var b bytes.Buffer
	b.Grow(64 + len(path) + len(s.Host) + s.BodySize)
	b.WriteString(method)
	b.WriteByte(' ')
	b.WriteString(path)
	b.WriteString(" HTTP/1.1\r\nHost: ")
	b.WriteString(s.Host)
	b.WriteString("\r\nUser-Agent: miniasync-bench\r\n")
	if s.BodySize > 0 {
		b.WriteString("Content-Type: application/octet-stream\r\nContent-Length: ")
		b.WriteString(strconv.Itoa(s.BodySize))
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	for range s.BodySize {
		b.WriteByte('x')
	}
	return b.Bytes(), nil
}

// IsHead reports whether the responses to this request carry no body
// whatever their headers say (RFC 9110, section 9.3.2).
func (s RequestSpec) IsHead() bool { return strings.EqualFold(s.Method, "HEAD") }

// validToken reports whether s is a non-empty RFC 9110 token.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
