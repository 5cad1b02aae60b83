//go:build unix && !linux

package fdconn

import "golang.org/x/sys/unix"

// PeerGone implements poller.PeerChecker with a zero-timeout poll(2) for a
// hang-up or an error, then a one-byte peek for the peer's FIN (these
// systems have no POLLRDHUP). Input waiting ahead of the FIN hides it, so
// false proves nothing.
func (c *Conn) PeerGone() bool {
	if c.closed.Load() {
		return true
	}
	fds := []unix.PollFd{{Fd: int32(c.fd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	if err != nil || n == 0 {
		return false
	}
	if fds[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 {
		return true
	}
	var b [1]byte
	m, _, err := unix.Recvfrom(int(c.fd), b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
	return err == nil && m == 0
}
