package server

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/protocol"
)

const (
	// readBudget caps the bytes one connection reads per turn, so one
	// fat sender cannot starve the others.
	readBudget = 64 << 10
	// lingerTimeout bounds how long a connection we are closing is read
	// and discarded after our FIN, so the client gets our last response
	// instead of a reset caused by its unread bytes.
	lingerTimeout = time.Second
	// lingerDiscard caps the bytes discarded while lingering.
	lingerDiscard = 256 << 10
)

// conn is the server's state for one connection. own, deadline, idle and
// hctx are shared with the event loop; every other field is touched only by
// the connection's current owner (see ownership.go). The small fields come
// last, packed together: an idle connection's size is what 10,000 idle
// connections cost (bench --idle).
type conn struct {
	srv *Server
	pc  poller.Conn

	// deadline is when the loop closes the connection if it is still
	// armed, in Unix nanoseconds of the loop's clock.
	deadline atomic.Int64
	// hctx is the context of the HTTPHandler request running, for the
	// loop's checks for a vanished client; nil otherwise.
	hctx atomic.Pointer[requestContext]

	// The event that gave the current owner the connection (its kind is
	// event, below).
	data  []byte
	cause error

	in  []byte // unconsumed input
	out []byte // output not yet written

	// ex is the parser and request/response state, held only while a
	// request is in progress: an idle connection returns it to the pool.
	ex *exchange
	// stash is the store of buffers and exchanges of the goroutine
	// running the turn (buffers.go); nil between turns, which makes the
	// loop's own closes use the shared pools.
	stash *stash

	// reqStart is when the first byte of the request being read arrived
	// (loop clock); zero between requests. When its header section was
	// complete is ex.bodyStart.
	reqStart  int64
	discarded int // input discarded while lingering

	own ownership
	// idle is idleYes between requests (no partial request, no pending
	// output; a shutdown closes the connection at once), idleNew from
	// accept to the first byte (a shutdown closes it after newConnGrace),
	// idleNo otherwise.
	idle       atomic.Uint32
	event      poller.EventKind
	rejected   bool // accepted past MaxConns: answer 503 and close
	eof        bool // the peer closed its side
	closeAfter bool // close once the output is written
	lingering  bool // our FIN is sent; discarding input until the peer's
}

// Values of conn.idle.
const (
	idleNo  = iota // a request or output in progress
	idleYes        // between requests
	idleNew        // accepted, nothing received yet
)

// newConnGrace is how long a shutdown leaves a connection that has sent
// nothing yet: its first request may be on the way, and a client does not
// retry a request on a fresh connection that closed unanswered. net/http
// waits as long.
const newConnGrace = 5 * time.Second

// runTurn runs a turn on the goroutine whose stash is st. A panic in the
// server's own code (a handler's is recovered around the handler) closes
// the connection if this goroutine still owns it: the bug then costs one
// connection, not a stuck one that holds its descriptor and keeps Shutdown
// waiting, nor, on the inline event loop, the process.
func (c *conn) runTurn(st *stash) {
	returned := false
	defer func() {
		if returned {
			return
		}
		// A panic in server code, or a handler that called runtime.Goexit
		// (t.FailNow in a test handler): recover returns nil for the
		// latter, which ends this goroutine whatever happens here.
		v := recover()
		owned := st.owner == c
		st.owner = nil
		if v != nil {
			c.srv.log.Error("connection turn panicked; closing the connection",
				zap.Any("panic", v), zap.Stack("stack"), zap.Bool("owned", owned))
		} else {
			c.srv.log.Error("a handler called runtime.Goexit; closing the connection", zap.Bool("owned", owned))
		}
		if x := c.hctx.Swap(nil); x != nil {
			x.cancel(context.Canceled) // as net/http: the request's context ends with its connection
		}
		if owned && !c.own.closed() {
			c.close()
		}
	}()
	st.owner = c
	c.turn(st)
	st.owner = nil
	returned = true
}

