//go:build linux

package iouring

import "sync"

// bufferSize is the capacity of pooled buffers (pending input, queued
// output): a request or a response of the usual size fits.
const bufferSize = 4 << 10

// buffer is a connection's input or output buffer. A connection keeps one
// pointer per buffer (nil when it has none) instead of a slice and its
// offset, so an idle connection stays small.
type buffer struct {
	b   []byte
	off int // output: the bytes already sent
}

// The pool holds buffers of capacity bufferSize with their headers, so
// putting one back allocates nothing.
var bufferPool = sync.Pool{New: func() any { return &buffer{b: make([]byte, 0, bufferSize)} }}

// getBuffer returns an empty buffer with room for at least n bytes.
func getBuffer(n int) *buffer {
	if n > bufferSize {
		return &buffer{b: make([]byte, 0, n)}
	}
	return bufferPool.Get().(*buffer)
}

// putBuffer returns a pooled buffer (nil is ignored); others go to the
// collector.
func putBuffer(b *buffer) {
	if b == nil || cap(b.b) != bufferSize {
		return
	}
	b.b, b.off = b.b[:0], 0
	bufferPool.Put(b)
}

// size returns the number of bytes in b, 0 for nil.
func (b *buffer) size() int {
	if b == nil {
		return 0
	}
	return len(b.b)
}

// appendInput appends data to pending input, moving it to a larger buffer
// when it outgrows its own.
func (p *Poller) appendInput(in *buffer, data []byte) *buffer {
	if in == nil {
		in = p.getBuffer(len(data))
	}
	if len(in.b)+len(data) > cap(in.b) {
		grown := make([]byte, len(in.b), 2*(len(in.b)+len(data)))
		copy(grown, in.b)
		if cap(in.b) == bufferSize {
			p.putBuffer(in)
			in = new(buffer)
		}
		in.b = grown
	}
	in.b = append(in.b, data...)
	return in
}

// freeMax bounds the loop's own stock of buffers (Poller.free): 256 KiB.
const freeMax = 64

// getBuffer is getBuffer, from the loop's own stock when every owner runs
// on the loop's goroutine (poller.Options.Inline), without the pool's
// per-P bookkeeping.
func (p *Poller) getBuffer(n int) *buffer {
	if k := len(p.free); p.inline && k > 0 && n <= bufferSize {
		b := p.free[k-1]
		p.free[k-1] = nil
		p.free = p.free[:k-1]
		return b
	}
	return getBuffer(n)
}

// putBuffer is putBuffer, into the loop's own stock while it has room
// when every owner runs on the loop's goroutine.
func (p *Poller) putBuffer(b *buffer) {
	if p.inline && b != nil && cap(b.b) == bufferSize && len(p.free) < freeMax {
		b.b, b.off = b.b[:0], 0
		p.free = append(p.free, b)
		return
	}
	putBuffer(b)
}
