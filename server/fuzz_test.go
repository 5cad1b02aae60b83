package server

import (
	"bufio"
	"bytes"
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

// fuzzHandler answers with the method and target, and the body's length;
// HEAD gets no body, so responses can be read back without the requests.
func fuzzHandler(req *protocol.Request, res *protocol.Response) {
	if req.Method() == "HEAD" {
		return
	}
	if strings.HasPrefix(req.Path(), "/close") {
		res.Close()
	}
	res.ContentType("text/plain").BodyString(req.Method() + " " + req.Target())
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
	io.WriteString(w, r.Method+" "+r.RequestURI)
}))

// FuzzTurns drives one connection's turns, as the event loop and a worker
// would, with any bytes from the client cut into chunks at any points and
// any pipelining budget, on the native API or through HTTPHandler (the
// mode's top bit): no turn may panic, the connection must close
// once the client has closed, and the output must read back as a sequence
// of well-formed responses, none after one that says it closes.
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
	} {
		f.Add([]byte(seed), uint64(0), uint8(0))
		f.Add([]byte(seed), uint64(0x0123456789abcdef), uint8(1))
		f.Add([]byte(seed), uint64(0xfedcba9876543210), uint8(0x80))
	}
	f.Fuzz(func(t *testing.T, in []byte, cuts uint64, mode uint8) {
		if len(in) > 8<<10 {
			return
		}
		core, logs := observer.New(zapcore.ErrorLevel)
		var h Handler = HandlerFunc(fuzzHandler)
		if mode&0x80 != 0 {
			h = fuzzHTTPHandler
		}
		s, err := New(Config{Logger: zap.New(core), MaxPipelined: int(mode%4) + 1}, h)
		if err != nil {
			t.Fatal(err)
		}
		fc := &fuzzConn{}
		c := &conn{srv: s, pc: fc}
		s.live.Add(1)
		var st stash
		chunks := cut(in, cuts)
		event := poller.EventReadable
		for turn := 0; !fc.closed; turn++ {
			if turn == 10_000 {
				t.Fatal("the connection is still open 10,000 turns after the client closed")
			}
			if event == poller.EventReadable {
				if len(chunks) > 0 {
					fc.chunk, chunks = chunks[0], chunks[1:]
				} else {
					fc.eof = true
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
		checkResponses(t, fc.out.Bytes())
	})
}

// cut splits b into chunks whose sizes come from cuts, 4 bits at a time
// (1 to 16 bytes; 0 bits mean the rest in one chunk).
func cut(b []byte, cuts uint64) [][]byte {
	var chunks [][]byte
	for len(b) > 0 {
		n := int(cuts & 15)
		cuts >>= 4
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
