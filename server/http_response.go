package server

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/miniasync/miniasync/protocol"
)

// chunkingThreshold is how much body the adapter buffers before it commits
// to a head: a handler that writes less and returns gets a Content-Length, a
// longer or flushed one gets chunked output. net/http buffers the same
// amount, which keeps the framing (and the sniffed Content-Type) identical.
const chunkingThreshold = 2048

// bufioPool holds the writers that batch a handler's small writes.
var bufioPool sync.Pool

// responseWriter is the http.ResponseWriter of HTTPHandler. It follows
// net/http's rules for the head (status line, header order, Date,
// Content-Length or chunking, Content-Type sniffing, Connection) so a
// handler's output is the same bytes under either server, Date aside.
//
// Bytes go into the connection's output buffer; they are written to the
// socket when the buffer reaches Config.MaxOutput, on Flush, and after the
// handler returns. Like net/http's, it must not be used after the handler
// returns; writes then fail with errAfterHandler.
type responseWriter struct {
	c   *conn
	req *http.Request
	// body is the request's body: its lock also guards the connection
	// while the handler runs (httpBody.lockIO).
	body *httpBody
	bw   *bufio.Writer // batches writes into chunks; nil after finish
	cw   chunkWriter

	handlerHeader http.Header // what Header returns
	snap          *headerSnapshot
	snapped       bool // snap holds the header as of WriteHeader
	calledHeader  bool

	status        int
	wroteHeader   bool // the final status is set
	headSent      bool // the head is in the output
	chunking      bool
	handlerDone   bool
	closeAfter    bool
	wants10Keep   bool // HTTP/1.0 request with "Connection: keep-alive"
	wantsClose    bool
	noKeepAlive   bool // the server is shutting down
	isHEAD        bool
	contentLength int64 // declared by the handler, -1 if not
	written       int64
	trailers      []string
	done          bool // the handler returned
}

// chunkWriter receives the batched writes: it writes the head on the first
// one, then frames each as a chunk when chunking.
type chunkWriter struct{ w *responseWriter }

var (
	_ http.ResponseWriter = (*responseWriter)(nil)
	_ http.Flusher        = (*responseWriter)(nil)
)

// errAfterHandler is returned by writes after the handler returned.
var errAfterHandler = fmt.Errorf("server: ResponseWriter used after the handler returned: %w", http.ErrNotSupported)

// Header implements http.ResponseWriter.
func (w *responseWriter) Header() http.Header {
	if w.handlerHeader == nil {
		w.handlerHeader = make(http.Header)
	}
	if w.wroteHeader && !w.snapped && !w.headSent {
		// As net/http: the head goes out as the header was when the
		// status was set; changes made after it are not sent.
		w.snap.take(w.handlerHeader)
		w.snapped = true
	}
	w.calledHeader = true
	return w.handlerHeader
}

// WriteHeader implements http.ResponseWriter. Informational statuses
// (1xx other than 101) are sent at once, as net/http does; a second final
// status is ignored.
func (w *responseWriter) WriteHeader(code int) {
	if w.done || w.wroteHeader {
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code)) // as net/http: the handler's bug
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		w.writeInterim(code)
		return
	}
	w.wroteHeader = true
	w.status = code
	w.c.ex.noContinue.Store(true) // as net/http: no 100 Continue once the final status is set
	if w.calledHeader {
		w.snap.take(w.handlerHeader)
		w.snapped = true
	}
	if cl := w.handlerHeader.Get("Content-Length"); cl != "" {
		v, err := strconv.ParseInt(cl, 10, 64)
		if err == nil && v >= 0 {
			w.contentLength = v
		} else {
			// As net/http: dropped from the live map only, so the head,
			// written from the snapshot, still carries it.
			w.c.srv.log.Sugar().Debugf("http adapter: invalid Content-Length %q", cl)
			w.handlerHeader.Del("Content-Length")
		}
	}
}

