package protocol

import (
	"slices"
	"strings"
	"unsafe"
)

// Header is one field line of a request: Name exactly as received (not
// canonicalised) and Value without the surrounding optional whitespace.
//
// Like everything a Request returns, both strings reference the connection's
// input buffer and are valid only until the handler returns.
type Header struct {
	Name, Value string
}

// Request is a parsed request.
//
// Lifetime rule: every string and []byte a Request returns references the
// connection's input buffer (zero-copy, via unsafe.String) and is valid only
// until the handler returns. The server reuses that buffer for the next
// request, so a retained string silently changes content. To keep data longer,
// copy it with Clone (the whole request) or CloneString (one string). The only
// exceptions are Proto and, for the standard methods (GET, HEAD, POST, PUT,
// DELETE, CONNECT, OPTIONS, TRACE, PATCH), Method, which return static strings.
type Request struct {
	buf                               []byte  // the connection's buffer
	fields, tfields                   []field // header and trailer fields by offset
	method, target, path, query, host string
	minor                             int
	headers, trailers                 []Header // built from fields on demand
	headersBuilt, trailersBuilt       bool
	body                              []byte
	contentLength                     int64
	chunked, keepAlive, expect        bool
	bodyAccess                        // see body_reader.go
	streamed                          bool
	peer                              Peer // the connection, set by the server (peer.go)
}

// Method returns the request method, e.g. "GET". Methods are case-sensitive
// tokens; unknown methods such as "PURGE" are returned as received.
func (r *Request) Method() string { return r.method }

// Target returns the request-target exactly as received.
func (r *Request) Target() string { return r.target }

// Path returns the path part of the target, still percent-encoded: for
// origin-form the part before '?', for absolute-form the path of the URI ("/"
// when it is empty), and "*" for asterisk-form.
func (r *Request) Path() string { return r.path }

// Query returns the part of the target after '?', without it; "" if none.
func (r *Request) Query() string { return r.query }

// Proto returns "HTTP/1.1" or "HTTP/1.0".
func (r *Request) Proto() string {
	if r.minor == 0 {
		return "HTTP/1.0"
	}
	return "HTTP/1.1"
}

// ProtoMinor returns the minor version: 1 or 0.
func (r *Request) ProtoMinor() int { return r.minor }

// Host returns the Host header value or, for an absolute-form target, the
// authority of the target (RFC 9112 §3.2.2: the Host field is then ignored).
// It is syntactically valid (uri-host [":" port]) but may be empty for
// HTTP/1.0 requests without Host or an empty Host field.
func (r *Request) Host() string { return r.host }

// Header returns the value of the first field named name (ASCII
// case-insensitive), or "" if there is none.
func (r *Request) Header(name string) string {
	for _, f := range r.fields {
		if f.name.n == len(name) && equalFoldString(f.name.str(r.buf), name) {
			return f.value.str(r.buf)
		}
	}
	return ""
}

// Headers returns all header fields in received order. The slice is internal
// to the Request and reused for the next request: do not retain or modify it.
// It is built on the first call for each request; Header does not need it.
func (r *Request) Headers() []Header {
	if !r.headersBuilt {
		r.headers = fillHeaders(r.buf, r.headers[:0], r.fields)
		r.headersBuilt = true
	}
	return r.headers
}

// Trailers returns the trailer fields of a chunked request, in received
// order; it is empty if there are none. The same retention rule as Headers
// applies. Trailer fields are never merged into the header fields (RFC 9110
// §6.5.1). It is empty for a streamed request (BodyStreamed): ReadBody
// validates the trailer fields of a streamed body and discards them.
func (r *Request) Trailers() []Header {
	if !r.trailersBuilt {
		r.trailers = fillHeaders(r.buf, r.trailers[:0], r.tfields)
		r.trailersBuilt = true
	}
	return r.trailers
}

// Body returns the whole decoded body, or nil if the request has none. A
// chunked body is decoded in place in the connection's buffer. The slice's
// capacity equals its length, so appending to it never overwrites the next
// pipelined request. It is nil for a streamed request (BodyStreamed), whose
// body is read with Parser.ReadBody.
func (r *Request) Body() []byte { return r.body }

