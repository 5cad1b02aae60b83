//go:build darwin

package fdconn

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// socket creates a non-blocking, close-on-exec socket. Darwin has neither
// SOCK_NONBLOCK nor SOCK_CLOEXEC, so the flags are set after creation under
// the fork lock, as the standard library does, so a concurrent fork cannot
// inherit the descriptor.
func socket(family int) (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(family, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// Accept accepts one connection as a non-blocking, close-on-exec socket.
func Accept(lfd int) (int, unix.Sockaddr, error) {
	syscall.ForkLock.RLock()
	fd, sa, err := unix.Accept(lfd)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, nil, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return -1, nil, err
	}
	return fd, sa, nil
}