// writeInterim sends a 1xx response with the handler's fields.
func (w *responseWriter) writeInterim(code int) {
	w.body.lockIO()
	defer w.body.mu.Unlock()
	if code == http.StatusContinue {
		w.c.ex.parser.ContinueSent() // the handler sent it: the server will not again
	}
	w.appendStatusLine(code)
	w.snap.take(w.handlerHeader)
	w.snap.write(w.c, exclContentLength|exclTransferEncoding)
	w.snap.reset()
	w.c.out = append(w.c.out, "\r\n"...)
	_ = w.c.writeAll()
}

// Write implements http.ResponseWriter.
func (w *responseWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, errAfterHandler
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !bodyAllowedForStatus(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	w.written += int64(len(p))
	if w.contentLength != -1 && w.written > w.contentLength {
		return 0, http.ErrContentLength
	}
	return w.bw.Write(p)
}

// WriteString implements io.StringWriter, so io.WriteString does not copy.
func (w *responseWriter) WriteString(s string) (int, error) {
	if w.done {
		return 0, errAfterHandler
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if len(s) == 0 {
		return 0, nil
	}
	if !bodyAllowedForStatus(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	w.written += int64(len(s))
	if w.contentLength != -1 && w.written > w.contentLength {
		return 0, http.ErrContentLength
	}
	return w.bw.WriteString(s)
}

// Flush implements http.Flusher.
func (w *responseWriter) Flush() { _ = w.FlushError() }

// FlushError sends what the handler wrote so far and waits until the
// client took it (http.ResponseController uses it).
func (w *responseWriter) FlushError() error {
	if w.done {
		return errAfterHandler
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if err := w.bw.Flush(); err != nil {
		return err
	}
	w.body.lockIO()
	defer w.body.mu.Unlock()
	if !w.headSent {
		w.writeHead(nil)
	}
	return w.c.writeAll()
}

// Write frames one batch of body bytes.
func (cw chunkWriter) Write(p []byte) (int, error) {
	w := cw.w
	w.body.lockIO()
	defer w.body.mu.Unlock()
	if !w.headSent {
		w.writeHead(p)
	}
	if ex := w.c.ex; ex.failed != nil {
		return 0, ex.failed
	}
	if w.isHEAD {
		return len(p), nil
	}
	c := w.c
	if w.chunking {
		c.out = strconv.AppendInt(c.out, int64(len(p)), 16)
		c.out = append(c.out, "\r\n"...)
	}
	c.out = append(c.out, p...)
	if w.chunking {
		c.out = append(c.out, "\r\n"...)
	}
	if len(c.out) >= c.srv.cfg.MaxOutput && !c.srv.cfg.Inline {
		if err := c.writeAll(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// finish completes the response after the handler returned and reports
// whether the connection may serve another request.
func (w *responseWriter) finish() (keepAlive bool) {
	w.handlerDone = true
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	_ = w.bw.Flush()
	w.bw.Reset(nil)
	bufioPool.Put(w.bw)
	w.bw = nil
	if !w.headSent {
		w.writeHead(nil)
	}
	if w.chunking {
		c := w.c
		c.out = append(c.out, "0\r\n"...)
		if t := w.finalTrailers(); t != nil {
			w.snap.take(t)
			w.snap.write(c, 0)
		}
		c.out = append(c.out, "\r\n"...)
	}
	w.done = true
	w.snap.reset()
	switch {
	case w.closeAfter:
		return false
	case !w.isHEAD && w.contentLength != -1 && bodyAllowedForStatus(w.status) && w.contentLength != w.written:
		return false // the body is shorter than declared: the framing is lost
	}
	return true
}

// writeHead appends the status line and header section, deciding the
// framing as net/http does. p is the first batch of body (nil if none):
// it is sniffed for a Content-Type and, when the handler is done, measured
// for the Content-Length.
func (w *responseWriter) writeHead(p []byte) {
	w.headSent = true
	h := w.snap
	if !w.snapped {
		// The handler first asked for the map after WriteHeader: net/http
		// then sends the map as it is now.
		h.take(w.handlerHeader)
		w.snapped = true
	}
	var exclude exclusions
	del := func(e exclusions) { exclude |= e }
	var extra struct {
		contentType, connection, transferEncoding string
		contentLength                             int64
		setLength                                 bool
	}

	hasTrailers := false
	for _, f := range h.fields {
		if strings.HasPrefix(f.key, http.TrailerPrefix) {
			exclude |= exclTrailerPrefix
			hasTrailers = true
		}
	}
	trailer, _ := h.lookup("Trailer")
	for _, v := range trailer {
		hasTrailers = true
		for k := range headerElements(v) {
			if k = http.CanonicalHeaderKey(k); !forbiddenTrailer[k] && !strings.HasPrefix(k, "If-") {
				w.trailers = append(w.trailers, k)
			}
		}
	}
	te := h.get("Transfer-Encoding")
	hasTE := te != ""
	code := w.status

	// has, not get: a Content-Length set empty or nil suppresses the
	// computed one, as in net/http.
	if w.handlerDone && !hasTrailers && !hasTE && bodyAllowedForStatus(code) && !h.has("Content-Length") && (!w.isHEAD || len(p) > 0) {
		w.contentLength = int64(len(p))
		extra.contentLength, extra.setLength = int64(len(p)), true
	}
	// A shutdown may have begun while the handler ran: the head says so
	// when it goes out, as the native path's does.
	w.noKeepAlive = w.noKeepAlive || w.c.srv.draining.Load()
	if w.wants10Keep && !w.noKeepAlive && h.get("Content-Length") != "" && h.get("Connection") == "keep-alive" {
		w.closeAfter = false
	}
	hasCL := w.contentLength != -1
	if w.wants10Keep && (w.isHEAD || hasCL || !bodyAllowedForStatus(code)) {
		if !h.has("Connection") {
			extra.connection = "keep-alive"
		}
	} else if w.req.ProtoMinor == 0 || w.wantsClose {
		w.closeAfter = true
	}
	if h.get("Connection") == "close" || w.noKeepAlive {
		w.closeAfter = true
	}
	if b, ok := w.req.Body.(*httpBody); ok && b.expect && !b.sawEOF && !(b.streamed && !w.c.bodyUnfinished()) {
		// The client waited for 100 Continue and the handler never read
		// the body: whatever it sends next is not a request. (A streamed
		// body read to its last byte counts as read, though its EOF was
		// not asked for: io.ReadFull of Content-Length bytes, say.)
		w.closeAfter = true
	}
	if w.body.closed.Load() && w.c.bodyUnfinished() {
		// The body is closed with part of it unread: the handler returned
		// (endReads), or another goroutine was reading it when the
		// response began (lockIO). The connection closes after this
		// response (serveAdapted), so say so (RFC 9112 §9.6). net/http
		// would first read up to 256 KiB of the rest to keep it.
		w.closeAfter = true
	}

	if bodyAllowedForStatus(code) {
		haveType := h.has("Content-Type")
		if h.get("Content-Encoding") == "" && !haveType && !hasTE && len(p) > 0 {
			extra.contentType = http.DetectContentType(p)
		}
	} else {
		if code == http.StatusNotModified {
			del(exclContentType)
		}
		del(exclContentLength | exclTransferEncoding)
	}
	if hasCL && hasTE && te != "identity" {
		del(exclContentLength)
		hasCL = false
	}
	switch {
	case w.isHEAD || !bodyAllowedForStatus(code):
		del(exclTransferEncoding)
	case hasCL:
		del(exclTransferEncoding)
	case w.req.ProtoMinor >= 1:
		if te == "identity" {
			w.closeAfter = true
			del(exclTransferEncoding)
		} else {
			w.chunking = true
			extra.transferEncoding = "chunked"
			if te == "chunked" {
				del(exclTransferEncoding)
			}
		}
	default:
		w.closeAfter = true
		del(exclTransferEncoding)
	}
	if w.chunking {
		del(exclContentLength)
		extra.setLength = false
	}
	if w.closeAfter && (w.noKeepAlive || !hasToken([]string{h.get("Connection")}, "close")) {
		del(exclConnection)
		if w.req.ProtoMinor >= 1 {
			extra.connection = "close"
		}
	}

	c := w.c
	w.appendStatusLine(code)
	h.write(c, exclude)
	if !h.has("Date") {
		c.out = append(c.out, "Date: "...)
		c.out = protocol.AppendDateAt(c.out, c.srv.unixSecond())
		c.out = append(c.out, "\r\n"...)
	}
	if extra.setLength {
		c.out = append(c.out, "Content-Length: "...)
		c.out = strconv.AppendInt(c.out, extra.contentLength, 10)
		c.out = append(c.out, "\r\n"...)
	}
	for _, f := range [...]struct{ name, value string }{
		{"Content-Type: ", extra.contentType},
		{"Connection: ", extra.connection},
		{"Transfer-Encoding: ", extra.transferEncoding},
	} {
		if f.value != "" {
			c.out = append(c.out, f.name...)
			c.out = append(c.out, f.value...)
			c.out = append(c.out, "\r\n"...)
		}
	}
	c.out = append(c.out, "\r\n"...)
}

// appendStatusLine appends the status line in net/http's form: the
// request's protocol version, the code, and its reason phrase.
func (w *responseWriter) appendStatusLine(code int) {
	c := w.c
	c.outBuf()
	if w.req.ProtoMinor == 0 {
		c.out = append(c.out, "HTTP/1.0 "...)
	} else {
		c.out = append(c.out, "HTTP/1.1 "...)
	}
	if text := http.StatusText(code); text != "" {
		c.out = strconv.AppendInt(c.out, int64(code), 10)
		c.out = append(c.out, ' ')
		c.out = append(c.out, text...)
	} else {
		c.out = fmt.Appendf(c.out, "%03d status code %d", code, code)
	}
	c.out = append(c.out, "\r\n"...)
}

// finalTrailers collects the trailer fields: those declared in a Trailer
// field and those set under http.TrailerPrefix.
func (w *responseWriter) finalTrailers() http.Header {
	var t http.Header
	for k, vv := range w.handlerHeader {
		if kk, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
			if t == nil {
				t = make(http.Header)
			}
			t[kk] = vv
		}
	}
	for _, k := range w.trailers {
		if t == nil {
			t = make(http.Header)
		}
		for _, v := range w.handlerHeader[k] {
			t.Add(k, v)
		}
	}
	return t
}

// bodyAllowedForStatus reports whether a response with this status may
// have a body (RFC 9110 §6.4.1).
func bodyAllowedForStatus(code int) bool {
	switch {
	case code >= 100 && code <= 199, code == http.StatusNoContent, code == http.StatusNotModified:
		return false
	}
	return true
}

// exclusions are the fields the adapter leaves out of the handler's header
// when it writes the head.
type exclusions uint8

const (
	exclContentLength exclusions = 1 << iota
	exclTransferEncoding
	exclConnection
	exclContentType
	exclTrailerPrefix // every "Trailer:"-prefixed key
)

// has reports whether key is excluded.
func (e exclusions) has(key string) bool {
	switch key {
	case "Content-Length":
		return e&exclContentLength != 0
	case "Transfer-Encoding":
		return e&exclTransferEncoding != 0
	case "Connection":
		return e&exclConnection != 0
	case "Content-Type":
		return e&exclContentType != 0
	}
	return e&exclTrailerPrefix != 0 && strings.HasPrefix(key, http.TrailerPrefix)
}

// forbiddenTrailer lists fields a Trailer declaration may not name (RFC
// 9110 §6.5.1: framing, routing, authentication, controls).
var forbiddenTrailer = map[string]bool{
	"Authorization": true, "Cache-Control": true, "Connection": true,
	"Content-Encoding": true, "Content-Length": true, "Content-Range": true,
	"Content-Type": true, "Expect": true, "Host": true, "Keep-Alive": true,
	"Max-Forwards": true, "Pragma": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Proxy-Connection": true, "Range": true,
	"Realm": true, "Te": true, "Trailer": true, "Transfer-Encoding": true,
	"Www-Authenticate": true,
}
