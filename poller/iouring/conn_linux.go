//go:build linux

package iouring

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/poller/internal/fdconn"
)

// conn is the poller.Conn of one accepted socket.
//
// Its fields fall in three groups. state (with its sendBit) and the
// descriptor are shared (see state_linux.go for the word's protocol). The
// owner's fields are touched only by whoever holds the connection (package
// poller's ownership). The loop's fields are touched only by the event
// loop. The connection is kept small (80 bytes, as fdconn.Conn): an idle
// one holds no buffer, no address and no error value (bench --idle).
//
// The output buffer out moves between the two: the owner fills it and sets
// sendBit; from then on it is the loop's (the kernel reads it) until the
// loop clears sendBit after the last send completes.
type conn struct {
	p   *Poller
	ctx any // owner's

	// addrs caches LocalAddr and RemoteAddr (owner's); nil until asked.
	addrs *addrCache

	// out is the output being sent, shared by hand-over (see above).
	out *buffer
	// Loop's buffers. pending: input received, not yet handed over. lent:
	// input handed over as Event.Data; the owner gives it back at Arm.
	pending, lent *buffer

	// state is the word of state_linux.go; its sendBit says output is
	// queued in out and being sent by the ring (set by the owner, cleared
	// by the loop).
	state atomic.Uint32
	fd    int32
	gen   uint32

	// Loop's fields.
	inflight int16 // submitted entries whose last completion is still to come
	// errno and errOp say why the connection failed (published by
	// failBit); failure builds the error.
	errno uint16
	errOp errOp
	// recvOn: a multishot receive is in flight; recvStop: it is being
	// cancelled because pending reached MaxPendingInput.
	recvOn, recvStop bool
	sendOn           bool // a send is in flight
	shutWr           bool // CloseWrite waits for the send in flight
	graced           bool // closing with output in flight, within the close grace (see Poller.grace)
	closing          bool // Close was processed; the descriptor closes when inflight is 0
	done             bool // the descriptor is closed
}

// addrCache holds a connection's addresses once asked for.
type addrCache struct {
	local, remote net.Addr
}

// errOp is the operation that failed a connection.
type errOp uint8

const (
	errNone errOp = iota
	errRecv
	errSend
	errQueueFull
)

// errSendQueueFull is failure's error for errQueueFull.
var errSendQueueFull = errors.New("iouring: send: submission queue full")

// fail records why the connection failed; failBit publishes it. The first
// cause stays: once published, the owner may read it at any time, so a
// later failure (a send's EPIPE after the receive's ECONNRESET) must not
// write it again.
func (c *conn) fail(op errOp, errno unix.Errno) {
	if c.errOp != errNone {
		return
	}
	c.errOp, c.errno = op, uint16(errno)
}

// failure returns why the connection failed, nil if it did not.
func (c *conn) failure() error {
	switch c.errOp {
	case errRecv:
		return fmt.Errorf("iouring: receive: %w", unix.Errno(c.errno))
	case errSend:
		return fmt.Errorf("iouring: send: %w", unix.Errno(c.errno))
	case errQueueFull:
		return errSendQueueFull
	}
	return nil
}

var _ poller.Conn = (*conn)(nil)

// Read implements poller.Conn. Input arrives as Event.Data; Read reports
// what the loop knows: io.EOF once the peer closed and every byte was
// handed over, the failure, or ErrWouldBlock (including when the loop holds
// input not handed over yet: the next Arm reports it).
func (c *conn) Read(b []byte) (int, error) {
	s := c.state.Load()
	switch {
	case s&closedBit != 0:
		return 0, poller.ErrClosed
	case len(b) == 0, s&dataBit != 0:
		return 0, poller.ErrWouldBlock
	case s&failBit != 0:
		return 0, c.failure()
	case s&hupBit != 0:
		return 0, io.EOF
	}
	return 0, poller.ErrWouldBlock
}

