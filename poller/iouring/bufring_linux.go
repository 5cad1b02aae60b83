//go:build linux

package iouring

import (
	"fmt"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// bufRing is a provided-buffer ring (IORING_REGISTER_PBUF_RING, 5.19+):
// buffers the kernel picks from when a receive completes, so a connection
// waiting for input holds none. The event loop copies each completed
// receive out and gives the buffer back at once, so the ring stays full
// and the buffers are a fixed cost of the Poller, not of its connections.
//
// That cost is made resident when the ring is set up (MAP_POPULATE), not
// page by page as receives first land in each buffer: the kernel hands the
// buffers out in ring order, so the first Buffers receives would touch all
// of them anyway, and the memory would look as if it grew with the first
// connections. It does not grow either way: there are Buffers buffers of
// BufferSize bytes, whatever the number of connections (the README's idle
// figures, and the smaps comparison they come from).
type bufRing struct {
	mem     []byte // the ring's entries, page-aligned as the kernel requires
	data    []byte // the buffers themselves
	entries []buf
	// tailWord is the 32-bit word holding entry 0's bid and the ring's
	// 16-bit tail (which overlays entry 0's resv field). Go has no 16-bit
	// atomics, so the tail is published with a 32-bit store that rewrites
	// entry 0's bid with the value last put there (bid0).
	tailWord *uint32
	size     int
	mask     uint16
	tail     uint16
	bid0     uint16
	bgid     uint16
}

// littleEndian tells how the tail word is laid out in memory.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// newBufRing maps count buffers of size bytes (count a power of two), and
// registers them with r as buffer group bgid.
func newBufRing(r *ring, count, size int, bgid uint16) (*bufRing, error) {
	if count <= 0 || count > 1<<15 || count&(count-1) != 0 {
		return nil, fmt.Errorf("io_uring: buffer count %d is not a power of two in [1, 32768]", count)
	}
	const prot = unix.PROT_READ | unix.PROT_WRITE
	// MAP_POPULATE on a private writable mapping faults every page in for
	// writing: the buffers are resident from the start (see bufRing).
	const flags = unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_POPULATE
	b := &bufRing{size: size, mask: uint16(count - 1), bgid: bgid}
	var err error
	if b.mem, err = unix.Mmap(-1, 0, count*int(unsafe.Sizeof(buf{})), prot, flags); err != nil {
		return nil, fmt.Errorf("io_uring: mmap buffer ring: %w", err)
	}
	if b.data, err = unix.Mmap(-1, 0, count*size, prot, flags); err != nil {
		b.unmap()
		return nil, fmt.Errorf("io_uring: mmap buffers: %w", err)
	}
	b.entries = unsafe.Slice((*buf)(unsafe.Pointer(&b.mem[0])), count)
	b.tailWord = (*uint32)(unsafe.Pointer(&b.mem[12]))
	reg := bufReg{ringAddr: uint64(uintptr(unsafe.Pointer(&b.mem[0]))), ringEntries: uint32(count), bgid: bgid}
	if err := sysRegister(r.fd, registerPbufRing, unsafe.Pointer(&reg), 1); err != nil {
		b.unmap()
		return nil, fmt.Errorf("io_uring_register(PBUF_RING): %w", err)
	}
	for i := range count {
		b.add(uint16(i))
	}
	b.publish()
	return b, nil
}

// get returns the first n bytes of buffer bid.
func (b *bufRing) get(bid uint16, n int) []byte {
	off := int(bid&b.mask) * b.size
	return b.data[off : off+min(n, b.size)]
}

// add queues buffer bid for the kernel; publish makes it visible.
func (b *bufRing) add(bid uint16) {
	slot := b.tail & b.mask
	e := &b.entries[slot]
	// Field by field: entry 0's resv is the ring's tail.
	e.addr = uint64(uintptr(unsafe.Pointer(&b.data[int(bid)*b.size])))
	e.len = uint32(b.size)
	e.bid = bid
	if slot == 0 {
		b.bid0 = bid
	}
	b.tail++
}

// publish stores the tail with release ordering, after the entries.
func (b *bufRing) publish() {
	atomic.StoreUint32(b.tailWord, packTail(b.bid0, b.tail))
}

// packTail is the 32-bit word at offset 12 holding entry 0's bid and the
// ring's tail.
func packTail(bid0, tail uint16) uint32 {
	if littleEndian {
		return uint32(bid0) | uint32(tail)<<16
	}
	return uint32(bid0)<<16 | uint32(tail)
}

// release unregisters the group (when the ring is still open) and unmaps
// the memory; call it only once nothing is in flight or the ring is closed.
func (b *bufRing) release(r *ring) {
	if r != nil && r.fd >= 0 {
		reg := bufReg{bgid: b.bgid}
		_ = sysRegister(r.fd, unregisterPbufRing, unsafe.Pointer(&reg), 1)
	}
	b.unmap()
}

func (b *bufRing) unmap() {
	if b.data != nil {
		_ = unix.Munmap(b.data)
		b.data = nil
	}
	if b.mem != nil {
		_ = unix.Munmap(b.mem)
		b.mem = nil
	}
	b.entries = nil
}
