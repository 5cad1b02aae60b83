//go:build linux

package epoll

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/miniasync/miniasync/poller"
)

const (
	r  = poller.Readable
	w  = poller.Writable
	rw = r | w
)

// TestEdgeOneEventPerArm: an armed connection gets one event for an edge,
// and an edge while it is unarmed waits for the next Arm.
func TestEdgeOneEventPerArm(t *testing.T) {
	var s atomic.Uint32
	s.Store(uint32(r)) // as accepted: armed for reading
	if got := edgeEvent(&s, rw, false); got != r {
		t.Fatalf("edge while armed: %v, want Readable", got)
	}
	if got := edgeEvent(&s, r, false); got != 0 {
		t.Fatalf("edge while the owner has it: %v, want none", got)
	}
	if got := edgeArm(&s, r, false, false); got != r {
		t.Fatalf("Arm after an edge it missed: %v, want Readable at once", got)
	}
	// Reported by Arm: the connection is still the caller's, not armed.
	if got := edgeEvent(&s, r, false); got != 0 {
		t.Fatalf("edge after Arm reported at once: %v, want none", got)
	}
	if got := edgeArm(&s, r, false, false); got != r {
		t.Fatalf("second Arm: %v, want the edge that came meanwhile", got)
	}
}

// TestEdgeArmWithNothingPendingArms: the common case costs nothing and the
// next edge is the event.
func TestEdgeArmWithNothingPendingArms(t *testing.T) {
	var s atomic.Uint32
	if got := edgeArm(&s, r, false, false); got != 0 {
		t.Fatalf("Arm with nothing pending: %v, want armed", got)
	}
	if got := edgeEvent(&s, r, false); got != r {
		t.Fatalf("edge: %v, want Readable", got)
	}
}

// TestEdgeDirectionsStayApart: readiness for the direction not armed is kept
// for later, and one event reports one direction.
func TestEdgeDirectionsStayApart(t *testing.T) {
	var s atomic.Uint32
	edgeArm(&s, w, false, false)
	if got := edgeEvent(&s, r, false); got != 0 {
		t.Fatalf("input while waiting to write: %v, want none", got)
	}
	if got := edgeEvent(&s, w, false); got != w {
		t.Fatalf("room to write: %v, want Writable", got)
	}
	if got := edgeArm(&s, r, false, false); got != r {
		t.Fatalf("Arm for reading: %v, want the input seen earlier", got)
	}
	edgeArm(&s, rw, false, false)
	if got := edgeEvent(&s, rw, false); got != r {
		t.Fatalf("both ready: %v, want Readable first", got)
	}
	if got := edgeArm(&s, w, false, false); got != w {
		t.Fatalf("Arm for writing: %v, want the room left pending", got)
	}
}

// TestEdgeMoreAndHangUp: input possibly left by a full read, and a peer's
// close, are reported by every Arm for reading, never by one for writing.
func TestEdgeMoreAndHangUp(t *testing.T) {
	var s atomic.Uint32
	if got := edgeArm(&s, r, true, false); got != r {
		t.Fatalf("Arm with more input: %v, want Readable", got)
	}
	edgeArm(&s, r, false, false)
	if got := edgeEvent(&s, r, true); got != r {
		t.Fatalf("data and FIN: %v, want Readable", got)
	}
	for range 2 {
		if got := edgeArm(&s, r, false, false); got != r {
			t.Fatalf("Arm after the peer closed: %v, want Readable every time", got)
		}
	}
	if got := edgeArm(&s, w, false, false); got != 0 {
		t.Fatalf("Arm for writing after the peer closed: %v, want armed", got)
	}
}

// TestEdgeNoLostEdge races an owner arming against the loop reporting
// edges: every round ends with exactly one of them owning the connection.
func TestEdgeNoLostEdge(t *testing.T) {
	for range 2000 {
		var s atomic.Uint32
		var fromEdge, fromArm poller.Interest
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); fromEdge = edgeEvent(&s, r, false) }()
		go func() { defer wg.Done(); fromArm = edgeArm(&s, r, false, false) }()
		wg.Wait()
		if (fromEdge == r) == (fromArm == r) {
			t.Fatalf("edge %v, arm %v: want exactly one report", fromEdge, fromArm)
		}
	}
}

// TestEdgeRoomReportsWritable: an Arm for writing while the socket may have
// room is reported at once, with no edge, every time; once a write found
// the socket full, only an edge reports room.
func TestEdgeRoomReportsWritable(t *testing.T) {
	var s atomic.Uint32
	for range 2 {
		if got := edgeArm(&s, w, false, true); got != w {
			t.Fatalf("Arm for writing with room: %v, want Writable at once", got)
		}
	}
	if got := edgeArm(&s, r, false, true); got != 0 {
		t.Fatalf("Arm for reading with room: %v, want armed", got)
	}
	edgeEvent(&s, r, false)
	if got := edgeArm(&s, w, false, false); got != 0 {
		t.Fatalf("Arm for writing on a full socket: %v, want armed", got)
	}
	if got := edgeEvent(&s, w, false); got != w {
		t.Fatalf("room edge: %v, want Writable", got)
	}
}
