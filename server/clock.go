package server

import (
	"sync/atomic"
	"time"
)

// clock tells Unix time with one monotonic clock read. time.Now reads both
// the wall and the monotonic clock; the server reads the time once per
// event-loop batch and once per turn, so the second read is worth saving.
// Wall time is the monotonic reading plus an offset that sync refreshes
// from a full time.Now, so a stepped wall clock is followed within one
// sync.
type clock struct {
	base   time.Time    // a reading that carries the monotonic clock
	offset atomic.Int64 // Unix nanoseconds at base, as of the last sync
}

func newClock() *clock {
	c := &clock{base: time.Now()}
	c.offset.Store(c.base.UnixNano())
	return c
}

// sync re-reads the wall clock and returns the Unix time in nanoseconds.
func (c *clock) sync() int64 {
	now := time.Now()
	since := now.Sub(c.base) // monotonic
	c.offset.Store(now.UnixNano() - int64(since))
	return now.UnixNano()
}

// unixNano returns the Unix time in nanoseconds from one monotonic read.
func (c *clock) unixNano() int64 {
	return c.offset.Load() + int64(time.Since(c.base))
}
