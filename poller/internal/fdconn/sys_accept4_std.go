//go:build netbsd || openbsd

package fdconn

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// socket creates a non-blocking, close-on-exec socket.
func socket(family int) (int, error) {
	return unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
}

// Accept accepts one connection as a non-blocking, close-on-exec socket.
// golang.org/x/sys/unix has no Accept4 on NetBSD and OpenBSD, so this uses
// the standard library's (paccept(2) on NetBSD; on OpenBSD it goes through
// libc, which is the only way a program may make system calls there). Its
// errors are syscall.Errno, which unix.Errno aliases, so
// ClassifyAcceptError reads them.
func Accept(lfd int) (int, unix.Sockaddr, error) {
	fd, sa, err := syscall.Accept4(lfd, syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
	if err != nil {
		return -1, nil, err
	}
	return fd, toUnixSockaddr(sa), nil
}

// toUnixSockaddr converts the standard library's socket address of a TCP
// peer to x/sys/unix's (nil for other families).
func toUnixSockaddr(sa syscall.Sockaddr) unix.Sockaddr {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return &unix.SockaddrInet4{Port: a.Port, Addr: a.Addr}
	case *syscall.SockaddrInet6:
		return &unix.SockaddrInet6{Port: a.Port, ZoneId: a.ZoneId, Addr: a.Addr}
	}
	return nil
}
