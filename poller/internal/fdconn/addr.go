//go:build unix

package fdconn

import (
	"net"
	"net/netip"

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

// AppendText appends the address as net.TCPAddr.String formats it
// ("1.2.3.4:80", "[::1]:80"), without allocating unless it has an IPv6
// zone, whose interface name must be looked up.
func (a SockAddr) AppendText(dst []byte) []byte {
	switch {
	case a.family == 4:
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(a.ip[:4])), a.port).AppendTo(dst)
	case a.family == 6 && a.zone == 0:
		ip := netip.AddrFrom16(a.ip)
		if ip.Is4In6() {
			ip = ip.Unmap() // net.IP prints mapped IPv4 addresses as IPv4
		}
		return netip.AddrPortFrom(ip, a.port).AppendTo(dst)
	case a.family == 6:
		return append(dst, a.TCP().String()...)
	}
	return dst
}

// AppendRemoteAddr appends the peer's address as RemoteAddr().String()
// would, without allocating (see SockAddr.AppendText).
func (c *Conn) AppendRemoteAddr(dst []byte) []byte { return c.remote.AppendText(dst) }
