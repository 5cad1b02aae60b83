//go:build linux

package iouring

import (
	"sync/atomic"

	"github.com/miniasync/miniasync/poller"
)

// Connection ownership between the event loop and the connection's owner.
//
// Completions arrive on the event loop whether or not the owner has armed
// the connection: a multishot receive keeps receiving. One word per
// connection, changed only by compare-and-swap, decides who acts on what:
//
//	armed (bits 0-1)    the interest the owner handed the connection back
//	                    for; only the loop clears it, when it reports.
//	pending (bits 2-3)  readiness the loop saw while not armed for it.
//	hup                 the peer closed its side (receive returned 0);
//	                    kept for good, so every Arm for reading reports it.
//	failed              a receive or send failed; c.err holds why (written
//	                    by the loop before it sets the bit). Every Arm
//	                    reports EventClosed.
//	data                the loop holds input the owner has not taken; it
//	                    is handed over as Event.Data of the next
//	                    EventReadable, which the loop builds.
//	closed              the owner called Close: the loop reports nothing
//	                    more (checked in the same CAS that would report).
//	send                output is queued and being sent (set by Write,
//	                    cleared by the loop when the send is done).
//
// loopSignal (the loop) reports a completion: if the connection is armed
// for it, it disarms and the loop builds the one event; otherwise it is
// remembered. ownerArm (the owner) arms, or, when something is already
// there, leaves the connection unarmed and returns what to report; the
// owner then queues it for the loop (Poller.post). Nothing is lost and
// nothing is reported twice; no lock is taken.
const (
	armedMask = uint32(poller.Readable | poller.Writable)
	pendShift = 2
	hupBit    = 1 << 4
	failBit   = 1 << 5
	dataBit   = 1 << 6
	closedBit = 1 << 7
	// sendBit: a send is in flight (conn.out is the loop's); set by the
	// owner's Write, cleared by the loop. The functions below keep it.
	sendBit    = 1 << 8
	persistent = hupBit | failBit | dataBit
)

// first returns one interest of i, Readable before Writable.
func first(i poller.Interest) poller.Interest {
	if i&poller.Readable != 0 {
		return poller.Readable
	}
	return i & poller.Writable
}

// loopSignal records readiness ready (and the bits in set) on the
// connection word w. It returns the interest to report, having disarmed the
// connection, or 0 when the connection is not armed for it or is closed.
func loopSignal(w *atomic.Uint32, ready poller.Interest, set uint32) poller.Interest {
	for {
		old := w.Load()
		if old&closedBit != 0 {
			return 0
		}
		s := old | set
		if s&failBit != 0 {
			ready = poller.Readable | poller.Writable
		}
		hit := first(poller.Interest(s&armedMask) & ready)
		n := s | uint32(ready)<<pendShift
		if hit != 0 {
			n = s&^armedMask | uint32(ready&^hit)<<pendShift
		}
		if w.CompareAndSwap(old, n) {
			return hit
		}
	}
}

// ownerArm arms w for interest i, or, when something for i is already
// there, clears that readiness, leaves the connection unarmed and returns
// the interest to report at once. canWrite says no send is in flight.
func ownerArm(w *atomic.Uint32, i poller.Interest, canWrite bool) poller.Interest {
	for {
		s := w.Load()
		ready := poller.Interest(s>>pendShift) & i
		if s&(hupBit|dataBit) != 0 {
			ready |= i & poller.Readable
		}
		if canWrite {
			ready |= i & poller.Writable
		}
		if s&failBit != 0 {
			ready |= i
		}
		hit := first(ready)
		n := s&^armedMask | uint32(i)
		if hit != 0 {
			n = s &^ armedMask &^ (uint32(hit) << pendShift)
		}
		if w.CompareAndSwap(s, n) {
			return hit
		}
	}
}

// ownerClose marks w closed and returns the interest it was armed for.
func ownerClose(w *atomic.Uint32) poller.Interest {
	for {
		s := w.Load()
		if w.CompareAndSwap(s, (s|closedBit)&^armedMask) {
			return poller.Interest(s & armedMask)
		}
	}
}
