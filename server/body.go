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

// bodyStream is the io.Reader a handler gets from Request.BodyReader for a
// streamed body.
type bodyStream conn

// Read implements io.Reader.
func (b *bodyStream) Read(p []byte) (int, error) { return (*conn)(b).readBody(p) }

// errBlockingInline is returned when a streamed body would need a handler
// running inline on the event loop to wait.
var errBlockingInline = errors.New("server: a handler running inline cannot wait for the client")

// readBody reads the streamed body of the request being handled into p,
// waiting for the client while none is buffered.
func (c *conn) readBody(p []byte) (int, error) {
	ex := c.ex
	for {
		if len(ex.pending) > 0 {
			n := copy(p, ex.pending)
			ex.pending = ex.pending[n:]
			if len(ex.pending) == 0 {
				c.dropWire(ex.pendingWire)
				ex.pendingWire = 0
			}
			return n, nil
		}
		switch {
		case ex.bodyDone:
			return 0, io.EOF
		case ex.failed != nil:
			return 0, ex.failed
		case ex.bodyErr != nil:
			return 0, ex.bodyErr
		case !ex.parser.InBody():
			return 0, io.EOF
		case len(p) == 0:
			return 0, nil
		}
		if ex.parser.NeedsContinue() {
			// The client waits for this before sending the body (RFC
			// 9110 §10.1.1); it is due now that the handler reads.
			c.out = append(c.outBuf(), protocol.Continue...)
			ex.parser.ContinueSent()
			if err := c.writeAll(); err != nil {
				return 0, err
			}
		}
		body, consumed, err := ex.parser.ReadBody(c.in[ex.wire:])
		switch {
		case errors.Is(err, io.EOF):
			ex.bodyDone = true
		case err != nil:
			// Malformed or over a limit: the handler may still answer
			// (with the status of err, say); the connection closes after.
			ex.bodyErr = fmt.Errorf("server: request body: %w", err)
			return 0, ex.bodyErr
		}
		if len(body) > 0 {
			ex.pending, ex.pendingWire = body, consumed
			continue
		}
		c.dropWire(consumed)
		if ex.bodyDone {
			return 0, io.EOF
		}
		if consumed == 0 {
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
	w := c.ex.wire
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
			return ex.fail(fmt.Errorf("server: request body: %w", io.ErrUnexpectedEOF))
		case !errors.Is(err, poller.ErrWouldBlock):
			return ex.fail(fmt.Errorf("%w: %w", ErrConnectionFailed, err))
		case c.srv.cfg.Inline:
			return ex.fail(errBlockingInline)
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

// bodyUnfinished reports whether the streamed body of the request just
// handled was left unread or broken: what follows on the wire is then not a
// request, so the connection closes after the response.
func (c *conn) bodyUnfinished() bool {
	return c.ex.parser.InBody() || c.ex.bodyErr != nil
}

// growPinned returns a larger copy of b and leaves b to the collector
// instead of the pool: the request's strings still point into it.
func growPinned(b []byte) []byte {
	grown := make([]byte, len(b), max(2*cap(b), bufferSize))
	copy(grown, b)
	return grown
}
