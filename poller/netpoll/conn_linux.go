//go:build linux

package netpoll

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/cloudwego/netpoll"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/miniasync/miniasync/poller"
)

// errNoHalfClose is what CloseWrite returns.
var errNoHalfClose = fmt.Errorf("netpoll: half-close: netpoll closes a connection when either side shuts it down: %w", errors.ErrUnsupported)

// ctxBase lets *conn be the context.Context netpoll hands to the callbacks
// (OnPrepare returns it), so finding the connection is a type assertion,
// not a map look-up or a context.Value walk.
type ctxBase struct{ context.Context }

// conn is the poller.Conn over one netpoll connection.
//
// Three kinds of goroutine touch it: its owner (the event loop or a worker,
// one at a time, as package poller defines), netpoll's goroutines running
// the callbacks (OnRequest, OnDisconnect), and the connection's flusher
// while one runs. The fields under mu are shared among them; the protocol,
// in the manner of internal/poll's fdMutex:
//
//	armed != 0      the poller owns the connection. The first callback (or
//	                flusher) with something to report for that interest
//	                clears armed and queues one event; the event hands the
//	                connection to whoever receives it.
//	armed == 0      the owner has it, or its event is queued. Callbacks only
//	                record: input goes to in, a peer close to hup, a failure
//	                to err. Arm reports what was recorded at once, or sets
//	                armed.
//	flushing        a flusher goroutine owns out and is inside netpoll's
//	                Write; Write returns ErrWouldBlock until it is done.
//	                (A small write into an empty send queue runs on the
//	                owner's goroutine and never sets it.)
//	overflow        input passed its limit (inputLimit); later input is
//	                discarded, and Read reports ErrInputOverflow once in
//	                is empty.
//	closed          the owner called Close. Events queued before are
//	                dropped by Wait; callbacks discard input.
//	ncClosed        netpoll's connection is closed (by Close, a failure, or
//	                the poller's Close); set once, so it is closed once.
//	fdGone          netpoll is about to close the descriptor (set by the
//	                close callback registered in OnPrepare, which netpoll
//	                runs before its own, descriptor-closing one, whoever
//	                closes the connection). Write uses fd directly only
//	                while holding mu and seeing fdGone false, so the
//	                descriptor can never be closed, and its number reused
//	                by another connection, under a write.
//
// Nobody calls into netpoll while holding mu, except for Reader().Len(),
// which is an atomic load.
type conn struct {
	ctxBase
	p  *Poller
	nc netpoll.Connection
	// flushFn is c.flush bound once, so starting a flusher allocates
	// nothing.
	flushFn func()
	// ownerCtx is what SetContext attached; only the event loop uses it.
	ownerCtx any
	// fd is the socket's descriptor, written to directly under mu while
	// fdGone is false (see Write); -1 when netpoll does not tell.
	fd int
	// out is the output handed to the running flusher; it belongs to the
	// flusher while flushing is set.
	out []byte

	mu sync.Mutex
	// in is input taken from netpoll and not yet handed to the owner.
	in []byte
	// lent is the buffer handed to the owner as Event.Data; it returns to
	// the pool at the next Arm or Close.
	lent  []byte
	armed poller.Interest
	// hup: netpoll saw the peer close or reset the connection.
	hup bool
	// overflow: pending input reached its limit (inputLimit); later input
	// is discarded, and Read returns ErrInputOverflow once in is empty.
	overflow bool
	// err: the connection failed (a failed write, a callback that
	// panicked); reported as EventClosed.
	err           error
	flushing      bool
	closed        bool
	closeDeferred bool        // Close waits for the flusher (see Close)
	grace         *time.Timer // ends that wait
	ncClosed      bool
	fdGone        bool
}

var _ poller.Conn = (*conn)(nil)

