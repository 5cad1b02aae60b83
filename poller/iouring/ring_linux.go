//go:build linux

package iouring

import (
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ring is one io_uring instance: its descriptor and the submission and
// completion queues mapped into this process. Only one goroutine (the
// event loop) uses a ring; the kernel is the other party, and the queue
// heads and tails it shares are read and written with atomics, which give
// the acquire and release ordering the ABI asks for.
type ring struct {
	fd       int
	features uint32
	flags    uint32 // setup flags the ring was created with

	sqMem, cqMem, sqeMem []byte

	sqHead, sqTail, sqFlags *uint32
	sqMask, sqEntries       uint32
	sqes                    []sqe
	// tail is the next submission slot; entries up to it are published
	// to the kernel (stored to *sqTail) by submit.
	tail uint32

	cqHead, cqTail *uint32
	cqMask         uint32
	cqes           []cqe

	// ts and arg carry a wait's timeout to the kernel (see enter).
	ts  timespec
	arg getEventsArg
}

func sysSetup(entries uint32, p *params) (int, error) {
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(p)), 0)
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

func sysEnter(fd int, toSubmit, minComplete, flags uint32, arg unsafe.Pointer, argSize uintptr) (int, error) {
	n, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(fd), uintptr(toSubmit), uintptr(minComplete), uintptr(flags), uintptr(arg), argSize)
	if errno != 0 {
		return int(n), errno
	}
	return int(n), nil
}

func sysRegister(fd int, op uint32, arg unsafe.Pointer, nr uint32) error {
	_, _, errno := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(fd), uintptr(op), uintptr(arg), uintptr(nr), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// newRing sets up a ring with sqEntries submission slots and cqEntries
// completion slots (rounded up to powers of two by the kernel) and maps
// its queues.
func newRing(sqEntries, cqEntries, flags uint32) (*ring, error) {
	p := params{flags: flags | setupCQSize | setupClamp, cqEntries: cqEntries}
	fd, err := sysSetup(sqEntries, &p)
	if err != nil {
		return nil, fmt.Errorf("io_uring_setup: %w", err)
	}
	r := &ring{fd: fd, features: p.features, flags: p.flags}
	if err := r.mapQueues(&p); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

func (r *ring) mapQueues(p *params) error {
	const prot = unix.PROT_READ | unix.PROT_WRITE
	const flags = unix.MAP_SHARED | unix.MAP_POPULATE
	sqSize := int(p.sqOff.array + p.sqEntries*4)
	cqSize := int(p.cqOff.cqes + p.cqEntries*uint32(unsafe.Sizeof(cqe{})))
	single := p.features&featSingleMmap != 0
	if single {
		sqSize = max(sqSize, cqSize)
	}
	var err error
	if r.sqMem, err = unix.Mmap(r.fd, offSQRing, sqSize, prot, flags); err != nil {
		return fmt.Errorf("io_uring: mmap submission queue: %w", err)
	}
	r.cqMem = r.sqMem
	if !single {
		if r.cqMem, err = unix.Mmap(r.fd, offCQRing, cqSize, prot, flags); err != nil {
			return fmt.Errorf("io_uring: mmap completion queue: %w", err)
		}
	}
	if r.sqeMem, err = unix.Mmap(r.fd, offSQEs, int(p.sqEntries)*int(unsafe.Sizeof(sqe{})), prot, flags); err != nil {
		return fmt.Errorf("io_uring: mmap submission entries: %w", err)
	}
	u32 := func(mem []byte, off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&mem[off])) }
	r.sqHead, r.sqTail, r.sqFlags = u32(r.sqMem, p.sqOff.head), u32(r.sqMem, p.sqOff.tail), u32(r.sqMem, p.sqOff.flags)
	r.sqMask, r.sqEntries = *u32(r.sqMem, p.sqOff.ringMask), p.sqEntries
	r.sqes = unsafe.Slice((*sqe)(unsafe.Pointer(&r.sqeMem[0])), p.sqEntries)
	// The indirection array maps slot i to entry i once and for all.
	array := unsafe.Slice(u32(r.sqMem, p.sqOff.array), p.sqEntries)
	for i := range array {
		array[i] = uint32(i)
	}
	r.cqHead, r.cqTail = u32(r.cqMem, p.cqOff.head), u32(r.cqMem, p.cqOff.tail)
	r.cqMask = *u32(r.cqMem, p.cqOff.ringMask)
	r.cqes = unsafe.Slice((*cqe)(unsafe.Pointer(&r.cqMem[p.cqOff.cqes])), p.cqEntries)
	r.tail = atomic.LoadUint32(r.sqTail)
	return nil
}

