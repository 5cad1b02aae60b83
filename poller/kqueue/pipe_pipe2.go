//go:build freebsd || netbsd || openbsd || dragonfly

package kqueue

import "golang.org/x/sys/unix"

// newPipe returns a non-blocking, close-on-exec pipe (read end, write end).
func newPipe() (r, w int, err error) {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return -1, -1, err
	}
	return fds[0], fds[1], nil
}