// input moves what netpoll buffered into the pending input: netpoll calls
// OnRequest again as long as its buffer is not empty, so everything is
// taken, and the call returns without waiting for anyone. netpoll cannot be
// told to stop reading, so the pending input is capped (see inputLimit) and
// the rest discarded: the owner still gets what is pending (and answers the
// requests in it), then Read returns ErrInputOverflow.
func (c *conn) input() {
	r := c.nc.Reader()
	n := r.Len()
	if n == 0 {
		return
	}
	b, err := r.Next(n)
	if err != nil {
		c.fail(fmt.Errorf("netpoll: taking buffered input: %w", err))
		return
	}
	var ev poller.Event
	c.mu.Lock()
	limit := c.inputLimit()
	switch {
	case c.closed || c.overflow || c.err != nil:
		// Nobody will read it; it only has to leave netpoll's buffer.
	case len(c.in)+n > limit:
		// Keep up to the limit (one read by netpoll can be larger than
		// it), so the owner has the requests before the cut to answer.
		if room := limit - len(c.in); room > 0 {
			c.in = appendInput(c.in, b[:room], limit)
		}
		c.overflow = true
		ev = c.report(poller.Readable, poller.EventReadable)
	default:
		c.in = appendInput(c.in, b, limit)
		ev = c.report(poller.Readable, poller.EventReadable)
	}
	c.mu.Unlock()
	_ = r.Release()
	c.post(ev)
}

// inputLimit is how much pending input the connection may hold now. While
// its output waits for the client to read (a flusher runs), that is
// MaxPendingInput: a client pipelining without reading is cut off there,
// where epoll would stop reading it. Otherwise the owner has yet to take
// the input (a handler runs, or the connection waits for a worker): the
// limit is MaxPendingInput plus the owner's largest request, so one
// request within the server's limits, such as an upload arriving faster
// than a worker copies it, is not cut off. The caller holds mu.
func (c *conn) inputLimit() int {
	if c.flushing {
		return c.p.cfg.MaxPendingInput
	}
	return c.p.busyInput
}

// appendInput appends b to the pending input, taking buffers from the pool
// and growing them to at most limit bytes.
func appendInput(in, b []byte, limit int) []byte {
	if in == nil {
		in = getBuffer(len(b))
	}
	if len(in)+len(b) > cap(in) {
		grown := getBuffer(max(min(2*(len(in)+len(b)), limit), len(in)+len(b)))
		grown = append(grown, in...)
		putBuffer(in)
		in = grown
	}
	return append(in, b...)
}

// report disarms the connection and returns the event to queue when it is
// armed for any of the interests in i, and a zero event otherwise. The
// caller holds mu and posts the event after unlocking.
func (c *conn) report(i poller.Interest, kind poller.EventKind) poller.Event {
	if c.closed || c.armed&i == 0 {
		return poller.Event{}
	}
	c.armed = 0
	ev := poller.Event{Kind: kind, Conn: c}
	if kind == poller.EventClosed {
		ev.Err = c.err
	}
	return ev
}

// post queues ev unless it is the zero event.
func (c *conn) post(ev poller.Event) {
	if ev.Kind != 0 {
		c.p.enqueue(ev)
	}
}

// disconnected records netpoll's OnDisconnect. An armed connection gets
// EventReadable; Read then returns the pending bytes and io.EOF.
func (c *conn) disconnected() {
	c.mu.Lock()
	c.hup = true
	ev := c.report(poller.Readable, poller.EventReadable)
	c.mu.Unlock()
	c.post(ev)
}

// fail marks the connection failed, closes netpoll's connection, and
// reports EventClosed if the connection is armed.
func (c *conn) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	ev := c.report(poller.Readable|poller.Writable, poller.EventClosed)
	c.mu.Unlock()
	_ = c.closeNetpoll()
	c.post(ev)
}

// recoverCallback keeps a panic in a callback from reaching netpoll, whose
// go runner does not recover: the panic is logged and the
// connection fails.
func (c *conn) recoverCallback(name string) {
	if v := recover(); v != nil {
		c.p.log.Error("netpoll: callback panicked", zap.String("callback", name), zap.Any("panic", v), zap.Stack("stack"))
		c.fail(fmt.Errorf("netpoll: %s panicked: %v", name, v))
	}
}

// eof reports whether the peer closed and every byte it sent has been taken
// from netpoll. Len is atomic in netpoll, so reading it here is safe; if it
// is not zero, OnRequest is about to move those bytes. The caller holds mu.
func (c *conn) eof() bool {
	return c.hup && len(c.in) == 0 && c.nc.Reader().Len() == 0
}

// Read implements poller.Conn: it returns pending input not already handed
// out as Event.Data.
func (c *conn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return 0, poller.ErrClosed
	case len(c.in) > 0:
		n := copy(b, c.in)
		if cap(c.in) > bufferSize {
			// A large pending input (a streamed upload): step past what
			// was read instead of moving the rest down, which would cost
			// the whole pending size per Read.
			c.in = tail(c.in[n:])
			return n, nil
		}
		rest := copy(c.in, c.in[n:])
		c.in = c.in[:rest]
		return n, nil
	case c.eof():
		return 0, io.EOF
	case c.err != nil:
		return 0, c.err
	case c.overflow:
		return 0, ErrInputOverflow
	}
	return 0, poller.ErrWouldBlock
}

