//go:build unix

package fdconn

import (
	"fmt"
	"io"
	"net"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/miniasync/miniasync/poller"
)

// Armer is the backend half of a Conn: it re-arms a descriptor's one-shot
// readiness registration in the backend's kernel queue.
type Armer interface {
	// Arm registers interest i for c, to be reported once.
	Arm(c *Conn, i poller.Interest) error
}

// Conn is a poller.Conn over a non-blocking socket descriptor.
type Conn struct {
	armer  Armer
	ctx    any
	remote SockAddr
	fd     int32
	gen    uint32
	// closed is set by Close before the descriptor is closed, so the event
	// loop drops a late event for it.
	closed atomic.Bool
	// interest is what the registration is armed for, for backends that
	// keep registrations armed (poller.Options.Inline); owner-only.
	interest poller.Interest
	// edge is the readiness state of an edge-triggered registration (see
	// Edge); unused by other backends.
	edge atomic.Uint32
	// more: the last Read filled the caller's buffer, so the socket may
	// hold more input than it reported; owner-only.
	more bool
	// full: the last Write stopped at EAGAIN, so the socket has no room
	// until the kernel reports some; owner-only.
	full bool
}

// New returns a Conn for an accepted descriptor. gen distinguishes it from
// earlier connections that had the same descriptor number.
func New(fd int, gen uint32, remote unix.Sockaddr, a Armer) *Conn {
	return NewWithAddr(fd, gen, SockAddrOf(remote), a)
}

// NewWithAddr is New for a peer address already in a SockAddr (see
// AcceptAddr).
func NewWithAddr(fd int, gen uint32, remote SockAddr, a Armer) *Conn {
	return &Conn{fd: int32(fd), gen: gen, remote: remote, armer: a}
}

// FD returns the socket descriptor.
func (c *Conn) FD() int { return int(c.fd) }

// Gen returns the connection's generation.
func (c *Conn) Gen() uint32 { return c.gen }

// Interest returns the interest the registration is armed for, as last set
// with SetInterest.
func (c *Conn) Interest() poller.Interest { return c.interest }

// SetInterest records the interest the registration is armed for.
func (c *Conn) SetInterest(i poller.Interest) { c.interest = i }

// Edge returns the word in which an edge-triggered backend keeps the
// connection's armed interest and the readiness it saw while unarmed.
func (c *Conn) Edge() *atomic.Uint32 { return &c.edge }

// MaybeMore reports whether the last Read filled its buffer, so input may
// remain that no new readiness edge will announce.
func (c *Conn) MaybeMore() bool { return c.more }

// MaybeRoom reports whether the socket can take more output as far as the
// owner knows: no Write since the last one that stopped at EAGAIN, or
// since the connection was accepted, found it full. An edge-triggered
// backend reports no new edge for room that was there all along.
func (c *Conn) MaybeRoom() bool { return !c.full }

// Closed reports whether Close was called.
func (c *Conn) Closed() bool { return c.closed.Load() }

// Read implements poller.Conn.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := unix.Read(int(c.fd), p)
		c.more = err == nil && n == len(p)
		switch {
		case err == nil && n > 0:
			return n, nil
		case err == nil:
			return 0, io.EOF
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return 0, poller.ErrWouldBlock
		default:
			return 0, fmt.Errorf("read: %w", err)
		}
	}
}

// Write implements poller.Conn.
func (c *Conn) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		n, err := unix.Write(int(c.fd), p[written:])
		if n > 0 {
			written += n
		}
		switch {
		case err == nil:
		case err == unix.EINTR:
		case err == unix.EAGAIN:
			c.full = true
			return written, poller.ErrWouldBlock
		default:
			return written, fmt.Errorf("write: %w", err)
		}
	}
	c.full = false
	return written, nil
}

// Arm implements poller.Conn.
func (c *Conn) Arm(i poller.Interest) error {
	if c.closed.Load() {
		return poller.ErrClosed
	}
	return c.armer.Arm(c, i)
}

// CloseWrite implements poller.Conn.
func (c *Conn) CloseWrite() error {
	if err := unix.Shutdown(int(c.fd), unix.SHUT_WR); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// Close implements poller.Conn. Closing the descriptor also removes it
// from epoll and kqueue interest lists.
func (c *Conn) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return poller.ErrClosed
	}
	if err := unix.Close(int(c.fd)); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}

// SetContext implements poller.Conn.
func (c *Conn) SetContext(v any) { c.ctx = v }

// Context implements poller.Conn.
func (c *Conn) Context() any { return c.ctx }

// LocalAddr implements poller.Conn. The address is asked of the kernel at
// each call and not kept: an idle connection holds no addresses, and those
// that never ask cost nothing.
func (c *Conn) LocalAddr() net.Addr { return LocalAddr(int(c.fd), nil) }

// RemoteAddr implements poller.Conn. The address is converted at each call
// and not kept, for the same reason: only its bytes are.
func (c *Conn) RemoteAddr() net.Addr { return c.remote.TCP() }

// SocketError returns the pending error on the socket (SO_ERROR), for the
// cause of an error event.
func (c *Conn) SocketError() error {
	v, err := unix.GetsockoptInt(int(c.fd), unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return fmt.Errorf("getsockopt SO_ERROR: %w", err)
	}
	if v == 0 {
		return io.ErrUnexpectedEOF
	}
	return fmt.Errorf("socket error: %w", unix.Errno(v))
}
