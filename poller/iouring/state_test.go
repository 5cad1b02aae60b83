//go:build linux

package iouring

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/miniasync/miniasync/poller"
)

const (
	r = poller.Readable
	w = poller.Writable
)

func TestStateOneEventPerArm(t *testing.T) {
	var s atomic.Uint32
	s.Store(uint32(r))
	if got := loopSignal(&s, r, dataBit); got != r {
		t.Fatalf("input while armed: %v", got)
	}
	s.And(^uint32(dataBit)) // handed over
	if got := loopSignal(&s, r, dataBit); got != 0 {
		t.Fatalf("input while the owner has it: %v, want none", got)
	}
	if got := ownerArm(&s, r, true); got != r {
		t.Fatalf("Arm with input held: %v, want Readable at once", got)
	}
	s.And(^uint32(dataBit))
	if got := ownerArm(&s, r, true); got != 0 {
		t.Fatalf("Arm with nothing held: %v, want armed", got)
	}
}

func TestStateWritable(t *testing.T) {
	var s atomic.Uint32
	if got := ownerArm(&s, w, true); got != w {
		t.Fatalf("Arm(Writable) with no send in flight: %v, want at once", got)
	}
	if got := ownerArm(&s, w, false); got != 0 {
		t.Fatalf("Arm(Writable) with a send in flight: %v, want armed", got)
	}
	if got := loopSignal(&s, r, dataBit); got != 0 {
		t.Fatalf("input while waiting to write: %v, want kept", got)
	}
	if got := loopSignal(&s, w, 0); got != w {
		t.Fatalf("send done: %v, want Writable", got)
	}
	if got := ownerArm(&s, r, true); got != r {
		t.Fatalf("Arm(Readable) after: %v, want the input", got)
	}
}

func TestStateHangUpFailureAndClose(t *testing.T) {
	var s atomic.Uint32
	ownerArm(&s, w, false)
	if got := loopSignal(&s, r, hupBit); got != 0 {
		t.Fatalf("EOF while waiting to write: %v", got)
	}
	for range 2 {
		if got := ownerArm(&s, r, true); got != r {
			t.Fatalf("Arm(Readable) after EOF: %v, want every time", got)
		}
	}
	ownerArm(&s, w, false)
	if got := loopSignal(&s, w, failBit); got != w {
		t.Fatalf("failure while waiting to write: %v", got)
	}
	if got := ownerArm(&s, w, false); got != w {
		t.Fatalf("Arm after a failure: %v, want at once", got)
	}
	s.Store(uint32(r))
	if armed := ownerClose(&s); armed != r {
		t.Fatalf("ownerClose returned %v", armed)
	}
	if got := loopSignal(&s, r, dataBit); got != 0 {
		t.Fatalf("input after Close: %v, want nothing", got)
	}
}

// TestStateNoLostReport races the loop against an owner arming: every
// round ends with exactly one of them reporting.
func TestStateNoLostReport(t *testing.T) {
	for range 2000 {
		var s atomic.Uint32
		var fromLoop, fromArm poller.Interest
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); fromLoop = loopSignal(&s, r, dataBit) }()
		go func() { defer wg.Done(); fromArm = ownerArm(&s, r, false) }()
		wg.Wait()
		if (fromLoop == r) == (fromArm == r) {
			t.Fatalf("loop %v, arm %v: want exactly one report", fromLoop, fromArm)
		}
	}
}