// BodyStreamed reports whether Parse returned the request as soon as its
// header section was complete (Parser.StreamBodies is on and the request
// announced a body): Body is nil and the body must be read with
// Parser.ReadBody until io.EOF before the next request can be parsed. It is
// false for every other request, including bodiless ones parsed with
// StreamBodies on. Trailers is always empty for a streamed request.
func (r *Request) BodyStreamed() bool { return r.streamed }

// ContentLength returns the declared Content-Length, or -1 when the request
// had no Content-Length field or used chunked transfer coding.
func (r *Request) ContentLength() int64 { return r.contentLength }

// Chunked reports whether the body used chunked transfer coding.
func (r *Request) Chunked() bool { return r.chunked }

// KeepAlive reports whether the client wishes to keep the connection open:
// for HTTP/1.1 unless it sent "Connection: close", for HTTP/1.0 only when it
// sent "Connection: keep-alive" (and not close).
func (r *Request) KeepAlive() bool { return r.keepAlive }

// ExpectContinue reports whether an HTTP/1.1 request carried
// "Expect: 100-continue". HTTP/1.0 requests always report false (RFC 9110
// §10.1.1: the expectation must be ignored).
func (r *Request) ExpectContinue() bool { return r.expect }

// Clone returns a deep copy of r whose strings, header section (Head) and
// body live in memory of their own, so it stays valid after the handler
// returns; the client's and server's addresses are read once and kept. It
// allocates.
func (r *Request) Clone() *Request {
	n := len(r.head) + len(r.method) + len(r.target) + len(r.path) + len(r.query) + len(r.host) + len(r.body)
	if r.head == nil {
		for _, f := range r.fields {
			n += f.name.n + f.value.n
		}
	}
	for _, f := range r.tfields {
		n += f.name.n + f.value.n
	}
	// One allocation holds everything; it is the clone's buffer, so the
	// cloned fields are offsets into it just like the original's.
	a := arena{b: make([]byte, 0, n)}
	var head []byte
	if r.head != nil {
		// The header section starts the buffer, and the fields lie in
		// it: copied first, it keeps their offsets valid.
		a.b = append(a.b, r.head...)
		head = a.b[:len(r.head):len(r.head)]
	}
	c := &Request{
		method:        a.str(r.method),
		target:        a.str(r.target),
		path:          a.str(r.path),
		query:         a.str(r.query),
		host:          a.str(r.host),
		minor:         r.minor,
		contentLength: r.contentLength,
		chunked:       r.chunked,
		keepAlive:     r.keepAlive,
		expect:        r.expect,
		streamed:      r.streamed,
		peer:          r.clonePeer(), // the connection may be gone when the clone is used
	}
	c.head = head
	if head != nil {
		c.fields = slices.Clone(r.fields)
	} else {
		c.fields = a.fields(r.buf, r.fields)
	}
	c.tfields = a.fields(r.buf, r.tfields)
	if r.body != nil {
		start := len(a.b)
		a.b = append(a.b, r.body...)
		c.body = a.b[start:len(a.b):len(a.b)]
	}
	c.buf = a.b
	return c
}

// arena hands out strings backed by one preallocated byte slice. The slice
// never grows (its capacity is computed up front), so the strings stay valid.
type arena struct{ b []byte }

func (a *arena) str(s string) string {
	if s == "" {
		return ""
	}
	start := len(a.b)
	a.b = append(a.b, s...)
	return unsafe.String(&a.b[start], len(s))
}

func (a *arena) span(buf []byte, s span) span {
	start := len(a.b)
	a.b = append(a.b, buf[s.off:s.off+s.n]...)
	return span{start, s.n}
}

// fields copies the fields' bytes from buf and returns their new spans.
func (a *arena) fields(buf []byte, fs []field) []field {
	if len(fs) == 0 {
		return nil
	}
	c := make([]field, len(fs))
	for i, f := range fs {
		c[i] = field{a.span(buf, f.name), a.span(buf, f.value)}
	}
	return c
}

// CloneString returns a copy of s that does not reference the connection's
// buffer; use it for any request string kept after the handler returns.
func CloneString(s string) string { return strings.Clone(s) }