// turn is one worker's turn with the connection: read what arrived, answer
// every complete request, write, and hand the connection back. st is the
// running goroutine's stash.
func (c *conn) turn(st *stash) {
	c.stash = st
	if c.rejected && !c.closeAfter {
		c.out = protocol.AppendError(c.outBuf(), 503, "server at connection limit")
		c.closeAfter = true
		if c.flush() {
			c.finish()
		}
		return
	}
	switch c.event {
	case poller.EventClosed:
		c.srv.log.Debug("connection failed", zap.Error(c.cause))
		c.close()
		return
	case poller.EventReadable:
		if c.lingering {
			c.linger()
			return
		}
		if err := c.fill(); err != nil {
			if !errors.Is(err, io.EOF) {
				c.close() // reset or another socket error: nobody to answer
				return
			}
			c.eof = true
		}
	}
	if !c.flush() {
		return
	}
	for turnBudget := c.srv.cfg.MaxPipelined; ; {
		more := c.handleRequests(&turnBudget)
		if !c.flush() {
			return
		}
		if !more {
			break
		}
		if turnBudget == 0 {
			// Complete requests are still buffered: yield to other
			// connections. The socket is writable, so arming for it
			// brings the connection back at once, behind the others.
			// The deadline is a write's: the one left from the last arm
			// measured the wait for these requests, long over.
			c.setDeadline(c.srv.cfg.WriteTimeout)
			c.idle.Store(idleNo)
			c.handBack(poller.Writable)
			return
		}
	}
	switch {
	case c.closeAfter:
		c.finish()
	case c.eof:
		c.close() // whatever partial request is left can never complete
	case c.srv.forced.Load():
		c.close()
	case len(c.in) == 0 && c.srv.draining.Load():
		c.close()
	default:
		c.arm(poller.Readable)
	}
}

// fill reads input: the bytes the event carried, or from the socket up to
// readBudget.
func (c *conn) fill() error {
	if c.data != nil {
		c.startRequest()
		if c.in == nil {
			c.in = c.stash.getBuffer()
		}
		if len(c.in)+len(c.data) > cap(c.in) {
			c.reclaim()
		}
		c.in = append(c.in, c.data...)
		c.data = nil
		return nil
	}
	for budget := readBudget; budget > 0; {
		if len(c.in) == cap(c.in) {
			c.reclaim()
		}
		if len(c.in) == cap(c.in) {
			c.in = c.stash.growBuffer(c.in)
		}
		n, err := c.pc.Read(c.in[len(c.in):cap(c.in)])
		if n > 0 {
			c.startRequest()
			c.in = c.in[:len(c.in)+n]
			budget -= n
		}
		switch {
		case errors.Is(err, poller.ErrWouldBlock):
			return nil
		case err != nil:
			return err
		case len(c.in) < cap(c.in):
			// A short read: the socket is most likely drained. If not,
			// the next Arm reports the rest at once (package poller).
			return nil
		}
	}
	return nil
}

// reclaim drops the spent chunk framing of a chunked body being buffered
// (protocol.Parser.Compact) before the input buffer grows, so a body sent
// in tiny chunks holds about its decoded size, not its size on the wire.
// The request in progress starts at c.in[0]: handleRequests consumed the
// ones before it.
func (c *conn) reclaim() {
	if c.ex != nil {
		c.in = c.ex.parser.Compact(c.in)
	}
}

// startRequest notes the arrival time of a request's first byte, for the
// read-header timeout.
func (c *conn) startRequest() {
	if len(c.in) == 0 && c.reqStart == 0 {
		c.reqStart = c.srv.now.Load()
	}
}

// handleRequests answers every complete request in the input, in order,
// until the output reaches MaxOutput, *budget requests were answered, or
// the connection is to close. It reports whether it stopped for output or
// budget with input left to handle.
func (c *conn) handleRequests(budget *int) (more bool) {
	off := 0
	for !c.closeAfter && off < len(c.in) {
		if len(c.out) >= c.srv.cfg.MaxOutput || *budget == 0 {
			more = true
			break
		}
		ex := c.exchange()
		n, err := ex.parser.Parse(c.in[off:], &ex.req)
		if err != nil && errors.Is(err, protocol.ErrIncomplete) { // the nil check spares the common case a call
			if ex.parser.NeedsContinue() {
				c.out = append(c.outBuf(), protocol.Continue...)
				ex.parser.ContinueSent()
			}
			if ex.bodyStart == 0 && ex.parser.HeaderComplete() {
				ex.bodyStart = c.srv.now.Load()
			}
			break
		}
		if err != nil {
			c.reject(err)
			// Nothing after a refused request is parsed. The requests
			// before it were answered; consume drops them with the rest.
			off = len(c.in)
			break
		}
		c.ex.body = streamedBody{wire: off + n}
		c.serveRequest()
		*budget--
		off += n
		c.reqStart, c.ex.bodyStart = 0, 0
		if off < len(c.in) {
			c.reqStart = c.srv.now.Load() // the next pipelined request is already here
		}
	}
	c.consume(off)
	return more
}

