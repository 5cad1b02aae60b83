package server

import (
	"sync"

	"github.com/miniasync/miniasync/protocol"
)

// bufferSize is the size of pooled I/O buffers: a typical request or
// response fits, and an idle connection returns its buffers to the pool.
const bufferSize = 4 << 10

// The pool holds array pointers, so putting a buffer back does not allocate
// a slice header the way pooling *[]byte would.
var bufferPool = sync.Pool{New: func() any { return new([bufferSize]byte) }}

// getBuffer returns an empty buffer of bufferSize capacity.
func getBuffer() []byte { return bufferPool.Get().(*[bufferSize]byte)[:0] }

// putBuffer returns a buffer to the pool. Buffers grown past bufferSize are
// left to the collector, so the pool never pins large allocations.
func putBuffer(b []byte) {
	if cap(b) != bufferSize {
		return
	}
	bufferPool.Put((*[bufferSize]byte)(b[:bufferSize]))
}

// growBuffer returns b with room for more input, keeping its content.
func growBuffer(b []byte) []byte {
	if cap(b) == 0 {
		return getBuffer()
	}
	grown := make([]byte, len(b), 2*cap(b))
	copy(grown, b)
	putBuffer(b)
	return grown
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

	body streamedBody // the request's body when streamed (see body.go)

	scratch []byte         // HTTPHandler: assembles the request's strings
	snap    headerSnapshot // HTTPHandler: the response header being sent
}