// Write implements poller.Conn (see the package doc). It copies b (up to
// MaxPendingOutput) into the connection's send buffer, which the ring
// sends asynchronously; with Config.DirectWrites it writes to the socket
// directly first and copies only what the socket did not take. While a
// send is in flight it returns ErrWouldBlock, and Arm(Writable) reports
// when the send is done.
func (c *conn) Write(b []byte) (int, error) {
	s := c.state.Load()
	switch {
	case s&closedBit != 0:
		return 0, poller.ErrClosed
	case len(b) == 0:
		return 0, nil
	case s&sendBit != 0:
		return 0, poller.ErrWouldBlock
	case s&failBit != 0:
		return 0, c.failure()
	}
	sent := 0
	if c.p.cfg.DirectWrites {
		for sent < len(b) {
			n, err := unix.Write(int(c.fd), b[sent:])
			if n > 0 {
				sent += n
			}
			if err == nil || err == unix.EINTR {
				continue
			}
			if err == unix.EAGAIN {
				break
			}
			return sent, fmt.Errorf("iouring: write: %w", err)
		}
		if sent == len(b) {
			return sent, nil
		}
	}
	rest := b[sent:]
	n := min(len(rest), c.p.cfg.MaxPendingOutput)
	out := c.p.getBuffer(n)
	out.b = append(out.b, rest[:n]...)
	c.out = out
	c.state.Or(sendBit)
	c.p.post(op{c: c, kind: reqSend})
	if n < len(rest) {
		return sent + n, poller.ErrWouldBlock
	}
	return len(b), nil
}

// Arm implements poller.Conn. It costs nothing when nothing is waiting;
// otherwise the loop reports the connection at its next Wait.
func (c *conn) Arm(i poller.Interest) error {
	if i&(poller.Readable|poller.Writable) == 0 {
		return fmt.Errorf("iouring: arm: no interest given (%d)", i)
	}
	if c.state.Load()&closedBit != 0 {
		return poller.ErrClosed
	}
	// The last Event.Data is no longer the owner's: an idle connection
	// holds no buffer. (Only the owner touches lent between the event that
	// carried it and this Arm; the loop sets it only while building that
	// event, and after Close only the loop does.)
	if c.lent != nil {
		c.p.putBuffer(c.lent)
		c.lent = nil
	}
	if hit := ownerArm(&c.state, i, c.state.Load()&sendBit == 0); hit != 0 {
		c.p.post(op{c: c, kind: reqReport, interest: hit})
	}
	return nil
}

// CloseWrite implements poller.Conn: shutdown(SHUT_WR) at once, or, while
// a send is in flight, as soon as it completes, so the FIN follows the
// output.
func (c *conn) CloseWrite() error {
	if c.state.Load()&closedBit != 0 {
		return poller.ErrClosed
	}
	if c.state.Load()&sendBit != 0 {
		c.p.post(op{c: c, kind: reqShutWr})
		return nil
	}
	if err := unix.Shutdown(int(c.fd), unix.SHUT_WR); err != nil {
		return fmt.Errorf("iouring: shutdown: %w", err)
	}
	return nil
}

// Close implements poller.Conn. The loop cancels what is in flight and
// closes the descriptor once the last completion for it is reaped, so no
// completion and no system call can reach a new connection that the
// kernel gives the same descriptor number. Output already accepted by
// Write may drain for up to CloseGrace first, unless the connection was
// armed for Writable (its owner gave up waiting).
func (c *conn) Close() error {
	if c.state.Load()&closedBit != 0 {
		return poller.ErrClosed
	}
	armed := ownerClose(&c.state)
	c.p.post(op{c: c, kind: reqClose, interest: armed})
	return nil
}

// SetContext implements poller.Conn.
func (c *conn) SetContext(v any) { c.ctx = v }

// Context implements poller.Conn.
func (c *conn) Context() any { return c.ctx }

// LocalAddr implements poller.Conn; asked of the kernel on first use.
func (c *conn) LocalAddr() net.Addr {
	a := c.cachedAddrs()
	if a.local == nil {
		a.local = fdconn.LocalAddr(int(c.fd), nil)
	}
	return a.local
}

// RemoteAddr implements poller.Conn; asked of the kernel on first use
// (multishot accept does not report the peer's address).
func (c *conn) RemoteAddr() net.Addr {
	a := c.cachedAddrs()
	if a.remote == nil {
		sa, err := unix.Getpeername(int(c.fd))
		if err != nil {
			return &net.TCPAddr{} // the peer is gone; ask again later
		}
		a.remote = fdconn.SockaddrToTCP(sa)
	}
	return a.remote
}

// cachedAddrs returns the address cache, made at the first call: an idle
// connection whose addresses nobody asked for holds none.
func (c *conn) cachedAddrs() *addrCache {
	if c.addrs == nil {
		c.addrs = new(addrCache)
	}
	return c.addrs
}

var _ poller.PeerChecker = (*conn)(nil)

// PeerGone implements poller.PeerChecker: the connection's receive, which
// keeps running while the owner works, has seen the peer's close or a
// failure. Safe from any goroutine (one atomic load).
func (c *conn) PeerGone() bool {
	return c.state.Load()&(hupBit|failBit) != 0
}
