//go:build linux

package iouring

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/miniasync/miniasync/poller"
)

// TestRingNopRoundTrip submits no-ops through a raw ring, fills the
// submission queue to the brim, and reaps every completion in order.
func TestRingNopRoundTrip(t *testing.T) {
	needRing(t)
	r, err := newRing(8, 32, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	if r.sqEntries != 8 || len(r.cqes) != 32 {
		t.Fatalf("ring sizes %d/%d, want 8/32", r.sqEntries, len(r.cqes))
	}
	for round := range 3 { // the indices wrap around
		for i := range 8 {
			s := r.get()
			if s == nil {
				t.Fatalf("round %d: queue full after %d entries", round, i)
			}
			s.opcode = opNop
			s.userData = uint64(round*100 + i)
		}
		if r.get() != nil {
			t.Fatal("get on a full submission queue returned an entry")
		}
		if _, err := r.enter(8, true, time.Second); err != nil {
			t.Fatal(err)
		}
		head, tail := r.ready()
		if tail-head != 8 {
			t.Fatalf("round %d: %d completions, want 8", round, tail-head)
		}
		for i := range 8 {
			if e := r.at(head + uint32(i)); e.userData != uint64(round*100+i) || e.res != 0 {
				t.Fatalf("completion %d: user_data %d res %d", i, e.userData, e.res)
			}
		}
		r.consume(tail)
		if r.unsubmitted() != 0 {
			t.Fatalf("%d entries left unsubmitted", r.unsubmitted())
		}
	}
}

// TestEnterTimesOut: a wait with nothing in flight ends at its timeout.
func TestEnterTimesOut(t *testing.T) {
	needRing(t)
	r, err := newRing(8, 16, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	start := time.Now()
	if _, err := r.enter(1, true, 30*time.Millisecond); !errors.Is(err, unix.ETIME) {
		t.Fatalf("enter: %v, want ETIME", err)
	}
	if d := time.Since(start); d < 20*time.Millisecond || d > 2*time.Second {
		t.Fatalf("waited %v for a 30ms timeout", d)
	}
}

// TestProvidedBuffersRecycle receives more messages than the ring has
// buffers through one multishot receive, giving each buffer back.
func TestProvidedBuffersRecycle(t *testing.T) {
	needRing(t)
	r, err := newRing(8, 64, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	b, err := newBufRing(r, 2, 64, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer b.release(r)
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	s := r.get()
	s.opcode, s.fd, s.ioprio, s.flags, s.bufGroup, s.userData = opRecv, int32(fds[0]), recvMultishot, sqeBufferSelect, 7, 42
	if _, err := r.enter(0, true, 0); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		msg := []byte{'m', byte('0' + i)}
		if _, err := unix.Write(fds[1], msg); err != nil {
			t.Fatal(err)
		}
		if _, err := r.enter(1, true, time.Second); err != nil {
			t.Fatal(err)
		}
		head, tail := r.ready()
		if head == tail {
			t.Fatalf("message %d: no completion", i)
		}
		e := *r.at(head)
		r.consume(head + 1)
		if e.res != 2 || e.flags&cqeFBuffer == 0 || e.flags&cqeFMore == 0 {
			t.Fatalf("message %d: res %d flags %#x", i, e.res, e.flags)
		}
		bid := uint16(e.flags >> cqeBufferShift)
		if got := string(b.get(bid, int(e.res))); got != string(msg) {
			t.Fatalf("message %d: buffer %d holds %q", i, bid, got)
		}
		b.add(bid)
		b.publish()
	}
}

// TestFixedMemoryResidentAtSetup: the ring's queues and the provided
// buffers are resident as soon as they are set up, before any receive
// touches a buffer, so the memory counts in the Poller's baseline and does
// not appear to grow with the first connections (see bufRing).
func TestFixedMemoryResidentAtSetup(t *testing.T) {
	needRing(t)
	r, err := newRing(DefaultEntries, 4*DefaultEntries, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	b, err := newBufRing(r, DefaultBuffers, DefaultBufferSize, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer b.release(r)
	for _, m := range []struct {
		name string
		mem  []byte
	}{{"submission queue", r.sqMem}, {"completion queue", r.cqMem}, {"submission entries", r.sqeMem}, {"buffer ring", b.mem}, {"buffers", b.data}} {
		if in, all := resident(t, m.mem); in != all {
			t.Errorf("%s: %d of %d pages resident after set-up, want all", m.name, in, all)
		}
	}
}

// resident counts the pages of mem that are in memory (mincore(2)).
func resident(t *testing.T, mem []byte) (in, all int) {
	t.Helper()
	page := unix.Getpagesize()
	vec := make([]byte, (len(mem)+page-1)/page)
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&mem[0])), uintptr(len(mem)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatalf("mincore: %v", errno)
	}
	for _, v := range vec {
		in += int(v & 1)
	}
	return in, len(vec)
}

func TestConfig(t *testing.T) {
	if _, err := configFrom(struct{}{}); err == nil {
		t.Error("settings of a foreign type accepted")
	}
	for _, bad := range []Config{{Entries: 100}, {Buffers: 3}, {BufferSize: 1}, {CloseGrace: -1}} {
		if _, err := configFrom(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	c, err := configFrom(&Config{Buffers: 64})
	if err != nil || c.Buffers != 64 || c.Entries != DefaultEntries || c.CloseGrace != DefaultCloseGrace {
		t.Fatalf("defaults: %+v %v", c, err)
	}
}

// TestUnavailableIsNotListedAndSaysWhy: where detection fails, the backend
// is left out of poller.Available, and selecting it names the reason.
func TestUnavailableIsNotListedAndSaysWhy(t *testing.T) {
	saved := availability
	t.Cleanup(func() { availability = saved })
	for _, tc := range []struct {
		errno unix.Errno
		want  string
	}{
		{unix.ENOSYS, "kernel has no io_uring"},
		{unix.EPERM, "io_uring disabled (kernel.io_uring_disabled"},
	} {
		reason := explainSetup(tc.errno)
		availability = func() error { return reason }
		for _, name := range poller.Available() {
			if name == Name {
				t.Fatalf("%v: %s listed as available", tc.errno, Name)
			}
		}
		_, err := poller.Lookup(Name)
		if !errors.Is(err, poller.ErrUnavailable) || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%v: Lookup: %v, want ErrUnavailable saying %q", tc.errno, err, tc.want)
		}
		if _, err := Open(poller.Options{Addr: "127.0.0.1:0"}); !errors.Is(err, poller.ErrUnavailable) || !errors.Is(err, tc.errno) {
			t.Fatalf("%v: Open: %v", tc.errno, err)
		}
		if poller.Default() == Name {
			t.Fatal("iouring is the default backend")
		}
	}
}

func TestRegisteredNotDefault(t *testing.T) {
	needRing(t)
	if _, err := poller.Lookup(Name); err != nil {
		t.Fatal(err)
	}
	if poller.Default() == Name {
		t.Fatalf("default backend is %q; it must stay epoll", Name)
	}
}
