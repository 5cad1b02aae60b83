//go:build linux

package fdconn

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// AcceptAddr is Accept that returns the peer's address by value: the
// kernel writes it into a buffer on the stack, so accepting allocates
// nothing (unix.Accept4 allocates that buffer and the Sockaddr it returns,
// about 150 bytes per connection, most of it garbage right away).
func AcceptAddr(lfd int) (int, SockAddr, error) {
	var rsa unix.RawSockaddrAny
	l := uint32(unix.SizeofSockaddrAny)
	fd, _, e := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(lfd), uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&l)),
		uintptr(unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC), 0, 0)
	if e != 0 {
		return -1, SockAddr{}, e
	}
	return int(fd), rawSockAddr(&rsa), nil
}

// rawSockAddr converts the kernel's form of an IPv4 or IPv6 address.
func rawSockAddr(rsa *unix.RawSockaddrAny) SockAddr {
	var a SockAddr
	switch rsa.Addr.Family {
	case unix.AF_INET:
		p := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		copy(a.ip[:], p.Addr[:])
		a.port = binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&p.Port))[:])
		a.family = 4
	case unix.AF_INET6:
		p := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
		a.ip, a.zone = p.Addr, p.Scope_id
		a.port = binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&p.Port))[:])
		a.family = 6
	}
	return a
}
