package fdconn

import "golang.org/x/sys/unix"

// PeerGone implements poller.PeerChecker: a zero-timeout poll(2) for the
// peer's FIN (POLLRDHUP), a hang-up or an error. It consumes no input, so it
// is safe while the owner runs a handler.
func (c *Conn) PeerGone() bool {
	if c.closed.Load() {
		return true
	}
	fds := []unix.PollFd{{Fd: int32(c.fd), Events: unix.POLLRDHUP}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n == 1 && fds[0].Revents&(unix.POLLRDHUP|unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0
}
