package server

import (
	"sync"
	"testing"
	"unsafe"
)

// TestStash: a worker's stash hands back what it was given before falling
// back to the shared pools, holds at most two buffers and one exchange, and
// keeps grown buffers out of both.
func TestStash(t *testing.T) {
	var st stash
	a, b, c := st.getBuffer(), st.getBuffer(), st.getBuffer() // from the pool
	for _, buf := range [][]byte{a, b, c} {
		if len(buf) != 0 || cap(buf) != bufferSize {
			t.Fatalf("buffer len %d cap %d, want 0 and %d", len(buf), cap(buf), bufferSize)
		}
	}
	st.putBuffer(a[:10])
	st.putBuffer(b)
	st.putBuffer(c) // full: goes to the pool
	if st.n != 2 {
		t.Fatalf("stash holds %d buffers, want 2", st.n)
	}
	if got := st.getBuffer(); &got[:1][0] != &b[:1][0] || len(got) != 0 {
		t.Fatal("stash did not return the last buffer it was given, emptied")
	}
	if got := st.getBuffer(); &got[:1][0] != &a[:1][0] {
		t.Fatal("stash did not return its other buffer")
	}
	grown := st.growBuffer(append(st.getBuffer(), "abc"...))
	if string(grown) != "abc" || cap(grown) != 2*bufferSize {
		t.Fatalf("grown buffer %q cap %d", grown, cap(grown))
	}
	st.putBuffer(grown) // too big: left to the collector
	if st.n != 1 {      // the small one growBuffer gave back
		t.Fatalf("stash holds %d buffers after a grow, want 1", st.n)
	}

	pool := sync.Pool{New: func() any { return new(exchange) }}
	x, y := st.getExchange(&pool), st.getExchange(&pool)
	st.putExchange(&pool, x)
	st.putExchange(&pool, y) // full: goes to the pool
	if got := st.getExchange(&pool); got != x {
		t.Fatal("stash did not return its exchange")
	}
	var none *stash // the loop's closes between turns use the pools
	none.putBuffer(none.getBuffer())
	none.putExchange(&pool, none.getExchange(&pool))
}

// TestConnSize guards the per-connection cost of an idle connection (bench
// --idle): conn must stay within the allocator's 176-byte size class.
// Request state that only a connection with input needs belongs in the
// exchange, which an idle connection does not hold.
func TestConnSize(t *testing.T) {
	if size := unsafe.Sizeof(conn{}); size > 176 {
		t.Fatalf("conn is %d bytes, over the 176-byte size class an idle connection is budgeted for", size)
	}
}
