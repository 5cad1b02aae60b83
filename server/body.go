package server

import (
	"errors"
	"fmt"
	"io"

	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/protocol"
)

// A streamed request body (Config.StreamBodies) is read by the handler from
// the connection's input buffer. The header section stays where it is at
// the front of conn.in, because the request's strings point into it; the
// body's wire bytes follow from exchange.wire, are decoded in place by the
// parser, handed to the handler, and dropped. Bytes past the end of the body
// (a pipelined request) stay for the next turn.

// streamedBody is the read state of a streamed body, reset for every
// request.
type streamedBody struct {
	// wire is where the body's unread wire bytes start in conn.in.
	wire int
	// pending is decoded body not read yet; it occupies the first
	// pendingWire of the wire bytes.
	pending     []byte
	pendingWire int
	// err: the body was malformed or over a limit.
	err error
}

// bodyStream is the io.Reader a handler gets from Request.BodyReader for a
// streamed body.
type bodyStream conn

// Read implements io.Reader.
func (b *bodyStream) Read(p []byte) (int, error) { return (*conn)(b).readBody(p) }

// readBody reads the streamed body of the request being handled into p,
// waiting for the client while none is buffered.
func (c *conn) readBody(p []byte) (int, error) {
	ex := c.ex
	b := &ex.body
	for {
		if len(b.pending) > 0 {
			n := copy(p, b.pending)
			b.pending = b.pending[n:]
			if len(b.pending) == 0 {
				c.dropWire(b.pendingWire)
				b.pendingWire = 0
			}
			return n, nil
		}
		switch {
		case ex.failed != nil:
			return 0, ex.failed
		case b.err != nil:
			return 0, b.err
		case !ex.parser.InBody(): // never streamed, or read to the end
			return 0, io.EOF
		case len(p) == 0:
			return 0, nil
		}
		if ex.parser.NeedsContinue() {
			ex.parser.ContinueSent()
			// The client waits for this before sending the body (RFC
			// 9110 §10.1.1); it is due now that the handler reads, unless
			// the response has begun: a 100 then would land inside it,
			// and the client sends the body after its own wait instead.
			if !ex.noContinue.Load() && !ex.res.Streaming() {
				c.out = append(c.outBuf(), protocol.Continue...)
				if err := c.writeAll(); err != nil {
					return 0, err
				}
			}
		}
		body, consumed, err := ex.parser.ReadBody(c.in[b.wire:])
		if err != nil && !errors.Is(err, io.EOF) {
			// Malformed or over a limit: the handler may still answer
			// (with the status of err, say); the connection closes after.
			return 0, ex.failBody(err)
		}
		if len(body) > 0 {
			b.pending, b.pendingWire = body, consumed
			continue
		}
		c.dropWire(consumed)
		if consumed == 0 && err == nil {
			if err := c.receiveBody(); err != nil {
				return 0, err
			}
		}
	}
}

// dropWire removes n consumed wire bytes of the body from the input.
func (c *conn) dropWire(n int) {
	if n == 0 {
		return
	}
	w := c.ex.body.wire
	rest := copy(c.in[w:], c.in[w+n:])
	c.in = c.in[:w+rest]
}

// receiveBody appends more of the body's wire bytes to the input, parking
// until the client sends some.
func (c *conn) receiveBody() error {
	ex := c.ex
	for {
		if len(c.in) == cap(c.in) {
			c.in = growPinned(c.in)
		}
		n, err := c.pc.Read(c.in[len(c.in):cap(c.in)])
		if n > 0 {
			c.in = c.in[:len(c.in)+n]
			return nil
		}
		switch {
		case errors.Is(err, io.EOF):
			// The client closed its side mid-body. It may still read:
			// the handler's answer goes out, then the connection closes.
			return ex.failBody(io.ErrUnexpectedEOF)
		case !errors.Is(err, poller.ErrWouldBlock):
			return ex.fail(fmt.Errorf("%w: %w", ErrConnectionFailed, err))
		}
		// Never Inline here (Config rules StreamBodies out with it), so
		// parking does not stall the loop.
		// The answers to requests pipelined before this one go out first,
		// as far as the socket takes them now: the client may wait for
		// them before it sends this body, or read only once it sent it.
		// (None of this response is in c.out: a native response is built
		// after the handler returns, and an HTTPHandler's body reads end
		// once its head is written.)
		if _, err := c.writeSome(); err != nil {
			return err
		}
		if err := c.park(poller.Readable, c.srv.cfg.ReadBodyTimeout); err != nil {
			return err
		}
		if c.data != nil {
			// A backend that reads for us delivered the bytes.
			for len(c.in)+len(c.data) > cap(c.in) {
				c.in = growPinned(c.in)
			}
			c.in = append(c.in, c.data...)
			c.data = nil
			return nil
		}
	}
}

// finishBody drops what the handler left unread of a streamed body, as
// far as the body is already buffered; it never waits for the client. The
// server calls it when the handler has returned: if the body is then
// complete, the bytes after it are the next request; if not,
// bodyUnfinished says so and the connection closes after the response.
// Left in place, unread body bytes would be parsed as a request.
func (c *conn) finishBody() {
	ex := c.ex
	b := &ex.body
	for b.err == nil && ex.failed == nil {
		if len(b.pending) > 0 {
			b.pending = nil
			c.dropWire(b.pendingWire)
			b.pendingWire = 0
		}
		if !ex.parser.InBody() {
			return
		}
		body, consumed, err := ex.parser.ReadBody(c.in[b.wire:])
		if err != nil && !errors.Is(err, io.EOF) {
			_ = ex.failBody(err)
			return
		}
		if len(body) > 0 {
			b.pending, b.pendingWire = body, consumed
			continue
		}
		c.dropWire(consumed)
		if consumed == 0 {
			return // the rest is still on the way
		}
	}
}

// bodyUnfinished reports whether the streamed body of the request just
// handled is not wholly read and dropped (see finishBody) or broken: what
// follows on the wire is then not a request, so the connection closes
// after the response.
func (c *conn) bodyUnfinished() bool {
	b := &c.ex.body
	return c.ex.parser.InBody() || b.err != nil || len(b.pending) > 0
}

// growPinned returns a larger copy of b and leaves b to the collector
// instead of the pool: the request's strings still point into it.
func growPinned(b []byte) []byte {
	grown := make([]byte, len(b), max(2*cap(b), bufferSize))
	copy(grown, b)
	return grown
}
