package server

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// TestRequestContextForgetsStoppedChildren: a context derived from a
// request's and cancelled is dropped at once, as the context package's own
// parents drop it, so a long handler deriving one per call does not hold
// them all until it returns; the ones still registered run at cancel.
func TestRequestContextForgetsStoppedChildren(t *testing.T) {
	x := &requestContext{}
	for range 1000 {
		_, cancel := context.WithCancel(x)
		cancel()
	}
	if n := len(x.after); n != 0 {
		t.Fatalf("%d cancelled children still registered, want 0", n)
	}

	var ran atomic.Int32
	stops := make([]func() bool, 6)
	for i := range stops {
		stops[i] = context.AfterFunc(x, func() { ran.Add(1 << (4 * i)) })
	}
	// Stop the first, the last and one in the middle: swapping the last
	// entry into a freed slot must keep every index right.
	for _, i := range []int{0, 5, 2} {
		if !stops[i]() {
			t.Fatalf("stop %d: false on its first call", i)
		}
		if stops[i]() {
			t.Fatalf("stop %d: true on its second call", i)
		}
	}
	if n := len(x.after); n != 3 {
		t.Fatalf("%d registered after stopping 3 of 6, want 3", n)
	}
	child, cancelChild := context.WithCancel(x)
	defer cancelChild()
	x.cancel(context.Canceled)
	select {
	case <-child.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a derived context was not cancelled with the request's")
	}
	want := int32(1<<4 | 1<<12 | 1<<16) // 1, 3 and 4
	deadline := time.Now().Add(5 * time.Second)
	for ran.Load() != want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := ran.Load(); got != want {
		t.Fatalf("functions that ran: %#x, want %#x (those not stopped, once each)", got, want)
	}
	for i, stop := range stops {
		if stop() {
			t.Errorf("stop %d: true after the context was cancelled", i)
		}
	}
}
