//go:build linux

package netpoll

import "sync"

// bufferSize is the capacity of pooled buffers: a request or a response of
// the usual size fits.
const bufferSize = 4 << 10

// The pool holds array pointers, so putting a buffer back allocates nothing.
var bufferPool = sync.Pool{New: func() any { return new([bufferSize]byte) }}

// getBuffer returns an empty buffer with at least n bytes of room: pooled
// when n fits bufferSize, allocated otherwise.
func getBuffer(n int) []byte {
	if n > bufferSize {
		return make([]byte, 0, n)
	}
	return bufferPool.Get().(*[bufferSize]byte)[:0]
}

// putBuffer returns a buffer to the pool; larger ones go to the collector,
// so the pool never pins big allocations.
func putBuffer(b []byte) {
	if cap(b) != bufferSize {
		return
	}
	bufferPool.Put((*[bufferSize]byte)(b[:bufferSize]))
}
