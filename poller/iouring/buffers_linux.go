//go:build linux

package iouring

import "sync"

// bufferSize is the capacity of pooled buffers (pending input, queued
// output): a request or a response of the usual size fits.
const bufferSize = 4 << 10

// The pool holds array pointers, so putting a buffer back allocates nothing.
var bufferPool = sync.Pool{New: func() any { return new([bufferSize]byte) }}

// getBuffer returns an empty buffer with room for at least n bytes.
func getBuffer(n int) []byte {
	if n > bufferSize {
		return make([]byte, 0, n)
	}
	return bufferPool.Get().(*[bufferSize]byte)[:0]
}

// putBuffer returns a pooled buffer; others go to the collector.
func putBuffer(b []byte) {
	if cap(b) != bufferSize {
		return
	}
	bufferPool.Put((*[bufferSize]byte)(b[:bufferSize]))
}

// appendInput appends b to pending input, moving it to a larger buffer
// when it outgrows its own.
func appendInput(in, b []byte) []byte {
	if in == nil {
		in = getBuffer(len(b))
	}
	if len(in)+len(b) > cap(in) {
		grown := make([]byte, len(in), 2*(len(in)+len(b)))
		copy(grown, in)
		putBuffer(in)
		in = grown
	}
	return append(in, b...)
}
