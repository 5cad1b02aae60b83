//go:build unix

package fdconn

import (
	"errors"
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// listenBacklog is the accept queue length asked of the kernel, which caps
// it at net.core.somaxconn.
const listenBacklog = 4096

// Listen opens a non-blocking, close-on-exec TCP listening socket on addr
// ("host:port"; an empty host listens on every address, dual-stack where the
// system has IPv6). It returns the descriptor and the bound address.
func Listen(addr string) (int, net.Addr, error) {
	ta, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return -1, nil, fmt.Errorf("resolve %q: %w", addr, err)
	}
	var sa unix.Sockaddr
	family := unix.AF_INET
	switch {
	case ta.IP == nil:
		// No host: prefer a dual-stack IPv6 socket, as net.Listen does.
		fd, bound, err := listenOn(unix.AF_INET6, &unix.SockaddrInet6{Port: ta.Port}, true)
		if err == nil {
			return fd, bound, nil
		}
		sa = &unix.SockaddrInet4{Port: ta.Port}
	case ta.IP.To4() != nil:
		a := &unix.SockaddrInet4{Port: ta.Port}
		copy(a.Addr[:], ta.IP.To4())
		sa = a
	default:
		a := &unix.SockaddrInet6{Port: ta.Port}
		copy(a.Addr[:], ta.IP.To16())
		if ta.Zone != "" {
			ifi, err := net.InterfaceByName(ta.Zone)
			if err != nil {
				return -1, nil, fmt.Errorf("zone %q: %w", ta.Zone, err)
			}
			a.ZoneId = uint32(ifi.Index)
		}
		sa, family = a, unix.AF_INET6
	}
	return listenOn(family, sa, false)
}

func listenOn(family int, sa unix.Sockaddr, dualStack bool) (int, net.Addr, error) {
	fd, err := socket(family)
	if err != nil {
		return -1, nil, err
	}
	fail := func(what string, err error) (int, net.Addr, error) {
		_ = unix.Close(fd)
		return -1, nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fail("setsockopt SO_REUSEADDR", err)
	}
	if dualStack {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0); err != nil {
			return fail("setsockopt IPV6_V6ONLY", err)
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		// The errno says what went wrong ("address already in use").
		return fail("bind "+SockaddrToTCP(sa).String(), err)
	}
	if err := unix.Listen(fd, listenBacklog); err != nil {
		return fail("listen", err)
	}
	bound, err := unix.Getsockname(fd)
	if err != nil {
		return fail("getsockname", err)
	}
	return fd, SockaddrToTCP(bound), nil
}

// LocalAddr returns the local address of an accepted socket, or fallback
// when the system cannot tell.
func LocalAddr(fd int, fallback net.Addr) net.Addr {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return fallback
	}
	if a := SockaddrToTCP(sa); a != nil {
		return a
	}
	return fallback
}

// SetNoDelay turns off Nagle's algorithm: responses are written whole, so
// waiting to coalesce them only adds latency.
func SetNoDelay(fd int) error {
	return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
}

// AcceptAction says what an accept loop does after an accept error.
type AcceptAction int

const (
	// AcceptDone: the queue is empty (EAGAIN); wait for readiness.
	AcceptDone AcceptAction = iota
	// AcceptRetry: that one connection failed (aborted, interrupted);
	// accept the next.
	AcceptRetry
	// AcceptBackoff: the process or system is out of a resource (EMFILE,
	// ENFILE, ENOBUFS, ENOMEM); stop accepting for a while, keep serving.
	AcceptBackoff
	// AcceptFatal: the listener itself is broken.
	AcceptFatal
)

// ClassifyAcceptError maps an accept error to the action to take.
func ClassifyAcceptError(err error) AcceptAction {
	errno, ok := err.(unix.Errno) // the usual case, without an allocation
	if !ok {
		var wrapped unix.Errno
		if !errors.As(err, &wrapped) {
			return AcceptFatal
		}
		errno = wrapped
	}
	switch errno {
	case unix.EAGAIN:
		return AcceptDone
	case unix.EINTR, unix.ECONNABORTED, unix.EPROTO, unix.EPERM, unix.ECONNRESET, unix.ETIMEDOUT:
		return AcceptRetry
	case unix.EMFILE, unix.ENFILE, unix.ENOBUFS, unix.ENOMEM:
		return AcceptBackoff
	}
	return AcceptFatal
}
