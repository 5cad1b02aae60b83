package server

import "sync/atomic"

// Connection ownership, written down before the code that relies on it.
//
// The poller reports a connection to the event loop only while it is armed,
// and every report disarms it (package poller). Between reports exactly one
// goroutine owns the connection's fields. The state word says who, and lets
// the event loop take an armed connection back without an event, to close
// it at a timeout or at shutdown:
//
//	armed   the poller holds it; the loop may take it (CAS armed -> busy)
//	arming  its owner is handing it back: it set arming, then calls Arm
//	busy    one goroutine owns it: a worker, or the loop after a take
//	closed  closed; events still in flight for it are dropped
//
// A worker hands a connection back in three steps: CAS busy -> arming,
// Conn.Arm, CAS arming -> armed. After Conn.Arm the poller may report the
// connection at once, and the loop then moves it from arming (or armed) to
// busy and gives it to another worker. The first worker's last CAS then
// fails, and it must not touch the connection again; that is the only way it
// learns it lost the connection, and the only race the protocol allows.
//
// The loop takes a connection for a timeout or shutdown only from armed,
// never from arming: a worker may still be inside Conn.Arm, and closing the
// descriptor under it could re-arm a reused descriptor number. A connection
// caught in arming is taken on the next sweep, one tick later.
//
// Each successful CAS publishes the fields written before it to the next
// owner, so the fields themselves need no atomics and no lock.
const (
	stateBusy uint32 = iota
	stateArming
	stateArmed
	stateClosed
)

// ownership is a connection's state word.
type ownership struct{ v atomic.Uint32 }

// take moves an armed or arming connection to busy for the goroutine that
// received its event. It fails for a connection that is busy (a stale or
// spurious report) or closed.
func (o *ownership) take() bool {
	for {
		s := o.v.Load()
		if s != stateArmed && s != stateArming {
			return false
		}
		if o.v.CompareAndSwap(s, stateBusy) {
			return true
		}
	}
}

// takeArmed moves an armed connection to busy, for the loop's sweeps.
func (o *ownership) takeArmed() bool { return o.v.CompareAndSwap(stateArmed, stateBusy) }

// beginArm is the owner's first step in handing the connection back.
func (o *ownership) beginArm() { o.v.Store(stateArming) }

// finishArm is the owner's last step. False means the poller already
// reported the connection and someone else owns it now.
func (o *ownership) finishArm() bool { return o.v.CompareAndSwap(stateArming, stateArmed) }

// reclaim takes the connection back after a failed Conn.Arm. False means
// someone else owns it.
func (o *ownership) reclaim() bool { return o.v.CompareAndSwap(stateArming, stateBusy) }

// markClosed records the close. Only the owner calls it.
func (o *ownership) markClosed() { o.v.Store(stateClosed) }

// armed reports whether the connection sits in the poller.
func (o *ownership) armed() bool { return o.v.Load() == stateArmed }

// closed reports whether the connection was closed.
func (o *ownership) closed() bool { return o.v.Load() == stateClosed }
