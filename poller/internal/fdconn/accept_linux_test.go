//go:build linux

package fdconn

import (
	"errors"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestAcceptAddr: the peer's address comes back by value, IPv4 and IPv6,
// accepting allocates nothing, and an empty queue says EAGAIN.
func TestAcceptAddr(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "[::1]"} {
		t.Run(host, func(t *testing.T) {
			lfd, addr, err := Listen(host + ":0")
			if err != nil {
				t.Skipf("no %s here: %v", host, err)
			}
			defer unix.Close(lfd)
			const n = 6
			var clients []net.Conn
			for range n {
				c, err := net.Dial("tcp", addr.String())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				clients = append(clients, c)
			}
			accept := func() (int, SockAddr) {
				deadline := time.Now().Add(5 * time.Second)
				for {
					fd, sa, err := AcceptAddr(lfd)
					if err == nil {
						return fd, sa
					}
					if !errors.Is(err, unix.EAGAIN) || time.Now().After(deadline) {
						t.Fatal(err)
					}
					time.Sleep(time.Millisecond)
				}
			}
			fd, sa := accept()
			c := NewWithAddr(fd, 1, sa, nil)
			defer c.Close()
			if got, want := c.RemoteAddr().String(), clients[0].LocalAddr().String(); got != want {
				t.Errorf("RemoteAddr %s, want %s", got, want)
			}
			allocs := testing.AllocsPerRun(n-2, func() {
				fd, _ := accept()
				unix.Close(fd)
			})
			if allocs > 0 {
				t.Errorf("%.1f allocations per accept, want 0", allocs)
			}
			if _, _, err := AcceptAddr(lfd); !errors.Is(err, unix.EAGAIN) || ClassifyAcceptError(err) != AcceptDone {
				t.Errorf("empty queue: %v", err)
			}
		})
	}
}