// consume drops the first n bytes of input, which the handler no longer
// references.
func (c *conn) consume(n int) {
	if n == 0 {
		return
	}
	if n == len(c.in) {
		c.in = c.in[:0]
		return
	}
	rest := copy(c.in, c.in[n:])
	c.in = c.in[:rest]
}

// reject answers a request the parser refused and closes the connection;
// the caller discards the input from it on.
func (c *conn) reject(err error) {
	status, reason := 400, "bad request"
	var pe *protocol.Error
	if errors.As(err, &pe) {
		status, reason = pe.Status, pe.Reason
	}
	c.out = protocol.AppendError(c.outBuf(), status, reason)
	c.closeAfter = true
}

// serveRequest runs the handler for the parsed request and appends the
// response, dated from the loop's clock (Server.unixSecond).
func (c *conn) serveRequest() {
	ex := c.ex
	req, res := &ex.req, &ex.res
	ex.failed, ex.flushed = nil, false
	if ex.noContinue.Load() { // a load is cheaper than the locked store
		ex.noContinue.Store(false)
	}
	if req.BodyStreamed() {
		req.SetBodyStream((*bodyStream)(c))
	}
	if c.srv.http != nil {
		c.serveAdapted()
		return
	}
	res.Reset(req)
	ok := c.callHandler(req, res)
	if ok && req.BodyStreamed() {
		c.finishBody()
	}
	switch {
	case ex.failed != nil || (!ok && res.Streaming()):
		c.abandon() // part of the response is out: nothing can follow it
		return
	case !ok:
		c.out = protocol.AppendError(c.outBuf(), 500, "internal server error")
		c.closeAfter = true
		c.skipBody()
		return
	}
	if c.srv.draining.Load() || c.bodyUnfinished() {
		// Draining: tell the client not to send more. An unread body:
		// what follows on the wire is not a request.
		res.Close()
	}
	out, err := res.BuildAt(c.outBuf(), c.srv.unixSecond())
	if err != nil {
		c.srv.log.Error("handler built an invalid response", zap.Error(err))
		c.out = protocol.AppendError(c.out, 500, "internal server error")
		c.closeAfter = true
		c.skipBody()
		return
	}
	c.out = out
	if !res.KeepAlive() || c.bodyUnfinished() {
		c.closeAfter = true
		c.skipBody()
	}
}

// serveAdapted runs an HTTPHandler for the parsed request.
func (c *conn) serveAdapted() {
	ex := c.ex
	start := len(c.out)
	keepAlive, ok := c.serveHTTP(c.srv.http)
	switch {
	case ex.failed != nil:
		c.abandon()
	case !ok:
		// net/http closes the connection without a response; the same
		// here, unless part of the response already went out.
		if ex.flushed {
			c.abandon()
			return
		}
		c.out = c.out[:start]
		c.closeAfter = true
		c.skipBody()
	case !keepAlive || c.bodyUnfinished():
		c.closeAfter = true
		c.skipBody()
	}
}

// abandon drops unsent output and has the connection closed at once: it
// failed, or a response was cut short after part of it was sent.
func (c *conn) abandon() {
	c.out = c.out[:0]
	c.closeAfter, c.eof = true, true
	c.skipBody()
}

// skipBody forgets an unread streamed body: the connection is closing.
func (c *conn) skipBody() {
	if c.bodyUnfinished() {
		c.ex.parser.Reset()
		c.in = c.in[:c.ex.body.wire]
	}
}

// callHandler runs the handler and reports false when it panicked.
func (c *conn) callHandler(req *protocol.Request, res *protocol.Response) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			c.srv.log.Error("handler panicked", zap.Any("panic", v), zap.Stack("stack"),
				zap.String("method", req.Method()), zap.String("target", req.Target()))
			ok = false
		}
	}()
	c.srv.handler.Serve(req, res)
	return true
}

// flush writes pending output. It returns false when the connection is no
// longer this turn's: armed for writing, or closed.
func (c *conn) flush() bool {
	if len(c.out) == 0 {
		return true
	}
	n, err := c.pc.Write(c.out)
	if err == nil {
		c.out = c.out[:0]
		return true
	}
	if !errors.Is(err, poller.ErrWouldBlock) {
		c.close()
		return false
	}
	rest := copy(c.out, c.out[n:])
	c.out = c.out[:rest]
	if n > 0 || c.event != poller.EventWritable {
		c.setDeadline(c.srv.cfg.WriteTimeout) // progress restarts the clock
	}
	c.idle.Store(idleNo)
	c.handBack(poller.Writable)
	return false
}

