package fdconn

import (
	"encoding/binary"
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/miniasync/miniasync/poller"
)

// TestWaker checks a burst of Wakes writes the eventfd once, Rearm lets the
// next one write, and Wake after Close reports ErrClosed.
func TestWaker(t *testing.T) {
	w, err := NewWaker(unix.EFD_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	read := func() uint64 {
		var buf [8]byte
		if _, err := unix.Read(w.FD(), buf[:]); err != nil {
			if err == unix.EAGAIN {
				return 0
			}
			t.Fatal(err)
		}
		return binary.NativeEndian.Uint64(buf[:])
	}
	for range 3 {
		if err := w.Wake(); err != nil {
			t.Fatal(err)
		}
	}
	if n := read(); n != 1 {
		t.Fatalf("three Wakes wrote %d times, want once", n)
	}
	if err := w.Wake(); err != nil || read() != 0 {
		t.Fatal("Wake wrote again before Rearm")
	}
	w.Rearm()
	if err := w.Wake(); err != nil || read() != 1 {
		t.Fatal("Wake after Rearm did not write")
	}
	w.Rearm()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w.Rearm() // a loop finishing a read after Close must not revive it
	if err := w.Wake(); !errors.Is(err, poller.ErrClosed) {
		t.Fatalf("Wake after Close: %v, want ErrClosed", err)
	}
}
