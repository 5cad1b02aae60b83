package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"go.uber.org/zap"

	"github.com/miniasync/miniasync/protocol"
)

// HTTPHandler adapts a net/http handler, so routers (http.ServeMux with its
// method and wildcard patterns), middleware chains and the standard
// library's own handlers (net/http/pprof, expvar) run on this server
// unchanged:
//
//	mux := http.NewServeMux()
//	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
//		fmt.Fprintf(w, "item %s\n", r.PathValue("id"))
//	})
//	srv, err := server.New(server.Config{}, server.HTTPHandler(mux))
//
// The response is written as net/http writes it: the same status line,
// header order and defaults (Date, Content-Length for short responses and
// chunked output for long or flushed ones, Content-Type sniffing,
// Connection), so a handler sends the same bytes under either server, Date
// aside.
//
// What the handler gets:
//   - r.Body streams the request body; with Config.StreamBodies a body is
//     read from the socket as the handler reads it, otherwise it is already
//     buffered (up to Limits.MaxBodySize). "Expect: 100-continue" is
//     answered with 100 Continue when the handler first reads a streamed
//     body, unless it has set its status by then (as net/http); a
//     buffered body is asked for before the handler runs, since the
//     handler only runs once it is in.
//   - r.Context() is cancelled when the handler returns, when the client
//     goes away while it runs (checked every 100 ms), and when the server
//     closes (Close, or Shutdown whose context ended). It carries
//     http.LocalAddrContextKey.
//   - r.RemoteAddr, r.Host, r.RequestURI, r.URL, r.Proto*, r.Header (Host
//     moved to r.Host as net/http does), r.ContentLength,
//     r.TransferEncoding, r.Close; r.TLS is nil. r.Trailer lists the keys
//     a chunked request's Trailer header declares and gets the trailer
//     fields once the body is read to its end (a streamed body's trailer
//     fields are dropped, so its r.Trailer keeps the declared keys only).
//     As net/http: Pragma: no-cache implies Cache-Control: no-cache, a
//     repeated Content-Length is kept once, and "OPTIONS *" is answered
//     with 200 and no body without calling the handler.
//   - http.MaxBytesReader returns its error but cannot have the connection
//     closed (net/http does that through an unexported hook); the rest of
//     the body is dropped as for any unread body.
//   - w implements http.Flusher and FlushError (http.ResponseController's
//     Flush): output is sent and Flush returns once the client took it.
//
// Not supported, reported the standard way: http.Hijacker (the
// ResponseController's Hijack returns http.ErrNotSupported; a type
// assertion fails), read and write deadlines and full duplex through
// http.ResponseController (http.ErrNotSupported; use the server's
// timeouts), HTTP/2 and its server push (http.Pusher), TLS, the deprecated
// http.CloseNotifier (use r.Context()) and http.ServerContextKey. A panic in
// the handler closes the connection without a response, or without the
// rest of it when part already went out (net/http also sends what it had
// buffered); http.ErrAbortHandler is not logged.
//
// In Inline mode a handler cannot wait for its client: flushed output that
// the socket does not take at once is sent after the handler returns.
func HTTPHandler(h http.Handler) Handler { return &httpHandler{h: h} }

// httpHandler is the Handler HTTPHandler returns. The server recognises it
// and serves through serveHTTP, which needs the connection.
type httpHandler struct{ h http.Handler }

// Serve answers 500: an adapted handler needs a connection, so it runs only
// when a Server calls it.
func (a *httpHandler) Serve(req *protocol.Request, res *protocol.Response) {
	res.Status(500).ContentType("text/plain; charset=utf-8").BodyString("server.HTTPHandler runs only inside server.Server\n")
}

// httpExchange is everything one adapted request needs besides the
// http.Request itself, in one allocation. A handler may keep the request
// (and its context and body) after it returns, so none of it is reused.
type httpExchange struct {
	url  url.URL
	ctx  requestContext
	body httpBody
	rw   responseWriter
}

