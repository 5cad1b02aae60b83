package server

import (
	"sync"
	"sync/atomic"

	"github.com/miniasync/miniasync/protocol"
)

// bufferSize is the size of pooled I/O buffers: a typical request or
// response fits, and an idle connection returns its buffers to the pool.
const bufferSize = 4 << 10

// The pool holds array pointers, so putting a buffer back does not allocate
// a slice header the way pooling *[]byte would.
var bufferPool = sync.Pool{New: func() any { return new([bufferSize]byte) }}

// stash is one worker's (or the inline loop's) private store of what a
// connection borrows for a turn: its input and output buffers and its
// exchange. A keep-alive connection borrows all three for each request and
// returns them when it re-arms idle; taking them from the worker that runs
// the turn costs a slice operation instead of three sync.Pool round trips.
// Only the goroutine it belongs to touches it; it falls back to the pools
// when empty or full, so a connection that keeps its buffers between turns
// costs nothing but a pool Get. What a stash holds (at most two buffers and
// one exchange, about 9 KiB) stays with its worker instead of going back to
// a pool the collector may shrink: a fixed cost per worker, not per
// connection.
type stash struct {
	bufs [2]*[bufferSize]byte
	n    int
	ex   *exchange
	// owner is the connection whose turn this goroutine runs, until the
	// turn hands it back (see conn.runTurn).
	owner *conn
}

// getBuffer returns an empty buffer of bufferSize capacity.
func (s *stash) getBuffer() []byte {
	if s != nil && s.n > 0 {
		s.n--
		b := s.bufs[s.n]
		s.bufs[s.n] = nil
		return b[:0]
	}
	return bufferPool.Get().(*[bufferSize]byte)[:0]
}

// putBuffer gives a buffer back. Buffers grown past bufferSize are left to
// the collector, so neither the stash nor the pool pins large allocations.
func (s *stash) putBuffer(b []byte) {
	if cap(b) != bufferSize {
		return
	}
	a := (*[bufferSize]byte)(b[:bufferSize])
	if s != nil && s.n < len(s.bufs) {
		s.bufs[s.n] = a
		s.n++
		return
	}
	bufferPool.Put(a)
}

// growBuffer returns b with room for more input, keeping its content.
func (s *stash) growBuffer(b []byte) []byte {
	if cap(b) == 0 {
		return s.getBuffer()
	}
	grown := make([]byte, len(b), 2*cap(b))
	copy(grown, b)
	s.putBuffer(b)
	return grown
}

// getExchange returns request state ready for a new connection's request.
func (s *stash) getExchange(pool *sync.Pool) *exchange {
	if s != nil && s.ex != nil {
		ex := s.ex
		s.ex = nil
		return ex
	}
	return pool.Get().(*exchange)
}

// putExchange gives back request state whose parser is reset.
func (s *stash) putExchange(pool *sync.Pool, ex *exchange) {
	if s != nil && s.ex == nil {
		s.ex = ex
		return
	}
	pool.Put(ex)
}

// exchange is the state of one request in progress: the parser (which may
// hold a partial request between turns), the request it fills, and the
// response the handler builds. Connections borrow one from a pool only while
// they have input, so an idle connection costs none of it.
type exchange struct {
	parser protocol.Parser
	req    protocol.Request
	res    protocol.Response

	// For handlers that wait for their client (see blocking.go).
	wake    chan struct{} // the loop's signal to a parked worker
	parked  bool          // a worker sleeps on wake; read by the loop after a take
	failed  error         // the connection broke under the handler
	flushed bool          // output was written to the socket during the handler
	// noContinue: the response has begun (HTTPHandler set its status), so
	// no 100 Continue may go out for this request any more.
	// Atomic: a goroutine the handler started may read the body (and so
	// look at it) while the handler sets its status.
	noContinue atomic.Bool
	// readAbandoned: a goroutine the HTTPHandler started holds the body
	// in a read that must end now (the handler returned, or its response
	// goes out). It is true only while httpBody.lockIO waits for that
	// read, which clears it.
	readAbandoned atomic.Bool

	body streamedBody // the request's body when streamed (see body.go)
	// bodyStart is when the request's header section was complete, for
	// the body's read timeout (loop clock); zero before.
	bodyStart int64

	scratch []byte         // HTTPHandler: assembles the request's strings
	snap    headerSnapshot // HTTPHandler: the response header being sent
}
