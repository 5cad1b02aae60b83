package protocol

import (
	"bytes"
	"fmt"
	"strconv"
	"time"
	"unsafe"
)

// maxRetainedBody is the capacity above which Reset drops the internal body
// buffer instead of keeping it for the next response, so one large response
// does not pin memory for the life of the connection.
const maxRetainedBody = 1 << 20

// Response is a reusable response builder. The server calls Reset(req) before
// the handler, the handler chains setters:
//
//	w.Status(404).ContentType("text/plain").BodyString("no such page")
//
// and the server calls Build to append the wire bytes to its output buffer.
//
// The server owns the framing: Date, Content-Length and Connection are
// written by Build, and a response never uses Transfer-Encoding. A Response is
// not safe for concurrent use.
type Response struct {
	minor        int
	reqKeepAlive bool
	head         bool

	status      int
	contentType string
	headers     []Header
	body        []byte // body to send; may alias buf
	buf         []byte // internal buffer for Write
	ownBody     bool   // body is buf
	close       bool
	keepAlive   bool

	// Streaming (see Flush).
	sink      Sink
	streaming bool   // the head was sent by Flush
	chunked   bool   // streamed with the chunked transfer coding
	bodyless  bool   // streamed response that carries no body (HEAD, 1xx, 204, 304)
	wire      []byte // scratch for the bytes Flush sends

	last lastHead // the head BuildAt wrote last, to reuse (see BuildAt)
}

// maxCachedHead is the longest response head BuildAt keeps for reuse.
const maxCachedHead = 256

// lastHead is a response head BuildAt wrote, with everything it depends
// on. A server answering a run of alike requests (pipelined, or one
// keep-alive client after another on a worker's Response) writes the same
// head again and again; reusing it skips validating and formatting the
// status line, Date, Content-Type and Content-Length each time. Only heads
// without extra fields are kept, so the key stays a few compares.
type lastHead struct {
	ok    bool // bytes holds a head
	bytes []byte
	// ct is where bytes holds the Content-Type value; n < 0 when the head
	// has none. The value is compared there, not kept as a string: the
	// handler's string may alias a request buffer that is reused.
	ct      span
	sec     int64 // Date's Unix second
	status  int
	bodyLen int
	minor   int
	keep    bool
}

// matches reports whether w's head, framed with keep and dated now, is the
// one in h.
func (h *lastHead) matches(w *Response, keep bool, now int64) bool {
	if !h.ok || len(w.headers) != 0 || h.sec != now || h.status != w.status ||
		h.bodyLen != len(w.body) || h.keep != keep || h.minor != w.minor {
		return false
	}
	if h.ct.n >= 0 {
		return string(h.bytes[h.ct.off:h.ct.off+h.ct.n]) == w.contentType
	}
	// The same status wrote no Content-Type: either it was empty, or the
	// status sends none (then any value makes the same head).
	return w.contentType == "" || !sendsContentType(w.status)
}

// Reset prepares w for answering req: status 200, no headers, no body. A nil
// req stands for an HTTP/1.1 keep-alive request that is not HEAD.
func (w *Response) Reset(req *Request) {
	w.minor, w.reqKeepAlive, w.head = 1, true, false
	if req != nil {
		w.minor, w.reqKeepAlive, w.head = req.minor, req.keepAlive, req.method == "HEAD"
	}
	w.status = 200
	w.contentType = ""
	clear(w.headers) // drop references into the previous request's buffer
	w.headers = w.headers[:0]
	w.body = nil
	if cap(w.buf) > maxRetainedBody {
		w.buf = nil
	}
	w.buf = w.buf[:0]
	w.ownBody = false
	w.close = false
	w.keepAlive = false
	w.streaming, w.chunked, w.bodyless = false, false, false
	if cap(w.wire) > maxRetainedBody {
		w.wire = nil
	}
}

// Status sets the status code (default 200). Build rejects codes outside
// 100-999.
func (w *Response) Status(code int) *Response {
	w.status = code
	return w
}

// StatusCode returns the status code set so far.
func (w *Response) StatusCode() int { return w.status }

// ContentType sets the Content-Type field. It is omitted from 1xx and 204
// responses. Build validates it like any other field value.
func (w *Response) ContentType(v string) *Response {
	w.contentType = v
	return w
}