// serveHTTP runs an adapted handler for the request in c.ex. It reports
// false when the handler panicked.
func (c *conn) serveHTTP(a *httpHandler) (keepAlive bool, ok bool) {
	req := &c.ex.req
	hx := &httpExchange{}
	r := c.httpRequest(req, hx)

	hx.ctx.pc = c.pc
	hx.ctx.start = c.srv.now.Load()
	c.hctx.Store(&hx.ctx)
	r = r.WithContext(&hx.ctx)
	hx.body.req = r

	w := &hx.rw
	w.c, w.req, w.body = c, r, &hx.body
	w.snap = &c.ex.snap
	w.contentLength = -1
	w.isHEAD = r.Method == http.MethodHead
	conn := r.Header["Connection"]
	w.wants10Keep = r.ProtoMinor == 0 && hasToken(conn, "keep-alive")
	w.wantsClose = r.Close || hasToken(conn, "close")
	w.noKeepAlive = c.srv.draining.Load()
	w.cw.w = w
	if bw, _ := bufioPool.Get().(*bufio.Writer); bw != nil {
		bw.Reset(w.cw)
		w.bw = bw
	} else {
		w.bw = bufio.NewWriterSize(w.cw, chunkingThreshold)
	}
	h := a.h
	if r.RequestURI == "*" && r.Method == http.MethodOptions {
		h = serverOptions // as net/http: "OPTIONS *" asks about the server, not a resource
	}
	returned := false
	defer func() {
		if !returned {
			hx.body.endReads() // a Goexit: runTurn's recovery closes the connection, which must be this goroutine's
		}
	}()
	ok = c.callHTTP(h, w, r)
	returned = true
	hx.body.endReads() // before this goroutine touches the connection again
	if r.MultipartForm != nil {
		_ = r.MultipartForm.RemoveAll() // the temporary files of ParseMultipartForm, as net/http
	}
	c.hctx.Store(nil)
	hx.ctx.handlerReturned()
	if !ok {
		w.done = true
		w.snap.reset()
		if w.bw != nil {
			w.bw.Reset(nil)
			bufioPool.Put(w.bw)
			w.bw = nil
		}
		return false, false
	}
	if req.BodyStreamed() {
		c.finishBody() // before the head is written, which says whether the connection stays
	}
	keepAlive = w.finish()
	if c.bodyUnfinished() {
		keepAlive = false // the rest of the body was not read
	}
	return keepAlive, true
}

// serverOptions answers "OPTIONS *" (RFC 9110 §9.3.7) as net/http's
// server does, with 200 and no body, before any handler sees it.
var serverOptions = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Length", "0")
	if r.ContentLength != 0 {
		// Up to 4 KiB of body is read; past that the connection closes
		// (net/http's MaxBytesReader does it through a hook of its own).
		const limit = 4 << 10
		if n, _ := io.Copy(io.Discard, io.LimitReader(r.Body, limit+1)); n > limit {
			w.Header().Set("Connection", "close")
		}
	}
})

// callHTTP runs h and reports false when it panicked.
func (c *conn) callHTTP(h http.Handler, w *responseWriter, r *http.Request) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				c.srv.log.Error("handler panicked", zap.Any("panic", v), zap.Stack("stack"),
					zap.String("method", r.Method), zap.String("target", r.RequestURI))
			}
			ok = false
		}
	}()
	h.ServeHTTP(w, r)
	return true
}

// httpRequest builds the http.Request for req. Strings are copied out of the
// connection's buffer once, as one string the fields slice into.
func (c *conn) httpRequest(req *protocol.Request, hx *httpExchange) *http.Request {
	a, remote := c.newArena(req)
	var r http.Request
	r.Method = req.Method() // static for the standard methods
	if a.contains(r.Method) {
		r.Method = a.str(r.Method)
	}
	r.RequestURI = a.str(req.Target())
	r.Proto = req.Proto()
	r.ProtoMajor, r.ProtoMinor = 1, req.ProtoMinor()
	r.Host = a.str(req.Host())
	r.URL = c.requestURL(req, &hx.url, &a)

	fields := req.Headers()
	values := make([]string, len(fields)) // one backing array for the 1-value slices
	r.Header = make(http.Header, len(fields))
	for i, f := range fields {
		name := textproto.CanonicalMIMEHeaderKey(a.str(f.Name))
		if name == "Host" {
			continue
		}
		if name == "Transfer-Encoding" {
			continue // net/http moves it to r.TransferEncoding
		}
		values[i] = a.str(f.Value)
		if vs, dup := r.Header[name]; dup {
			r.Header[name] = append(vs, values[i])
		} else {
			r.Header[name] = values[i : i+1 : i+1]
		}
	}
	r.ContentLength = 0
	switch {
	case req.Chunked():
		r.ContentLength = -1
		r.TransferEncoding = []string{"chunked"}
		r.Trailer = declaredTrailers(r.Header)
	case req.ContentLength() > 0:
		r.ContentLength = req.ContentLength()
	}
	if cl := r.Header["Content-Length"]; len(cl) > 1 || len(cl) == 1 && strings.Contains(cl[0], ",") {
		// The parser took a list of identical values; net/http keeps one.
		r.Header["Content-Length"] = []string{strconv.FormatInt(req.ContentLength(), 10)}
	}
	if p := r.Header["Pragma"]; len(p) > 0 && p[0] == "no-cache" && r.Header["Cache-Control"] == nil {
		r.Header["Cache-Control"] = []string{"no-cache"} // HTTP/1.0's cache directive, as net/http
	}
	r.Close = !req.KeepAlive()
	r.RemoteAddr = remote
	b := &hx.body
	b.c = c
	b.expect = req.ExpectContinue()
	switch {
	case req.BodyStreamed():
		b.streamed = true
		r.Body = b
	case len(req.Body()) > 0 || req.Chunked():
		// A chunked body, even an empty one, ends in trailers that
		// reach r.Trailer at its end, as in net/http.
		b.rest = req.Body()
		b.trailers = req.Trailers()
		r.Body = b
	default:
		r.Body = http.NoBody
	}
	return &r
}