// finish closes a connection whose last response is written: half-close,
// then linger briefly so the client reads the response before the close.
func (c *conn) finish() {
	if c.eof {
		c.close()
		return
	}
	if err := c.pc.CloseWrite(); err != nil {
		c.close()
		return
	}
	c.lingering = true
	c.in = c.in[:0]
	c.setDeadline(lingerTimeout)
	c.idle.Store(idleYes)
	c.handBack(poller.Readable)
}

// linger discards input after our FIN until the peer closes.
func (c *conn) linger() {
	if cap(c.in) == 0 {
		c.in = c.stash.getBuffer()
	}
	for c.discarded < lingerDiscard {
		n, err := c.pc.Read(c.in[:cap(c.in)])
		c.discarded += n
		if errors.Is(err, poller.ErrWouldBlock) {
			c.handBack(poller.Readable) // the deadline set in finish still holds
			return
		}
		if err != nil {
			break
		}
	}
	c.close()
}

// arm hands the connection back for reading, with the deadline of the phase
// it is in.
func (c *conn) arm(i poller.Interest) {
	switch {
	case len(c.in) == 0:
		c.reqStart = 0
		c.releaseBuffers()
		c.setDeadline(c.srv.cfg.IdleTimeout)
		if c.idle.Load() != idleYes { // a keep-alive connection mostly still is: skip the locked store
			c.idle.Store(idleYes)
		}
	case c.ex != nil && c.ex.bodyStart != 0:
		c.deadline.Store(c.ex.bodyStart + int64(c.srv.cfg.ReadBodyTimeout))
		c.idle.Store(idleNo)
	default:
		c.deadline.Store(c.reqStart + int64(c.srv.cfg.ReadHeaderTimeout))
		c.idle.Store(idleNo)
	}
	if c.deadline.Load() <= c.srv.now.Load() {
		c.close() // the request ran out of time while being read
		return
	}
	c.handBack(i)
}

// handBack returns the connection to the poller (see ownership.go). After
// it, this goroutine must not touch c.
func (c *conn) handBack(i poller.Interest) {
	c.event, c.cause = 0, nil
	if c.stash != nil {
		c.stash.owner = nil // from here on the connection may be another goroutine's
	}
	c.stash = nil // the next turn may run on another goroutine
	c.own.beginArm()
	if err := c.pc.Arm(i); err != nil {
		if c.own.reclaim() {
			c.srv.log.Debug("re-arming failed", zap.Error(err))
			c.close()
		}
		return
	}
	c.own.finishArm()
}

func (c *conn) setDeadline(d time.Duration) {
	c.deadline.Store(c.srv.now.Load() + int64(d))
}

// outBuf returns the output buffer, taking one from the pool when the
// connection holds none.
func (c *conn) outBuf() []byte {
	if c.out == nil {
		c.out = c.stash.getBuffer()
	}
	return c.out
}

// exchange returns the connection's request state, taking it from the pool
// when the connection holds none.
func (c *conn) exchange() *exchange {
	if c.ex == nil {
		c.ex = c.stash.getExchange(&c.srv.exchanges)
		c.ex.res.SetSink(c) // a streamed response goes to this connection
		c.ex.req.SetPeer(c.pc)
	}
	return c.ex
}

// releaseBuffers returns empty buffers and the request state to their pools:
// an idle connection holds none.
func (c *conn) releaseBuffers() {
	if c.ex != nil && len(c.in) == 0 {
		c.ex.parser.Reset()
		c.ex.bodyStart = 0
		c.ex.req.SetPeer(nil) // a pooled exchange keeps no connection alive
		c.ex.res.SetSink(nil)
		c.stash.putExchange(&c.srv.exchanges, c.ex)
		c.ex = nil
	}
	if c.in != nil && len(c.in) == 0 {
		c.stash.putBuffer(c.in)
		c.in = nil
	}
	if c.out != nil && len(c.out) == 0 {
		c.stash.putBuffer(c.out)
		c.out = nil
	}
}

// close closes the connection. Only its owner calls it, once.
func (c *conn) close() {
	c.own.markClosed()
	if err := c.pc.Close(); err != nil {
		c.srv.log.Debug("closing a connection", zap.Error(err))
	}
	c.in, c.out = c.in[:0], c.out[:0]
	c.releaseBuffers()
	c.data = nil
	if c.rejected {
		c.srv.rejecting.Add(-1)
	}
	if c.srv.live.Add(-1) == 0 && c.srv.draining.Load() {
		c.srv.wake()
	}
}
