package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/protocol"
)

// fuzzConn is a kernel-less poller.Conn for FuzzTurns: each readable event
// hands out one chunk of the client's bytes, then io.EOF once they are all
// out; writes are taken whole and kept.
type fuzzConn struct {
	chunk  []byte // this event's input
	eof    bool   // the client closed its side after its last chunk
	out    bytes.Buffer
	armed  poller.Interest
	closed bool
	ctx    any
}

func (f *fuzzConn) Read(p []byte) (int, error) {
	if len(f.chunk) > 0 {
		n := copy(p, f.chunk)
		f.chunk = f.chunk[n:]
		return n, nil
	}
	if f.eof {
		return 0, io.EOF
	}
	return 0, poller.ErrWouldBlock
}

func (f *fuzzConn) Write(p []byte) (int, error)      { return f.out.Write(p) }
func (f *fuzzConn) Arm(i poller.Interest) error      { f.armed = i; return nil }
func (f *fuzzConn) CloseWrite() error                { return nil }
func (f *fuzzConn) Close() error                     { f.closed = true; return nil }
func (f *fuzzConn) SetContext(v any)                 { f.ctx = v }
func (f *fuzzConn) Context() any                     { return f.ctx }
func (f *fuzzConn) LocalAddr() net.Addr              { return nil }
func (f *fuzzConn) RemoteAddr() net.Addr             { return nil }
func (f *fuzzConn) AppendRemoteAddr(b []byte) []byte { return b }

// fuzzHandler answers with the method, the target and the body; HEAD gets
// no body, so responses can be read back without the requests.
func fuzzHandler(req *protocol.Request, res *protocol.Response) {
	if req.Method() == "HEAD" {
		return
	}
	if strings.HasPrefix(req.Path(), "/close") {
		res.Close()
	}
	res.ContentType("text/plain").BodyString(req.Method() + " " + req.Target() + " " + string(req.Body()))
}

// fuzzHTTPHandler is fuzzHandler written for net/http, served through
// HTTPHandler.
var fuzzHTTPHandler = HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if r.Method == "HEAD" {
		return
	}
	if strings.HasPrefix(r.URL.Path, "/close") {
		w.Header().Set("Connection", "close")
	}
	io.WriteString(w, r.Method+" "+r.RequestURI+" ")
	io.Copy(w, r.Body)
}))

// FuzzTurns drives one connection's turns, as the event loop and a worker
// would, with any bytes from the client cut into chunks at any points and
// any pipelining budget, read from the socket or carried by the events
// (the completion backends' way; the mode's 0x40 bit), on the native API
// or through HTTPHandler (the mode's top bit). No turn may panic, the
// connection must close once the client has closed, the output must read
// back as a sequence of well-formed responses, none after one that says it
// closes, and it must say what the same bytes say read at once: the same
// statuses, and the same bodies for successful requests (the handlers echo
// the request), so no cut or budget changes how a request is framed.
func FuzzTurns(f *testing.F) {
	const get = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
	for _, seed := range []string{
		get,
		get + get + get,
		get + "GARBAGE\r\n\r\n" + get, // a refused request after a good one in one read
		get + "GET / HTTP/1.1\r\n\r\n",
		"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" + get,
		"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + get,
		"POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
		"GET /close HTTP/1.1\r\nHost: x\r\n\r\n" + get,
		"GET /a HTTP/1.0\r\n\r\n" + get,
		"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + get,
		"HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n" + get,
		"\r\n" + get + "\n",
		// Past the first 4 KiB buffer in tiny chunks: the framing is
		// reclaimed (Parser.Compact) before the buffer grows.
		"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + strings.Repeat("1\r\nx\r\n", 1000) + "0\r\n\r\n" + get,
		get + "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + strings.Repeat("1\r\nx\r\n", 900) + "0\r\n\r\n" + get,
	} {
		f.Add([]byte(seed), uint64(0), uint8(0))
		f.Add([]byte(seed), uint64(0x0123456789abcdef), uint8(1))
		f.Add([]byte(seed), uint64(0xfedcba9876543210), uint8(0x80))
		f.Add([]byte(seed), uint64(0x0123456789abcdef), uint8(0x43))
		f.Add([]byte(seed), uint64(0xeeeeeeeeeeeeeeee), uint8(3))
		f.Add([]byte(seed), uint64(0xfdfdfdfdfdfdfdfd), uint8(0x42))
	}
	f.Fuzz(func(t *testing.T, in []byte, cuts uint64, mode uint8) {
		if len(in) > 8<<10 {
			return
		}
		var h Handler = HandlerFunc(fuzzHandler)
		if mode&0x80 != 0 {
			h = fuzzHTTPHandler
		}
		out := runTurns(t, h, int(mode%4)+1, cut(in, cuts), mode&0x40 != 0)
		checkResponses(t, out)
		whole := runTurns(t, h, 0, [][]byte{in}, false)
		if got, want := summarize(out), summarize(whole); got != want {
			t.Fatalf("cut %x, mode %x: the responses differ from those to the same bytes read at once:\n got %q\nwant %q", cuts, mode, got, want)
		}
	})
}