// requestURL parses the request-target into u as net/http does, taking a
// short cut for the common origin-form target that needs no decoding.
func (c *conn) requestURL(req *protocol.Request, u *url.URL, a *arena) *url.URL {
	target := req.Target()
	if strings.HasPrefix(target, "/") && !strings.HasPrefix(target, "//") && !strings.ContainsAny(target, "%#") {
		u.Path = a.str(req.Path())
		if !plainPath(u.Path) {
			u.RawPath = u.Path // as url.URL.setPath: EscapedPath keeps it as sent
		}
		u.RawQuery = a.str(req.Query())
		u.ForceQuery = strings.HasSuffix(target, "?")
		return u
	}
	parsed, err := url.ParseRequestURI(a.str(target))
	if err != nil {
		// The parser accepted the target, so this is rare (odd escapes);
		// keep the raw path so routing still sees it.
		u.Path = a.str(req.Path())
		u.RawQuery = a.str(req.Query())
		return u
	}
	return parsed
}

// plainPath reports whether url.PathEscape-style path escaping leaves p as
// it is (unreserved bytes and "$&+,/:;=@"), so that URL.RawPath stays
// empty; net/url sets RawPath to the path as sent otherwise ("!", "(",
// "*", UTF-8, ...), and EscapedPath, String and ServeMux's redirects use it.
func plainPath(p string) bool {
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '.', c == '_', c == '~', c == '$', c == '&', c == '+',
			c == ',', c == '/', c == ':', c == ';', c == '=', c == '@':
		default:
			return false
		}
	}
	return true
}

// arena copies the request's strings out of the connection buffer: the
// header section becomes one string, and every string inside it becomes a
// slice of that string.
type arena struct {
	s    string
	base uintptr
}

// newArena copies the header section and the client's address (formatted
// as net.TCPAddr.String does) into one string, and returns the arena and
// the address.
func (c *conn) newArena(req *protocol.Request) (arena, string) {
	head := req.Head()
	b := req.AppendRemoteAddr(append(c.ex.scratch[:0], head...))
	c.ex.scratch = b
	s := string(b)
	if len(head) == 0 {
		return arena{}, s
	}
	return arena{s: s[:len(head)], base: uintptr(unsafe.Pointer(unsafe.SliceData(head)))}, s[len(head):]
}

// contains reports whether s lies in the header section.
func (a *arena) contains(s string) bool {
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	return a.base != 0 && p >= a.base && p+uintptr(len(s)) <= a.base+uintptr(len(a.s))
}

// str returns s as a slice of the arena when s lies in the header section,
// and a copy otherwise.
func (a *arena) str(s string) string {
	if s == "" {
		return ""
	}
	if a.contains(s) {
		off := uintptr(unsafe.Pointer(unsafe.StringData(s))) - a.base
		return a.s[off : off+uintptr(len(s))]
	}
	return strings.Clone(s)
}

// hasToken reports whether any of the field values lists token.
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for opt := range headerElements(v) {
			if strings.EqualFold(opt, token) {
				return true
			}
		}
	}
	return false
}

