package server

import (
	"bytes"
	"fmt"
	"net"
	"testing"

	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/protocol"
)

// turnConn is a poller.Conn without a kernel: each turn reads the same
// input once and output is counted and dropped, so a benchmark over it
// measures what a turn costs in user space alone.
type turnConn struct {
	in      []byte
	pending bool // in is still to be read this turn
	written int
	ctx     any
}

func (f *turnConn) Read(p []byte) (int, error) {
	if !f.pending {
		return 0, poller.ErrWouldBlock
	}
	f.pending = false
	return copy(p, f.in), nil
}

func (f *turnConn) Write(p []byte) (int, error) { f.written += len(p); return len(p), nil }
func (f *turnConn) Arm(poller.Interest) error   { return nil }
func (f *turnConn) CloseWrite() error           { return nil }
func (f *turnConn) Close() error                { return nil }
func (f *turnConn) SetContext(v any)            { f.ctx = v }
func (f *turnConn) Context() any                { return f.ctx }
func (f *turnConn) LocalAddr() net.Addr         { return nil }
func (f *turnConn) RemoteAddr() net.Addr        { return nil }

// BenchmarkTurn is one worker turn of a keep-alive connection whose input
// holds 1 or 16 hello requests: read, parse, handler, response, write,
// re-arm, with no system call. It reports ns per request, the server's
// user-space share of a request that the socket benchmarks (and the bench
// command) mix with the kernel's.
func BenchmarkTurn(b *testing.B) {
	req := []byte("GET / HTTP/1.1\r\nHost: 127.0.0.1:7878\r\n\r\n")
	for _, n := range []int{1, 16} {
		b.Run(fmt.Sprintf("pipelined%d", n), func(b *testing.B) {
			s, err := New(Config{}, HandlerFunc(func(_ *protocol.Request, res *protocol.Response) {
				res.ContentType("text/plain").BodyString("Hello")
			}))
			if err != nil {
				b.Fatal(err)
			}
			fc := &turnConn{in: bytes.Repeat(req, n)}
			c := &conn{srv: s, pc: fc}
			var st stash
			b.ReportAllocs()
			for b.Loop() {
				fc.pending = true
				c.own.v.Store(stateBusy)
				c.event = poller.EventReadable
				c.runTurn(&st)
			}
			if c.own.v.Load() != stateArmed || fc.written == 0 {
				b.Fatalf("the turn did not answer and re-arm: state %d, %d bytes written", c.own.v.Load(), fc.written)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/request")
		})
	}
}
