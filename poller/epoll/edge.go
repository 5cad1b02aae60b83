//go:build linux

package epoll

import (
	"sync/atomic"

	"github.com/miniasync/miniasync/poller"
)

// Edge-triggered ownership (the worker-pool mode).
//
// A connection stays registered, edge-triggered, for reading and writing
// for its whole life, so handing it back to the poller costs no system
// call. One word per connection replaces EPOLLONESHOT's kernel-side
// disarming: its low bits hold the interest the owner armed for, the next
// two the readiness the event loop saw while the connection was not armed
// for it. The event loop and the owner change the word only by
// compare-and-swap, so exactly one of them acts on each edge:
//
//   - an edge for an armed interest disarms the connection and becomes its
//     one event (edgeEvent);
//   - an edge for an interest not armed (the owner is busy, or waits for
//     the other direction) is remembered as pending;
//   - Arm for a pending interest, for reading while input may be left
//     unread, or for writing while the socket may have room (no write
//     has found it full since its last edge), does not arm: it clears
//     that readiness and hands the connection to the event loop's ready
//     list, to be reported by the next Wait (edgeArm). Edges are
//     therefore never lost, and the owner never touches the registration,
//     so no stale system call can reach a descriptor number that a new
//     connection has taken. Room needs the owner's word because its edge
//     comes only when a full send buffer drains: an owner that wrote
//     everything and arms for writing (to yield its turn) would otherwise
//     wait for an edge that never comes.
//
// A readiness edge carries the descriptor's whole state, so an event may
// report readiness that an earlier turn already used up (input already
// read, room already filled); such spurious events are allowed by the
// poller contract and cost one would-block.
//
// The peer's close (EPOLLRDHUP, EPOLLHUP, EPOLLERR) is remembered for good
// (hupBit): its edge comes once, possibly together with the last input, and
// an owner that reads that input with one short read has not seen the end
// of the stream yet, so every later Arm for reading reports it at once.
const (
	armedMask   = uint32(poller.Readable | poller.Writable)
	pendingBits = 2 // pending interests are stored shifted by this
	hupBit      = 1 << 4
)

// first returns one interest of i, Readable before Writable, so an event
// reports one direction and the other stays pending.
func first(i poller.Interest) poller.Interest {
	if i&poller.Readable != 0 {
		return poller.Readable
	}
	return i & poller.Writable
}

// edgeEvent handles an edge reporting readiness ready (and, with hup, the
// peer's close) for the connection whose state word is w. It returns the interest to report, having
// disarmed the connection, or 0 when the connection is not armed for any of
// ready. Readiness not reported is left pending.
func edgeEvent(w *atomic.Uint32, ready poller.Interest, hup bool) poller.Interest {
	for {
		old := w.Load()
		s := old
		if hup {
			s |= hupBit
		}
		hit := first(poller.Interest(s&armedMask) & ready)
		n := s&^armedMask | uint32(ready&^hit)<<pendingBits
		if hit == 0 {
			n = s | uint32(ready)<<pendingBits
		}
		if w.CompareAndSwap(old, n) {
			return hit
		}
	}
}

// edgeArm arms the state word w for interest i, or, when readiness for i
// is pending (or i includes Readable, and more says input may be left or
// the peer has closed; or i includes Writable and room says the socket
// has not been found full since its last edge), it leaves the connection
// unarmed, clears that readiness and returns the interest the caller must
// report at once.
func edgeArm(w *atomic.Uint32, i poller.Interest, more, room bool) poller.Interest {
	for {
		s := w.Load()
		ready := poller.Interest(s>>pendingBits) & i
		if more || s&hupBit != 0 {
			ready |= i & poller.Readable
		}
		if room {
			ready |= i & poller.Writable
		}
		hit := first(ready)
		n := s&^armedMask | uint32(i)
		if hit != 0 {
			n = s &^ armedMask &^ (uint32(hit) << pendingBits)
		}
		if w.CompareAndSwap(s, n) {
			return hit
		}
	}
}