// declaredTrailers returns the trailer fields a chunked request's Trailer
// header announces, with nil values, as net/http's r.Trailer starts, and
// removes the Trailer header. Framing fields cannot be trailers (RFC 9110
// §6.5.1) and are left out.
func declaredTrailers(h http.Header) http.Header {
	vs, ok := h["Trailer"]
	if !ok {
		return nil
	}
	delete(h, "Trailer")
	var t http.Header
	for _, v := range vs {
		for key := range headerElements(v) {
			switch key = textproto.CanonicalMIMEHeaderKey(key); key {
			case "Transfer-Encoding", "Trailer", "Content-Length":
				continue
			}
			if t == nil {
				t = make(http.Header)
			}
			t[key] = nil
		}
	}
	return t
}

// httpBody is r.Body of an adapted request: the buffered body, or the
// connection itself for a streamed one. It is valid until the handler
// returns, like net/http's.
type httpBody struct {
	// mu is held for every Read: a goroutine the handler started may read
	// while, or after, the handler returns (http.TimeoutHandler's does),
	// and a streamed read may park the connection (see endReads).
	mu       sync.Mutex
	c        *conn
	req      *http.Request
	rest     []byte            // unread buffered body
	trailers []protocol.Header // a buffered chunked body's trailers, for r.Trailer at its end
	streamed bool
	expect   bool // the client sent "Expect: 100-continue"
	sawEOF   bool
	closed   atomic.Bool
}

// Read implements io.Reader.
func (b *httpBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed.Load() {
		return 0, http.ErrBodyReadAfterClose
	}
	if b.sawEOF {
		return 0, io.EOF
	}
	if b.streamed {
		n, err := b.c.readBody(p)
		if errors.Is(err, io.EOF) {
			b.sawEOF = true
		}
		if errors.Is(err, errReadAbandoned) {
			return n, http.ErrBodyReadAfterClose
		}
		if err != nil && !errors.Is(err, io.EOF) {
			if x, ok := b.req.Context().(*requestContext); ok {
				x.cancel(context.Canceled)
			}
		}
		return n, err
	}
	n := copy(p, b.rest)
	b.rest = b.rest[n:]
	if len(b.rest) == 0 {
		b.sawEOF = true
		b.setTrailers()
		return n, io.EOF
	}
	return n, nil
}

// setTrailers puts the trailer fields that arrived into r.Trailer once the
// body has been read to its end, as net/http does: each name received
// replaces the declared one's values.
func (b *httpBody) setTrailers() {
	if len(b.trailers) == 0 {
		return
	}
	got := make(http.Header, len(b.trailers))
	for _, f := range b.trailers {
		key := textproto.CanonicalMIMEHeaderKey(strings.Clone(f.Name))
		got[key] = append(got[key], strings.Clone(f.Value))
	}
	if b.req.Trailer == nil {
		b.req.Trailer = make(http.Header, len(got))
	}
	maps.Copy(b.req.Trailer, got)
	b.trailers = nil
}

// Close implements io.Closer. Later reads fail with
// http.ErrBodyReadAfterClose. A buffered chunked body's trailer fields
// reach r.Trailer, as net/http's Close reads the body to its end.
func (b *httpBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.streamed && !b.closed.Load() {
		b.setTrailers()
	}
	b.closed.Store(true)
	b.rest = nil
	return nil
}

// endReads is called when the handler has returned, or ended in a
// Goexit: later reads fail, as net/http's, and a read still running on a
// goroutine the handler left behind is ended first (lockIO).
func (b *httpBody) endReads() {
	b.closed.Store(true)
	b.lockIO()
	b.rest = nil
	b.mu.Unlock()
}

// lockIO takes the lock before the server's goroutine touches the
// connection while the handler runs or once it has returned. A read
// another goroutine holds it for may be parked for the client, and then
// holds the connection (blocking.go): it is ended, the body closed, and
// the loop gives the connection back to it at its next sweep (a tick at
// most) instead of when the client sends more. So, as with net/http's
// HTTP/1 server, a body being read from another goroutine is closed once
// the response goes out.
func (b *httpBody) lockIO() {
	if b.mu.TryLock() {
		return
	}
	b.closed.Store(true)
	ex := b.c.ex
	if b.streamed {
		ex.readAbandoned.Store(true)
		b.c.deadline.Store(0)
	}
	b.mu.Lock()
	if ex.readAbandoned.Swap(false) {
		// The connection is this goroutine's again, with the deadline
		// of 0 left: give it a writer's.
		b.c.setDeadline(b.c.srv.cfg.WriteTimeout)
	}
}
