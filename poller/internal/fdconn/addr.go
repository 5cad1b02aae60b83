//go:build unix

package fdconn

import (
	"net"

	"golang.org/x/sys/unix"
)

// SockaddrToTCP converts a socket address to a *net.TCPAddr (nil for other
// families).
func SockaddrToTCP(sa unix.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: append(net.IP(nil), a.Addr[:]...), Port: a.Port}
	case *unix.SockaddrInet6:
		ta := &net.TCPAddr{IP: append(net.IP(nil), a.Addr[:]...), Port: a.Port}
		if a.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(a.ZoneId)); err == nil {
				ta.Zone = ifi.Name
			}
		}
		return ta
	}
	return nil
}

// SockAddr is a peer's TCP address kept by value in a Conn, so that a
// connection costs no separate allocation for it: the IP (IPv4 in the
// first four bytes), the port, the IPv6 zone index, and the family.
type SockAddr struct {
	ip     [16]byte
	zone   uint32
	port   uint16
	family uint8 // 4, 6, or 0 when unknown
}

// SockAddrOf converts a socket address to a SockAddr (the zero SockAddr for
// other families).
func SockAddrOf(sa unix.Sockaddr) SockAddr {
	var a SockAddr
	switch s := sa.(type) {
	case *unix.SockaddrInet4:
		copy(a.ip[:], s.Addr[:])
		a.port, a.family = uint16(s.Port), 4
	case *unix.SockaddrInet6:
		a.ip, a.zone, a.port, a.family = s.Addr, s.ZoneId, uint16(s.Port), 6
	}
	return a
}

// TCP returns the address as a *net.TCPAddr, or nil when it is unknown.
func (a SockAddr) TCP() net.Addr {
	switch a.family {
	case 4:
		return SockaddrToTCP(&unix.SockaddrInet4{Port: int(a.port), Addr: [4]byte(a.ip[:4])})
	case 6:
		return SockaddrToTCP(&unix.SockaddrInet6{Port: int(a.port), ZoneId: a.zone, Addr: a.ip})
	}
	return nil
}
