//go:build linux

package iouring

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// availability runs detect once per process; tests replace it.
var availability = sync.OnceValue(detect)

// Detect reports why the io_uring backend cannot run on this machine, or
// nil when it can. The error names the reason: no io_uring in the kernel, io_uring disabled (by the sysctl
// kernel.io_uring_disabled or a seccomp filter), or a missing feature and
// the kernel version that brings it. The answer is computed once; Open and
// poller.Lookup wrap it with poller.ErrUnavailable.
func Detect() error { return availability() }

// required are the operations the backend submits, with the kernel that
// added each.
var required = []struct {
	op    uint8
	name  string
	since string
}{
	{opAccept, "ACCEPT", "5.5"},
	{opAsyncCancel, "ASYNC_CANCEL", "5.5"},
	{opRead, "READ", "5.6"},
	{opSend, "SEND", "5.6"},
	{opRecv, "RECV", "5.6"},
}

// detect sets up a small ring and checks everything Open relies on.
func detect() error {
	r, err := newRing(8, 16, 0)
	if err != nil {
		return explainSetup(err)
	}
	defer r.close()
	return checkRing(r)
}

// checkRing checks the features and operations of a ring's kernel.
func checkRing(r *ring) error {
	if r.features&featFastPoll == 0 {
		return unavailable("kernel lacks IORING_FEAT_FAST_POLL (needs 5.7+)")
	}
	if r.features&featExtArg == 0 {
		return unavailable("kernel lacks IORING_FEAT_EXT_ARG (needs 5.11+)")
	}
	pr, err := r.probe()
	if err != nil {
		return unavailable("kernel cannot be probed for io_uring operations (needs 5.6+): %v", err)
	}
	for _, req := range required {
		if !pr.supports(req.op) {
			return unavailable("kernel lacks IORING_OP_%s (needs %s+)", req.name, req.since)
		}
	}
	// Multishot receive (IORING_RECV_MULTISHOT) came with 6.0, as did
	// IORING_OP_SEND_ZC; a flag cannot be probed, the opcode can.
	if !pr.supports(opSendZC) {
		return unavailable("kernel lacks multishot receive (IORING_RECV_MULTISHOT, needs 6.0+)")
	}
	br, err := newBufRing(r, 1, 64, 0)
	if err != nil {
		return unavailable("kernel lacks provided-buffer rings (IORING_REGISTER_PBUF_RING, needs 5.19+): %v", err)
	}
	br.release(r)
	return nil
}

// unavailable formats a reason; Open and the registry wrap it with
// poller.ErrUnavailable.
func unavailable(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}

// explainSetup turns io_uring_setup's error into the reason io_uring
// cannot be used.
func explainSetup(err error) error {
	switch {
	case errors.Is(err, unix.ENOSYS):
		return fmt.Errorf("kernel has no io_uring (needs Linux 6.0+ built with CONFIG_IO_URING): io_uring_setup: %w", err)
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return fmt.Errorf("io_uring disabled (%s): %w", disabledBy(), err)
	}
	return fmt.Errorf("io_uring cannot be set up: %w", err)
}

// disabledBy says what most likely refused io_uring_setup: the sysctl, when
// it is set, otherwise a seccomp filter (containers often install one).
func disabledBy() string {
	b, err := os.ReadFile("/proc/sys/kernel/io_uring_disabled")
	switch v := strings.TrimSpace(string(b)); {
	case err == nil && v == "2":
		return "kernel.io_uring_disabled=2"
	case err == nil && v == "1":
		return "kernel.io_uring_disabled=1 and this process is not in kernel.io_uring_group"
	}
	return "kernel.io_uring_disabled or seccomp"
}
