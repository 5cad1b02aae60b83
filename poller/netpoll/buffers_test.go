//go:build linux

package netpoll

import (
	"testing"
	"unsafe"

	"github.com/miniasync/miniasync/poller"
)

// inside reports whether b's array lies within big's.
func inside(b, big []byte) bool {
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(big)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return p >= lo && p < lo+uintptr(cap(big))
}

// Handing a large pending input over one MaxPendingInput at a time leaves
// tails of its array pending; one whose capacity happens to be bufferSize
// must not look pooled, or Arm would put it in the pool, where it would pin
// the whole array for whoever takes it next.
func TestSplitHandoverNeverPoolsATail(t *testing.T) {
	const limit = 64 << 10
	p := &Poller{cfg: Config{MaxPendingInput: limit}}
	c := &conn{p: p}
	big := make([]byte, 16*limit+bufferSize)
	for i := range big {
		big[i] = byte(i % 251)
	}
	c.in = big
	var got []byte
	events := make([]poller.Event, 1)
	for len(c.in) > 0 {
		events[0] = poller.Event{Kind: poller.EventReadable, Conn: c}
		if p.bind(events) != 1 || len(events[0].Data) == 0 || len(events[0].Data) > limit {
			t.Fatalf("handed over %d bytes, want 1 to %d", len(events[0].Data), limit)
		}
		got = append(got, events[0].Data...)
		for _, b := range [][]byte{c.in, c.lent} {
			if cap(b) == bufferSize && inside(b, big) {
				t.Fatalf("a %d-byte tail of the large array looks like a pooled buffer", cap(b))
			}
		}
	}
	if string(got) != string(big) {
		t.Fatal("the pieces handed over are not the pending input, in order")
	}
}

func TestTailOfCapacityBufferSizeIsMoved(t *testing.T) {
	big := make([]byte, 3*bufferSize)
	big[2*bufferSize] = 'x'
	b := tail(big[2*bufferSize : 2*bufferSize+10])
	if inside(b, big) || len(b) != 10 || b[0] != 'x' {
		t.Fatalf("tail kept the large array (%v) or lost bytes (%d, %q)", inside(b, big), len(b), b[:1])
	}
	if b := tail(big[bufferSize:]); !inside(b, big) {
		t.Fatal("a tail that cannot look pooled was copied")
	}
}

// A pooled buffer split by a handover must not go back to the pool at the
// owner's next Arm (lent) while its rest is still pending in it.
func TestSplitOfPooledBufferIsNotLent(t *testing.T) {
	p := &Poller{cfg: Config{MaxPendingInput: 1000}}
	c := &conn{p: p}
	pooled := append(getBuffer(bufferSize), make([]byte, bufferSize)...)
	c.in = pooled
	events := []poller.Event{{Kind: poller.EventReadable, Conn: c}}
	if p.bind(events) != 1 || len(events[0].Data) != 1000 || len(c.in) != bufferSize-1000 {
		t.Fatalf("handed over %d bytes, %d left; want 1000 and %d", len(events[0].Data), len(c.in), bufferSize-1000)
	}
	if c.lent != nil && inside(c.lent, pooled) {
		t.Fatal("the split pooled buffer is lent: Arm would pool it while its rest is pending")
	}
}