// Header adds a response field. The name must be a token and the value must
// not hold CR, LF, NUL or other control characters (HTAB is allowed); Build
// returns an error otherwise, so request data can never split the response.
//
// Fields the server owns are not added: Content-Length, Transfer-Encoding and
// Date are ignored, and Connection is ignored unless it lists "close", which
// is honoured as Close(). Content-Type is the same as calling ContentType.
// Names are matched case-insensitively. The strings are retained until Build.
func (w *Response) Header(name, value string) *Response {
	switch len(name) {
	case 4:
		if equalFoldString(name, "date") {
			return w
		}
	case 10:
		if equalFoldString(name, "connection") {
			if hasCloseOption(value) {
				w.close = true
			}
			return w
		}
	case 12:
		if equalFoldString(name, "content-type") {
			w.contentType = value
			return w
		}
	case 14:
		if equalFoldString(name, "content-length") {
			return w
		}
	case 17:
		if equalFoldString(name, "transfer-encoding") {
			return w
		}
	}
	w.headers = append(w.headers, Header{name, value})
	return w
}

func hasCloseOption(v string) bool {
	for len(v) > 0 {
		var opt string
		opt, v = v, ""
		for i := 0; i < len(opt); i++ {
			if opt[i] == ',' {
				opt, v = opt[:i], opt[i+1:]
				break
			}
		}
		for len(opt) > 0 && isOWS(opt[0]) {
			opt = opt[1:]
		}
		for len(opt) > 0 && isOWS(opt[len(opt)-1]) {
			opt = opt[:len(opt)-1]
		}
		if equalFoldString(opt, "close") {
			return true
		}
	}
	return false
}

// Body sets the body to b, replacing anything set or written before. The
// body references b (no copy) until Build, so b must not change before then.
func (w *Response) Body(b []byte) *Response {
	w.body = b
	w.ownBody = false
	return w
}

