//go:build linux

package iouring

// The kernel's io_uring ABI (include/uapi/linux/io_uring.h), only the parts
// this backend uses. Layouts are checked against the uapi sizes and offsets
// in uapi_test.go.

// sqe is struct io_uring_sqe (64 bytes). Unions are named after the member
// this backend uses.
type sqe struct {
	opcode   uint8
	flags    uint8
	ioprio   uint16 // also the send/recv and accept flags
	fd       int32
	off      uint64 // also addr2
	addr     uint64
	len      uint32
	opFlags  uint32 // msg_flags, accept_flags, cancel_flags, ...
	userData uint64
	bufGroup uint16 // buf_index / buf_group
	_        uint16 // personality
	_        uint32 // splice_fd_in / file_index
	_        [2]uint64
}

// cqe is struct io_uring_cqe (16 bytes; the ring is not set up with CQE32).
type cqe struct {
	userData uint64
	res      int32
	flags    uint32
}

// sqringOffsets is struct io_sqring_offsets.
type sqringOffsets struct {
	head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
	userAddr                                                        uint64
}

// cqringOffsets is struct io_cqring_offsets.
type cqringOffsets struct {
	head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
	userAddr                                                        uint64
}

// params is struct io_uring_params.
type params struct {
	sqEntries    uint32
	cqEntries    uint32
	flags        uint32
	sqThreadCPU  uint32
	sqThreadIdle uint32
	features     uint32
	wqFd         uint32
	resv         [3]uint32
	sqOff        sqringOffsets
	cqOff        cqringOffsets
}

// probeOp is struct io_uring_probe_op.
type probeOp struct {
	op    uint8
	resv  uint8
	flags uint16
	resv2 uint32
}

// probe is struct io_uring_probe with room for every opcode number.
type probe struct {
	lastOp uint8
	opsLen uint8
	resv   uint16
	resv2  [3]uint32
	ops    [256]probeOp
}

// bufReg is struct io_uring_buf_reg.
type bufReg struct {
	ringAddr    uint64
	ringEntries uint32
	bgid        uint16
	flags       uint16
	resv        [3]uint64
}

// buf is struct io_uring_buf, one entry of a provided-buffer ring.
type buf struct {
	addr uint64
	len  uint32
	bid  uint16
	resv uint16 // in entry 0, the ring's tail
}

// getEventsArg is struct io_uring_getevents_arg (IORING_ENTER_EXT_ARG).
type getEventsArg struct {
	sigmask   uint64
	sigmaskSz uint32
	minWait   uint32 // min_wait_usec (6.12+); 0 elsewhere (pad)
	ts        uint64
}

// timespec is struct __kernel_timespec.
type timespec struct {
	sec  int64
	nsec int64
}

const (
	setupCQSize       = 1 << 3
	setupClamp        = 1 << 4
	setupSubmitAll    = 1 << 7
	setupCoopTaskrun  = 1 << 8
	setupTaskrunFlag  = 1 << 9
	setupSingleIssuer = 1 << 12
	setupDeferTaskrun = 1 << 13

	featSingleMmap = 1 << 0
	featNoDrop     = 1 << 1
	featFastPoll   = 1 << 5
	featExtArg     = 1 << 8

	opNop         = 0
	opAccept      = 13
	opAsyncCancel = 14
	opRead        = 22
	opSend        = 26
	opRecv        = 27
	opShutdown    = 34
	opMsgRing     = 40
	opSendZC      = 47 // 6.0: its presence dates the kernel (see detect)

	sqeBufferSelect   = 1 << 5
	sqeCQESkipSuccess = 1 << 6

	recvMultishot   = 1 << 1
	acceptMultishot = 1 << 0

	cancelAll = 1 << 0
	cancelFD  = 1 << 1
	cancelAny = 1 << 2

	cqeFBuffer     = 1 << 0
	cqeFMore       = 1 << 1
	cqeBufferShift = 16

	offSQRing = 0
	offCQRing = 0x8000000
	offSQEs   = 0x10000000

	sqCQOverflow = 1 << 1
	sqTaskrun    = 1 << 2

	enterGetEvents = 1 << 0
	enterExtArg    = 1 << 3

	registerProbe      = 8
	registerPbufRing   = 22
	unregisterPbufRing = 23

	probeOpSupported = 1 << 0
)