// close unmaps the queues and closes the ring; the kernel cancels what is
// still in flight.
func (r *ring) close() error {
	if r.sqeMem != nil {
		_ = unix.Munmap(r.sqeMem)
	}
	if r.cqMem != nil && &r.cqMem[0] != &r.sqMem[0] {
		_ = unix.Munmap(r.cqMem)
	}
	if r.sqMem != nil {
		_ = unix.Munmap(r.sqMem)
	}
	r.sqMem, r.cqMem, r.sqeMem, r.sqes, r.cqes = nil, nil, nil, nil, nil
	if r.fd < 0 {
		return nil
	}
	err := unix.Close(r.fd)
	r.fd = -1
	if err != nil {
		return fmt.Errorf("io_uring: close ring: %w", err)
	}
	return nil
}

// get returns a zeroed submission entry to fill, or nil when the queue is
// full (the caller submits and tries again).
func (r *ring) get() *sqe {
	if r.tail-atomic.LoadUint32(r.sqHead) >= r.sqEntries {
		return nil
	}
	s := &r.sqes[r.tail&r.sqMask]
	*s = sqe{}
	r.tail++
	return s
}

// unsubmitted returns how many entries the kernel has not consumed yet.
func (r *ring) unsubmitted() uint32 { return r.tail - atomic.LoadUint32(r.sqHead) }

// enter publishes the filled entries, submits them, and waits for
// minComplete completions (for at most timeout when it is positive). With
// getEvents it also runs pending completion work, so completions become
// visible even when minComplete is 0.
func (r *ring) enter(minComplete uint32, getEvents bool, timeout time.Duration) (int, error) {
	atomic.StoreUint32(r.sqTail, r.tail)
	toSubmit := r.unsubmitted()
	var flags uint32
	if getEvents || minComplete > 0 {
		flags |= enterGetEvents
	}
	if toSubmit == 0 && flags == 0 {
		return 0, nil
	}
	if minComplete > 0 && timeout > 0 {
		// Both live in the ring (on the heap): arg refers to ts only by
		// its address, which the collector does not see.
		r.ts = timespec{sec: int64(timeout / time.Second), nsec: int64(timeout % time.Second)}
		r.arg = getEventsArg{ts: uint64(uintptr(unsafe.Pointer(&r.ts)))}
		return sysEnter(r.fd, toSubmit, minComplete, flags|enterExtArg, unsafe.Pointer(&r.arg), unsafe.Sizeof(r.arg))
	}
	return sysEnter(r.fd, toSubmit, minComplete, flags, nil, 0)
}

// ready returns the completion queue's head and tail: entries in
// [head, tail) are complete and not yet consumed.
func (r *ring) ready() (head, tail uint32) {
	return atomic.LoadUint32(r.cqHead), atomic.LoadUint32(r.cqTail)
}

// at returns the completion entry at index i (between head and tail).
func (r *ring) at(i uint32) *cqe { return &r.cqes[i&r.cqMask] }

// consume hands the completion entries up to head back to the kernel.
func (r *ring) consume(head uint32) { atomic.StoreUint32(r.cqHead, head) }

// overflowed reports whether the kernel holds completions that did not
// fit in the queue; entering with GETEVENTS moves them in.
func (r *ring) overflowed() bool {
	return atomic.LoadUint32(r.sqFlags)&(sqCQOverflow|sqTaskrun) != 0
}

// probe returns the kernel's opcode support table for this ring.
func (r *ring) probe() (*probe, error) {
	pr := new(probe)
	if err := sysRegister(r.fd, registerProbe, unsafe.Pointer(pr), uint32(len(pr.ops))); err != nil {
		return nil, fmt.Errorf("io_uring_register(PROBE): %w", err)
	}
	return pr, nil
}

// supports reports whether the probed kernel implements opcode op.
func (pr *probe) supports(op uint8) bool {
	return op <= pr.lastOp && int(op) < int(pr.opsLen) && pr.ops[op].flags&probeOpSupported != 0
}
