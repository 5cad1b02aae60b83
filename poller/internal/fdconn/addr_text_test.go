//go:build unix

package fdconn

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestSockAddrAppendText checks the allocation-free form matches
// net.TCPAddr.String for every family the server sees.
func TestSockAddrAppendText(t *testing.T) {
	mapped := [16]byte{10: 0xff, 11: 0xff, 12: 10, 13: 1, 14: 2, 15: 3}
	for _, sa := range []unix.Sockaddr{
		&unix.SockaddrInet4{Port: 8080, Addr: [4]byte{127, 0, 0, 1}},
		&unix.SockaddrInet6{Port: 443, Addr: [16]byte{15: 1}},
		&unix.SockaddrInet6{Port: 1, Addr: [16]byte{0: 0x20, 1: 0x01, 2: 0x0d, 3: 0xb8, 15: 0x42}},
		&unix.SockaddrInet6{Port: 65535, Addr: mapped},
	} {
		a := SockAddrOf(sa)
		want := a.TCP().String()
		if got := string(a.AppendText(nil)); got != want {
			t.Errorf("AppendText %q, net.TCPAddr says %q", got, want)
		}
		buf := make([]byte, 0, 64)
		if n := testing.AllocsPerRun(100, func() { buf = a.AppendText(buf[:0]) }); n != 0 {
			t.Errorf("%s: %v allocations", want, n)
		}
	}
}