// Write implements poller.Conn. It never blocks (see the package doc): it
// writes what the socket takes at once with a non-blocking write(2) on the
// descriptor, and hands up to MaxPendingOutput bytes of any rest to a
// flusher goroutine that gives them to netpoll and waits until they are
// sent. While the flusher runs, Write returns ErrWouldBlock, and
// Arm(Writable) reports EventWritable when it is done.
func (c *conn) Write(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	c.mu.Lock()
	var err error
	switch {
	case c.closed:
		err = poller.ErrClosed
	case c.err != nil:
		err = c.err
	case c.hup || c.fdGone:
		err = ErrPeerClosed
	case c.flushing:
		err = poller.ErrWouldBlock
	}
	if err != nil {
		c.mu.Unlock()
		return 0, err
	}
	sent := 0
	if c.fd >= 0 {
		// Safe under mu: netpoll closes the descriptor only after the
		// close callback (fdGone) has taken mu.
		sent, err = writeSome(c.fd, b)
		if err != nil {
			err = fmt.Errorf("netpoll: write: %w", err)
			if c.err == nil {
				c.err = err
			}
			c.mu.Unlock()
			return 0, err
		}
		if sent == len(b) {
			c.mu.Unlock()
			return sent, nil
		}
	}
	c.flushing = true
	if len(c.in) > c.p.cfg.MaxPendingInput {
		// The output now waits for the client, so the pending input's
		// limit drops to MaxPendingInput (inputLimit): keep what fits, in
		// a buffer of its own so the large one is freed, and cut the rest
		// (also when the larger limit was reached before: that client is
		// sending faster than it reads).
		kept := appendInput(nil, c.in[:c.p.cfg.MaxPendingInput], c.p.cfg.MaxPendingInput)
		putBuffer(c.in)
		c.in, c.overflow = kept, true
	}
	c.mu.Unlock()
	rest := b[sent:]
	n := min(len(rest), c.p.cfg.MaxPendingOutput)
	c.out = append(getBuffer(n), rest[:n]...)
	c.p.flushers.Add(1)
	go c.flushFn()
	if n < len(rest) {
		return sent + n, poller.ErrWouldBlock
	}
	return len(b), nil
}

// writeSome writes what a non-blocking socket takes of b now: EAGAIN is
// not an error, EINTR is retried.
func writeSome(fd int, b []byte) (int, error) {
	for {
		n, err := unix.Write(fd, b)
		switch {
		case err == nil:
			return n, nil
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return 0, nil
		}
		return 0, err
	}
}

// descriptorClosing is the close callback registered in OnPrepare. netpoll
// runs close callbacks newest first, so it runs before netpoll's own
// callback closes the descriptor, on every way a connection closes; taking
// mu waits out a Write in progress, and fdGone stops later ones.
func (c *conn) descriptorClosing(netpoll.Connection) error {
	c.mu.Lock()
	c.fdGone = true
	c.mu.Unlock()
	return nil
}

// flush is the flusher goroutine: it hands out to netpoll and waits for
// netpoll to send all of it (or for the connection to close), then reports
// EventWritable to an owner waiting for it and finishes a deferred Close.
func (c *conn) flush() {
	defer c.p.flushers.Done()
	err := c.send()
	putBuffer(c.out)
	c.out = nil
	c.mu.Lock()
	c.flushing = false
	if err != nil && c.err == nil {
		c.err = err
	}
	closeNow := c.closeDeferred
	c.closeDeferred = false
	if closeNow {
		c.p.deferredCloses.Add(-1)
	}
	kind := poller.EventWritable
	if c.err != nil {
		kind = poller.EventClosed
	}
	ev := c.report(poller.Writable, kind)
	c.mu.Unlock()
	if closeNow {
		_ = c.closeNetpoll()
	}
	c.post(ev)
}