// runTurns drives a connection through its turns until it closes, with
// the client's bytes arriving in chunks, one per readable event, read from
// the socket or carried as Event.Data, then EOF; it returns what the
// server wrote.
func runTurns(t *testing.T, h Handler, maxPipelined int, chunks [][]byte, asData bool) []byte {
	t.Helper()
	core, logs := observer.New(zapcore.ErrorLevel)
	s, err := New(Config{Logger: zap.New(core), MaxPipelined: maxPipelined}, h)
	if err != nil {
		t.Fatal(err)
	}
	fc := &fuzzConn{}
	c := &conn{srv: s, pc: fc}
	s.live.Add(1)
	var st stash
	event := poller.EventReadable
	for turn := 0; !fc.closed; turn++ {
		if turn == 10_000 {
			t.Fatal("the connection is still open 10,000 turns after the client closed")
		}
		c.data = nil
		if event == poller.EventReadable {
			switch {
			case len(chunks) == 0:
				fc.eof = true
			case asData:
				c.data, chunks = chunks[0], chunks[1:]
			default:
				fc.chunk, chunks = chunks[0], chunks[1:]
			}
		}
		c.own.v.Store(stateBusy)
		c.event = event
		c.runTurn(&st)
		if logs.Len() > 0 {
			t.Fatalf("turn %d: %s %v", turn, logs.All()[0].Message, logs.All()[0].ContextMap())
		}
		event = poller.EventReadable
		if fc.armed == poller.Writable {
			event = poller.EventWritable
		}
	}
	return fc.out.Bytes()
}

// summarize lists the final responses in out: their statuses, and the
// bodies of the successful ones with a length (an error's text may name a
// different fault when its bytes arrive cut differently).
func summarize(out []byte) string {
	var b strings.Builder
	r := bufio.NewReader(bytes.NewReader(out))
	for {
		if _, err := r.Peek(1); err != nil {
			return b.String()
		}
		res, err := http.ReadResponse(r, nil)
		if err != nil {
			return b.String() + "unreadable: " + err.Error()
		}
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode == 100 {
			continue // sent only when the body was not there yet
		}
		if res.StatusCode >= 300 || res.ContentLength < 0 && len(res.TransferEncoding) == 0 {
			// An error, or a body read to the end of the output (a HEAD
			// answer without Content-Length, read here as if for a GET),
			// which holds what follows it.
			body = nil
		}
		fmt.Fprintf(&b, "%d %q\n", res.StatusCode, body)
	}
}

// cut splits b into chunks whose sizes come from cuts, 4 bits at a time:
// 1 to 11 bytes, or 100, 1,000, 3,000 or 5,000 bytes for 12 to 15 (enough
// to fill the first 4 KiB buffer while a request is unfinished); 0 bits
// mean the rest in one chunk.
func cut(b []byte, cuts uint64) [][]byte {
	var chunks [][]byte
	for len(b) > 0 {
		n := int(cuts & 15)
		cuts >>= 4
		if n >= 12 {
			n = [...]int{100, 1000, 3000, 5000}[n-12]
		}
		if n == 0 || n > len(b) {
			n = len(b)
		}
		chunks = append(chunks, b[:n])
		b = b[n:]
	}
	return chunks
}

// checkResponses reads out as responses to the end: each must be
// well-formed, and none may follow one that closes the connection.
func checkResponses(t *testing.T, out []byte) {
	t.Helper()
	r := bufio.NewReader(bytes.NewReader(out))
	for i := 0; ; i++ {
		if _, err := r.Peek(1); err == io.EOF {
			return
		}
		res, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("response %d: %v in %q", i, err, out)
		}
		if _, err := io.Copy(io.Discard, res.Body); err != nil {
			t.Fatalf("response %d body: %v in %q", i, err, out)
		}
		if res.Close && r.Buffered() > 0 {
			t.Fatalf("response %d closes the connection, yet bytes follow: %q", i, out)
		}
	}
}
