package server

import (
	"errors"
	"fmt"
	"time"

	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/protocol"
)

// Handlers that stream (a response flushed as it is produced, a request body
// read as it arrives) must wait for the client in the middle of a handler.
// The worker running the handler then parks: it hands the connection to the
// poller like any owner would (see ownership.go) and sleeps on its
// exchange's wake channel. The event loop, when it receives the event (or
// takes the connection for a timeout or a shutdown), gives the connection
// back to the parked worker instead of the pool. Ownership is the same as
// everywhere else: exactly one goroutine at a time, handed over by the
// ownership word and the channel.

var (
	// ErrClientTimeout is returned to a streaming handler whose client
	// took no output, or sent no body bytes, within the configured
	// timeout (WriteTimeout, ReadBodyTimeout).
	ErrClientTimeout = errors.New("server: client timed out")
	// ErrShuttingDown is returned to a streaming handler that was waiting
	// for its client when Close (or an expired Shutdown) ended the wait.
	ErrShuttingDown = errors.New("server: shutting down")
	// ErrConnectionFailed wraps the error of a connection that failed
	// under a streaming handler (the client reset it, for example).
	ErrConnectionFailed = errors.New("server: connection failed")
)

// Send implements protocol.Sink: the bytes of a streamed response go out
// before it returns. In Inline mode, where waiting would stall the event
// loop, what the socket does not take now stays buffered and goes out after
// the handler returns.
func (c *conn) Send(b []byte) error {
	ex := c.ex
	if ex.failed != nil {
		return ex.failed
	}
	c.out = append(c.outBuf(), b...)
	return c.writeAll()
}

// writeAll writes the pending output, parking while the client is slow.
func (c *conn) writeAll() error {
	for {
		blocked, err := c.writeSome()
		if err != nil || !blocked || c.srv.cfg.Inline {
			return err
		}
		if err := c.park(poller.Writable, c.srv.cfg.WriteTimeout); err != nil {
			return err
		}
	}
}

// writeSome writes what the socket takes now of the pending output,
// keeping the rest, and reports whether some is left because the socket
// is full.
func (c *conn) writeSome() (blocked bool, err error) {
	if len(c.out) == 0 {
		return false, nil
	}
	n, err := c.pc.Write(c.out)
	if n > 0 {
		c.ex.flushed = true // c.out no longer starts where it did
	}
	switch {
	case err == nil:
		c.out = c.out[:0]
		return false, nil
	case errors.Is(err, poller.ErrWouldBlock):
		rest := copy(c.out, c.out[n:])
		c.out = c.out[:rest]
		return true, nil
	}
	return false, c.ex.fail(fmt.Errorf("%w: %w", ErrConnectionFailed, err))
}

// park hands the connection to the poller for interest i and sleeps until
// the event loop gives it back: with the event, or at the deadline timeout
// from now, or at a forced shutdown. Only a handler on a worker parks.
func (c *conn) park(i poller.Interest, timeout time.Duration) error {
	ex := c.ex
	if ex.wake == nil {
		ex.wake = make(chan struct{}, 1)
	}
	ex.parked = true
	c.idle.Store(idleNo)
	c.setDeadline(timeout)
	if ex.readAbandoned.Load() {
		// The handler has returned and waits for this read to end: let
		// the next sweep give the connection back at once. (Its store
		// of the flag comes before its own store of this deadline, so
		// one of the two stores of 0 lands last.)
		c.deadline.Store(0)
	}
	c.event, c.data, c.cause = 0, nil, nil
	c.own.beginArm()
	if err := c.pc.Arm(i); err != nil {
		if c.own.reclaim() {
			ex.parked = false
			return ex.fail(fmt.Errorf("%w: %w", ErrConnectionFailed, err))
		}
		// The loop took the connection meanwhile and is waking us.
	} else {
		c.own.finishArm()
	}
	<-ex.wake
	ex.parked = false
	if c.event == poller.EventClosed {
		switch {
		case !errors.Is(c.cause, ErrClientTimeout):
		case ex.readAbandoned.Load():
			// Given back for the returned handler, not by a failure:
			// the connection is fine and answers its response.
			return errReadAbandoned
		case i == poller.Readable:
			// The client sent no body bytes in time. Only the body
			// failed: the handler's answer still goes out (its status
			// says why, 408 say), then the connection closes.
			return ex.failBody(ErrClientTimeout)
		}
		return ex.fail(c.cause)
	}
	return nil
}

// errReadAbandoned ends a body read that outlived its HTTPHandler.
var errReadAbandoned = errors.New("server: request body read after the handler returned")

// unpark gives a parked connection back to its worker; the loop calls it
// after taking the connection, with the event's fields already set.
func (c *conn) unpark() bool {
	ex := c.ex
	if ex == nil || !ex.parked {
		return false
	}
	ex.wake <- struct{}{}
	return true
}

// failBody records why the streamed body failed (the connection itself is
// fine: the handler's answer goes out, then it closes) and returns it.
func (ex *exchange) failBody(err error) error {
	ex.body.err = fmt.Errorf("server: request body: %w", err)
	return ex.body.err
}

// fail records the first error that broke the connection under a handler;
// the connection closes when the handler returns.
func (ex *exchange) fail(err error) error {
	if ex.failed == nil {
		ex.failed = err
	}
	return ex.failed
}

var _ protocol.Sink = (*conn)(nil)
