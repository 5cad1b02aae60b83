//go:build linux

package netpoll

import (
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/miniasync/miniasync/poller/internal/fdconn"
)

// stopTimeout bounds how long StopAccepting waits for netpoll to let go of
// the listener. netpoll answers the shutdown at once, unless it is inside
// its EMFILE back-off, whose longest pause is a second.
const stopTimeout = 5 * time.Second

// listener is the netpoll.Listener the event loop serves. It is ours, not
// netpoll's CreateListener, for three reasons: the socket is the same as the
// other backends' (fdconn.Listen: backlog, SO_REUSEADDR, dual stack), so
// benchmarks compare like with like; the adapter decides when the
// descriptor is closed (netpoll's listener closes one descriptor twice);
// and accept errors are classified as on the other backends.
//
// Stopping: stop shuts the socket down for reading, which on Linux wakes
// netpoll's epoll set with EPOLLHUP; netpoll then removes the descriptor
// from the set itself and ends Serve. Only after that is the descriptor
// closed, so netpoll never issues EPOLL_CTL_DEL for a number the kernel has
// already given to another socket.
type listener struct {
	addr    net.Addr
	fd      int
	stopped atomic.Bool
	// wildcard: bound to an unspecified address, so each connection's
	// local address must be asked of the kernel.
	wildcard bool
}

func listen(addr string) (*listener, error) {
	fd, bound, err := fdconn.Listen(addr)
	if err != nil {
		return nil, fmt.Errorf("netpoll: listen: %w", err)
	}
	l := &listener{fd: fd, addr: bound}
	if ta, ok := bound.(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
		l.wildcard = true
	}
	return l, nil
}

// Accept implements netpoll.Listener. netpoll calls it on its poller
// goroutine when the socket is readable and treats (nil, nil) as "nothing
// to accept now".
func (l *listener) Accept() (net.Conn, error) {
	for !l.stopped.Load() {
		fd, sa, err := fdconn.Accept(l.fd)
		if err != nil {
			switch fdconn.ClassifyAcceptError(err) {
			case fdconn.AcceptDone:
				return nil, nil
			case fdconn.AcceptRetry:
				continue
			case fdconn.AcceptBackoff:
				// netpoll backs off (pausing the listener, retrying for
				// up to a second between tries) only for EMFILE and
				// ENFILE; ENOBUFS and ENOMEM are the same kind of
				// shortage, so they are reported as EMFILE to get the
				// same treatment instead of a level-triggered spin.
				return nil, unix.EMFILE
			}
			if l.stopped.Load() {
				return nil, nil // the shutdown raced with this accept
			}
			return nil, fmt.Errorf("accept: %w", err)
		}
		_ = fdconn.SetNoDelay(fd)
		local := l.addr
		if l.wildcard {
			local = fdconn.LocalAddr(fd, l.addr)
		}
		return &accepted{fd: fd, local: local, remote: fdconn.SockaddrToTCP(sa)}, nil
	}
	return nil, nil
}

// Close implements net.Listener. It does nothing: netpoll calls it from
// EventLoop.Shutdown, which the adapter does not use, and the descriptor is
// closed by stop once netpoll has let go of it.
func (l *listener) Close() error { return nil }

// Addr implements net.Listener.
func (l *listener) Addr() net.Addr { return l.addr }

// Fd implements netpoll.Listener.
func (l *listener) Fd() int { return l.fd }

// stop makes netpoll drop the listener, waits for its Serve to return
// (served is closed then), and closes the descriptor. A listener whose
// Serve does not return in time is left open rather than closed under
// netpoll.
func (l *listener) stop(served <-chan struct{}) error {
	if l.stopped.Swap(true) {
		return nil
	}
	if err := unix.Shutdown(l.fd, unix.SHUT_RD); err != nil {
		return fmt.Errorf("netpoll: stop accepting: shutdown: %w", err)
	}
	select {
	case <-served:
	case <-time.After(stopTimeout):
		return fmt.Errorf("netpoll: stop accepting: netpoll kept the listener for %v; leaving it open", stopTimeout)
	}
	if err := unix.Close(l.fd); err != nil {
		return fmt.Errorf("netpoll: close listener: %w", err)
	}
	return nil
}

// errOwnedByNetpoll is what the accepted socket's net.Conn methods return:
// netpoll copies the descriptor and addresses into its own connection and
// never calls them.
var errOwnedByNetpoll = fmt.Errorf("netpoll: accepted socket is owned by netpoll: %w", errors.ErrUnsupported)

// accepted is a socket just accepted, handed to netpoll, which takes the
// descriptor (netpoll.Conn) and owns it from then on.
type accepted struct {
	local, remote net.Addr
	fd            int
}

var _ net.Conn = (*accepted)(nil)

// Fd implements netpoll.Conn.
func (a *accepted) Fd() int { return a.fd }

// LocalAddr implements net.Conn.
func (a *accepted) LocalAddr() net.Addr { return a.local }

// RemoteAddr implements net.Conn.
func (a *accepted) RemoteAddr() net.Addr { return a.remote }

// Read implements net.Conn; netpoll never calls it.
func (a *accepted) Read([]byte) (int, error) { return 0, errOwnedByNetpoll }

// Write implements net.Conn; netpoll never calls it.
func (a *accepted) Write([]byte) (int, error) { return 0, errOwnedByNetpoll }

// Close implements net.Conn; netpoll closes the descriptor itself.
func (a *accepted) Close() error { return errOwnedByNetpoll }

// SetDeadline implements net.Conn; netpoll never calls it.
func (a *accepted) SetDeadline(time.Time) error { return errOwnedByNetpoll }

// SetReadDeadline implements net.Conn; netpoll never calls it.
func (a *accepted) SetReadDeadline(time.Time) error { return errOwnedByNetpoll }

// SetWriteDeadline implements net.Conn; netpoll never calls it.
func (a *accepted) SetWriteDeadline(time.Time) error { return errOwnedByNetpoll }
