// Command gnet is a hello server on panjf2000/gnet v2 for
// "miniasync bench --external": gnet hands over raw bytes, so it frames
// requests with the shared minimal framer and answers pipelined requests
// in one write. It listens on $ADDR (default 127.0.0.1:8080).
package main

import (
	"log"

	"github.com/panjf2000/gnet/v2"

	"github.com/miniasync/miniasync/bench/peers/internal/hello"
)

// server answers every request with the hello response.
type server struct {
	gnet.BuiltinEventEngine
}

// OnOpen gives each connection a reusable output buffer.
func (s *server) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	buf := make([]byte, 0, 4096)
	c.SetContext(&buf)
	return nil, gnet.None
}

// OnTraffic answers the complete requests received, leaving a partial one
// in gnet's buffer for the next call.
func (s *server) OnTraffic(c gnet.Conn) gnet.Action {
	in, err := c.Peek(-1)
	if err != nil {
		return gnet.Close
	}
	n, consumed, err := hello.Requests(in)
	if err != nil {
		return gnet.Close
	}
	if _, err := c.Discard(consumed); err != nil {
		return gnet.Close
	}
	if n == 0 {
		return gnet.None
	}
	out := c.Context().(*[]byte)
	*out = hello.AppendResponses((*out)[:0], n)
	if _, err := c.Write(*out); err != nil {
		return gnet.Close
	}
	return gnet.None
}

func main() {
	if err := gnet.Run(&server{}, "tcp://"+hello.Addr(), gnet.WithMulticore(true), gnet.WithReusePort(false)); err != nil {
		log.Fatal(err)
	}
}
