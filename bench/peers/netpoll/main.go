// Command netpoll is a hello server on bare cloudwego/netpoll for
// "miniasync bench --external": its OnRequest frames requests with the
// shared minimal framer, answers pipelined requests in one flush, and
// consumes all its input as netpoll requires (waiting for the rest of a
// partial request). It listens on $ADDR (default 127.0.0.1:8080).
package main

import (
	"context"
	"log"
	"time"

	"github.com/cloudwego/netpoll"

	"github.com/miniasync/miniasync/bench/peers/internal/hello"
)

// onRequest answers every complete request in the connection's input.
func onRequest(_ context.Context, conn netpoll.Connection) error {
	r, w := conn.Reader(), conn.Writer()
	defer func() { _ = r.Release() }()
	for r.Len() > 0 {
		in, err := r.Peek(r.Len())
		if err != nil {
			return err
		}
		n, consumed, err := hello.Requests(in)
		if err != nil {
			_ = conn.Close()
			return err
		}
		if n == 0 {
			// A partial request: wait (up to the read timeout) for more.
			if _, err := r.Peek(r.Len() + 1); err != nil {
				_ = conn.Close()
				return err
			}
			continue
		}
		if err := r.Skip(consumed); err != nil {
			return err
		}
		resp := hello.Response()
		out, err := w.Malloc(n * len(resp))
		if err != nil {
			return err
		}
		for i := range n {
			copy(out[i*len(resp):], resp)
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	ln, err := netpoll.CreateListener("tcp", hello.Addr())
	if err != nil {
		log.Fatal(err)
	}
	loop, err := netpoll.NewEventLoop(onRequest, netpoll.WithReadTimeout(30*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	if err := loop.Serve(ln); err != nil {
		log.Fatal(err)
	}
}
