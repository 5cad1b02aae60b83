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

// tail returns b, the rest of a larger pending buffer past what was handed
// over, in a form putBuffer never takes for a pooled buffer: pooled buffers
// are recognized by their capacity, so a tail whose capacity happens to be
// bufferSize is moved to a buffer of the pool (it holds at most that much)
// instead of letting the pool pin the large array behind it.
func tail(b []byte) []byte {
	if cap(b) != bufferSize {
		return b
	}
	return append(getBuffer(len(b)), b...)
}
