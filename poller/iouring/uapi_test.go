//go:build linux

package iouring

import (
	"testing"
	"unsafe"
)

// TestABILayout checks the structs shared with the kernel against the
// sizes and offsets in include/uapi/linux/io_uring.h.
func TestABILayout(t *testing.T) {
	var s sqe
	var c cqe
	var p params
	var b buf
	for _, tc := range []struct {
		name      string
		got, want uintptr
	}{
		{"sizeof(io_uring_sqe)", unsafe.Sizeof(s), 64},
		{"sqe.ioprio", unsafe.Offsetof(s.ioprio), 2},
		{"sqe.fd", unsafe.Offsetof(s.fd), 4},
		{"sqe.off", unsafe.Offsetof(s.off), 8},
		{"sqe.addr", unsafe.Offsetof(s.addr), 16},
		{"sqe.len", unsafe.Offsetof(s.len), 24},
		{"sqe.op_flags", unsafe.Offsetof(s.opFlags), 28},
		{"sqe.user_data", unsafe.Offsetof(s.userData), 32},
		{"sqe.buf_group", unsafe.Offsetof(s.bufGroup), 40},
		{"sizeof(io_uring_cqe)", unsafe.Sizeof(c), 16},
		{"cqe.res", unsafe.Offsetof(c.res), 8},
		{"cqe.flags", unsafe.Offsetof(c.flags), 12},
		{"sizeof(io_sqring_offsets)", unsafe.Sizeof(sqringOffsets{}), 40},
		{"sizeof(io_cqring_offsets)", unsafe.Sizeof(cqringOffsets{}), 40},
		{"sizeof(io_uring_params)", unsafe.Sizeof(p), 120},
		{"params.features", unsafe.Offsetof(p.features), 20},
		{"params.sq_off", unsafe.Offsetof(p.sqOff), 40},
		{"params.cq_off", unsafe.Offsetof(p.cqOff), 80},
		{"sizeof(io_uring_probe_op)", unsafe.Sizeof(probeOp{}), 8},
		{"io_uring_probe.ops", unsafe.Offsetof(probe{}.ops), 16},
		{"sizeof(io_uring_buf_reg)", unsafe.Sizeof(bufReg{}), 40},
		{"sizeof(io_uring_buf)", unsafe.Sizeof(b), 16},
		{"buf.bid", unsafe.Offsetof(b.bid), 12},
		{"buf.resv (the ring's tail in entry 0)", unsafe.Offsetof(b.resv), 14},
		{"sizeof(io_uring_getevents_arg)", unsafe.Sizeof(getEventsArg{}), 24},
		{"sizeof(__kernel_timespec)", unsafe.Sizeof(timespec{}), 16},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %d, want %d", tc.name, tc.got, tc.want)
		}
	}
}

// TestPackTail: the 32-bit store at offset 12 writes entry 0's bid and the
// tail exactly where the kernel reads them.
func TestPackTail(t *testing.T) {
	var entries [2]buf
	word := (*uint32)(unsafe.Pointer(&entries[0].bid))
	*word = packTail(0xBEEF, 0x1234)
	if entries[0].bid != 0xBEEF || entries[0].resv != 0x1234 {
		t.Fatalf("bid %#x tail %#x", entries[0].bid, entries[0].resv)
	}
}

func TestUserData(t *testing.T) {
	for _, tc := range []struct {
		kind uint8
		fd   int
		gen  uint32
	}{{udRecv, 3, 1}, {udSend, maxFD, ^uint32(0)}, {udCancel, 0, 0}, {udAccept, 12345, 1 << 31}} {
		k, fd, gen := decode(ud(tc.kind, tc.fd, tc.gen))
		if k != tc.kind || fd != tc.fd || gen != tc.gen {
			t.Errorf("ud(%d, %d, %d) decodes to %d, %d, %d", tc.kind, tc.fd, tc.gen, k, fd, gen)
		}
	}
}