// BodyString sets the body to s, replacing anything set or written before,
// without copying s.
func (w *Response) BodyString(s string) *Response {
	return w.Body(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// Write appends p to the body (io.Writer). It copies p into an internal
// buffer reused across responses; a body set with Body is kept and p is
// appended to it. It never fails.
func (w *Response) Write(p []byte) (int, error) {
	w.own()
	w.buf = append(w.buf, p...)
	w.body = w.buf
	return len(p), nil
}

// WriteString appends s to the body like Write (io.StringWriter).
func (w *Response) WriteString(s string) (int, error) {
	w.own()
	w.buf = append(w.buf, s...)
	w.body = w.buf
	return len(s), nil
}

// own moves a body set with Body into the internal buffer before appending.
// The body set with Body is never written to: it may be a string's memory.
func (w *Response) own() {
	if !w.ownBody {
		w.buf = append(w.buf[:0], w.body...)
		w.ownBody = true
	}
}

// Close makes the connection close after this response; Build then writes
// "Connection: close".
func (w *Response) Close() *Response {
	w.close = true
	return w
}

// KeepAlive reports, after Build, whether the connection stays open: the
// request wished it, Close was not called, the status allows it (a 1xx status
// as the final response does not: the exchange cannot continue) and Build
// succeeded.
func (w *Response) KeepAlive() bool { return w.keepAlive }

// Build appends the response to dst: the status line (always HTTP/1.1, as
// RFC 9110 §6.2 allows), Date, Content-Type, the user fields, Content-Length
// and Connection as needed, an empty line, and the body.
//
// HEAD responses carry the Content-Length of the body but not the body;
// 1xx, 204 and 304 responses carry neither body nor Content-Length (RFC 9110
// §8.6, RFC 9112 §6.3). "Connection: close" is written whenever the connection
// is to be closed, "Connection: keep-alive" when an HTTP/1.0 request asked
// for it and gets it.
//
// An invalid status (outside 100-999) or field returns dst unchanged and an
// error wrapping ErrInvalidStatus or ErrInvalidHeader; KeepAlive then
// reports false.
func (w *Response) Build(dst []byte) ([]byte, error) { return w.BuildAt(dst, time.Now().Unix()) }

// BuildAt is Build with the Date of the Unix second now, for a caller that
// has read the clock already: a server answering several pipelined
// requests at once reads it once for all of them.
func (w *Response) BuildAt(dst []byte, now int64) ([]byte, error) {
	if w.streaming {
		return w.finishStream(dst), nil
	}
	w.keepAlive = false
	keep := w.reqKeepAlive && !w.close && w.status >= 200
	if w.last.matches(w, keep, now) {
		// The same head as last time, already checked and formatted.
		dst = append(dst, w.last.bytes...)
	} else {
		if _, err := w.check(); err != nil {
			return dst, err
		}
		start := len(dst)
		dst = w.appendHead(dst, framingLength, keep, now)
		w.rememberHead(dst[start:], keep, now)
	}
	if !bodiless(w.status) && !w.head {
		dst = append(dst, w.body...)
	}
	w.keepAlive = keep
	return dst, nil
}

// rememberHead keeps head, just written by BuildAt, for reuse by the next
// BuildAt with the same status, fields, body length, framing and second.
func (w *Response) rememberHead(head []byte, keep bool, now int64) {
	if len(w.headers) != 0 || len(head) > maxCachedHead {
		w.last.ok = false
		return
	}
	ct := span{n: -1}
	if w.contentType != "" && sendsContentType(w.status) {
		const name = "\r\nContent-Type: "
		ct = span{bytes.Index(head, []byte(name)) + len(name), len(w.contentType)}
	}
	w.last = lastHead{
		ok:      true,
		bytes:   append(w.last.bytes[:0], head...),
		ct:      ct,
		sec:     now,
		status:  w.status,
		bodyLen: len(w.body),
		minor:   w.minor,
		keep:    keep,
	}
}

// bodiless reports whether a response with status code carries no body
// (RFC 9110 §6.4.1).
func bodiless(code int) bool { return code < 200 || code == 204 || code == 304 }

// sendsContentType reports whether a response with status code carries a
// Content-Type field when one is set.
func sendsContentType(code int) bool { return code >= 200 && code != 204 }

// framing is how a response's body is delimited.
type framing uint8

const (
	framingLength  framing = iota // Content-Length (absent for bodiless statuses)
	framingChunked                // Transfer-Encoding: chunked
	framingClose                  // the connection's close (HTTP/1.0 streaming)
)

// check validates the status and fields and reports whether the status
// forbids a body.
func (w *Response) check() (noBody bool, err error) {
	code := w.status
	if code < 100 || code > 999 {
		return false, fmt.Errorf("%w: %d", ErrInvalidStatus, code)
	}
	if w.contentType != "" && sendsContentType(code) && !validValue(w.contentType) {
		return false, fmt.Errorf("%w: Content-Type value", ErrInvalidHeader)
	}
	for _, h := range w.headers {
		if !validName(h.Name) {
			return false, fmt.Errorf("%w: name %q", ErrInvalidHeader, h.Name)
		}
		if !validValue(h.Value) {
			return false, fmt.Errorf("%w: value of %q", ErrInvalidHeader, h.Name)
		}
	}
	return bodiless(code), nil
}

// appendHead appends the status line and header section, framed as f,
// dated the Unix second now.
func (w *Response) appendHead(dst []byte, f framing, keep bool, now int64) []byte {
	code := w.status
	noBody := bodiless(code)
	dst = appendStatusLine(dst, code)
	dst = append(dst, "Date: "...)
	dst = AppendDateAt(dst, now)
	dst = append(dst, "\r\n"...)
	if w.contentType != "" && sendsContentType(code) {
		dst = append(dst, "Content-Type: "...)
		dst = append(dst, w.contentType...)
		dst = append(dst, "\r\n"...)
	}
	for _, h := range w.headers {
		dst = append(dst, h.Name...)
		dst = append(dst, ": "...)
		dst = append(dst, h.Value...)
		dst = append(dst, "\r\n"...)
	}
	switch {
	case noBody:
	case f == framingLength:
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, int64(len(w.body)), 10)
		dst = append(dst, "\r\n"...)
	case f == framingChunked:
		dst = append(dst, "Transfer-Encoding: chunked\r\n"...)
	}
	switch {
	case !keep:
		dst = append(dst, "Connection: close\r\n"...)
	case w.minor == 0:
		dst = append(dst, "Connection: keep-alive\r\n"...)
	}
	return append(dst, "\r\n"...)
}

// validName reports whether s is a token (RFC 9110 §5.1).
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenTable[s[i]] {
			return false
		}
	}
	return true
}

// validValue reports whether s holds only field-vchar, SP and HTAB. Rejecting
// CR and LF prevents response splitting; NUL and the other controls are
// rejected as RFC 9110 §5.5 forbids them.
func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if !valueTable[s[i]] {
			return false
		}
	}
	return true
}

// AppendError appends a complete error response to dst: status line, Date,
// "Content-Type: text/plain; charset=utf-8", Content-Length,
// "Connection: close", and reason + "\n" as the body. A status outside
// 100-999 is sent as 500. Use it with the *Error returned by Parse.
func AppendError(dst []byte, status int, reason string) []byte {
	if status < 100 || status > 999 {
		status = 500
	}
	dst = appendStatusLine(dst, status)
	dst = append(dst, "Date: "...)
	dst = AppendDate(dst)
	dst = append(dst, "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(reason)+1), 10)
	dst = append(dst, "\r\nConnection: close\r\n\r\n"...)
	dst = append(dst, reason...)
	return append(dst, '\n')
}