// send writes out through Connection.Write, which copies it into netpoll's
// output buffer while holding netpoll's flushing lock (a close by netpoll
// waits for that lock before freeing the buffer) and blocks until netpoll
// has sent it all or the connection closes.
func (c *conn) send() (err error) {
	defer func() {
		if v := recover(); v != nil {
			c.p.log.Error("netpoll: write panicked", zap.Any("panic", v), zap.Stack("stack"))
			err = fmt.Errorf("netpoll: write panicked: %v", v)
		}
	}()
	_ = c.nc.SetWriteTimeout(0) // wait as long as it takes; Close ends the wait
	if _, err := c.nc.Write(c.out); err != nil {
		return fmt.Errorf("netpoll: write: %w", err)
	}
	return nil
}

// Arm implements poller.Conn. Whatever happened while the owner had the
// connection (input, the peer's close, a finished flush, a failure) is
// reported at once.
func (c *conn) Arm(i poller.Interest) error {
	if i&(poller.Readable|poller.Writable) == 0 {
		return fmt.Errorf("netpoll: arm: no interest given (%d)", i)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return poller.ErrClosed
	}
	if c.lent != nil {
		putBuffer(c.lent)
		c.lent = nil
	}
	var ev poller.Event
	switch {
	case c.err != nil:
		ev = poller.Event{Kind: poller.EventClosed, Conn: c, Err: c.err}
	case i&poller.Readable != 0 && (len(c.in) > 0 || c.overflow || c.eof()):
		ev = poller.Event{Kind: poller.EventReadable, Conn: c}
	case i&poller.Writable != 0 && !c.flushing:
		ev = poller.Event{Kind: poller.EventWritable, Conn: c}
	default:
		c.armed = i
	}
	c.mu.Unlock()
	c.post(ev)
	return nil
}

// CloseWrite implements poller.Conn. netpoll has no half-close (it treats
// either side's shutdown as the end of the connection), so it returns an
// error wrapping errors.ErrUnsupported and changes nothing.
func (c *conn) CloseWrite() error { return errNoHalfClose }

// Close implements poller.Conn. Output that Write accepted and the flusher
// has not sent yet is given up to Config.CloseGrace to drain, as the kernel
// would send a socket's buffered output after close(2); but a connection
// armed for Writable is closed at once: its owner stopped waiting for the
// client to read (a write timeout).
func (c *conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return poller.ErrClosed
	}
	c.closed = true
	abandon := c.armed&poller.Writable != 0
	c.armed = 0
	putBuffer(c.in)
	putBuffer(c.lent)
	c.in, c.lent = nil, nil
	deferred := c.flushing && !abandon && !c.hup && c.err == nil && !c.ncClosed
	if deferred {
		c.closeDeferred = true
		c.p.deferredCloses.Add(1)
		c.grace = time.AfterFunc(c.p.cfg.CloseGrace, c.graceOver)
	}
	c.mu.Unlock()
	if deferred {
		return nil
	}
	return c.closeNetpoll()
}

// graceOver closes a connection whose deferred close waited CloseGrace; the
// flusher then returns with an error.
func (c *conn) graceOver() { _ = c.closeNetpoll() }

// closeNetpoll closes netpoll's connection, once. netpoll wakes a flusher
// blocked in Write and frees its buffers when no callback runs.
func (c *conn) closeNetpoll() error {
	c.mu.Lock()
	if c.ncClosed {
		c.mu.Unlock()
		return nil
	}
	c.ncClosed = true
	if c.closeDeferred {
		c.closeDeferred = false
		c.p.deferredCloses.Add(-1)
	}
	t := c.grace
	c.grace = nil
	c.mu.Unlock()
	if t != nil {
		t.Stop()
	}
	c.p.forget(c)
	if err := c.nc.Close(); err != nil {
		return fmt.Errorf("netpoll: close: %w", err)
	}
	return nil
}

// SetContext implements poller.Conn.
func (c *conn) SetContext(v any) { c.ownerCtx = v }

// Context implements poller.Conn.
func (c *conn) Context() any { return c.ownerCtx }

// LocalAddr implements poller.Conn.
func (c *conn) LocalAddr() net.Addr { return c.nc.LocalAddr() }

// RemoteAddr implements poller.Conn.
func (c *conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// PeerGone implements poller.PeerChecker: netpoll saw the peer close or
// reset the connection, or the connection failed.
func (c *conn) PeerGone() bool {
	c.mu.Lock()
	gone := c.hup || c.err != nil || c.closed
	c.mu.Unlock()
	return gone || !c.nc.IsActive()
}
