package kqueue

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// newPipe returns a non-blocking, close-on-exec pipe (read end, write end).
// Darwin has no pipe2, so the flags are set after creation under the fork
// lock, as the standard library does, so a concurrent fork cannot inherit
// the descriptors. (Darwin wakes through EVFILT_USER; the pipe serves the
// tests of the fallback.)
func newPipe() (r, w int, err error) {
	var fds [2]int
	syscall.ForkLock.RLock()
	err = unix.Pipe(fds[:])
	if err == nil {
		unix.CloseOnExec(fds[0])
		unix.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, -1, err
	}
	for _, fd := range fds {
		if err := unix.SetNonblock(fd, true); err != nil {
			_ = unix.Close(fds[0])
			_ = unix.Close(fds[1])
			return -1, -1, err
		}
	}
	return fds[0], fds[1], nil
}
