package iouring

import (
	"fmt"
	"time"
)

// Name is the name the backend registers under (Linux only).
const Name = "iouring"

// Defaults for the zero values of Config's fields.
const (
	// DefaultEntries is the submission queue's size; the completion
	// queue gets four times as many entries.
	DefaultEntries = 2048
	// DefaultBuffers is how many receive buffers the provided-buffer
	// ring holds.
	DefaultBuffers = 128
	// DefaultBufferSize is the size of each receive buffer.
	DefaultBufferSize = 2 << 10
	// DefaultMaxPendingInput caps the input received for a connection
	// whose owner has not taken it yet; past it the backend stops
	// receiving on that connection until the owner takes it, so TCP flow
	// control holds the client back as with epoll.
	DefaultMaxPendingInput = 256 << 10
	// DefaultMaxPendingOutput is the most one Write accepts into the
	// backend's send buffer when the socket cannot take it at once.
	DefaultMaxPendingOutput = 256 << 10
	// DefaultCloseGrace bounds how long Close lets output that Write
	// accepted drain before the connection is closed anyway.
	DefaultCloseGrace = 5 * time.Second
)

// Config holds the io_uring backend's settings. Pass a Config (or a
// *Config) in poller.Options.Backend, or server.Config.BackendOptions;
// zero fields take the defaults above.
type Config struct {
	// Entries is the submission queue size (a power of two).
	Entries int
	// Buffers is the number of provided receive buffers (a power of two,
	// at most 32768); BufferSize the size of each.
	Buffers, BufferSize int
	// MaxPendingInput and MaxPendingOutput bound the bytes the backend
	// holds for one connection (see the defaults).
	MaxPendingInput, MaxPendingOutput int
	// CloseGrace bounds how long output accepted by Write may take to
	// drain after Close.
	CloseGrace time.Duration
	// DirectWrites makes Write write to the socket directly first, on the
	// owner's goroutine (as the netpoll adapter does), and queue only what
	// the socket did not take. By default every Write is copied and sent
	// by an asynchronous IORING_OP_SEND that the event loop submits with
	// the rest of its batch, which measured 3-11% more requests per CPU
	// second here (see the README). Kept to measure.
	DirectWrites bool
	// SharedThreads sets the ring up in Open, without
	// IORING_SETUP_SINGLE_ISSUER and DEFER_TASKRUN, and leaves the event
	// loop's goroutine free to move between threads. By default the ring
	// is set up at the first Wait, whose goroutine is locked to its thread
	// until Close, so that completion work runs only there. Kept to
	// measure; see the package doc.
	SharedThreads bool
	// CoopTaskrun sets IORING_SETUP_COOP_TASKRUN|IORING_SETUP_TASKRUN_FLAG:
	// completions run when the submitting thread next enters the kernel
	// instead of interrupting it. Kept to measure; see the package doc.
	CoopTaskrun bool
}

func (c Config) withDefaults() (Config, error) {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Entries, DefaultEntries)
	def(&c.Buffers, DefaultBuffers)
	def(&c.BufferSize, DefaultBufferSize)
	def(&c.MaxPendingInput, DefaultMaxPendingInput)
	def(&c.MaxPendingOutput, DefaultMaxPendingOutput)
	if c.CloseGrace == 0 {
		c.CloseGrace = DefaultCloseGrace
	}
	switch {
	case c.Entries < 8 || c.Entries > 1<<15 || c.Entries&(c.Entries-1) != 0:
		return c, fmt.Errorf("iouring: Entries %d: want a power of two in [8, 32768]", c.Entries)
	case c.Buffers < 1 || c.Buffers > 1<<15 || c.Buffers&(c.Buffers-1) != 0:
		return c, fmt.Errorf("iouring: Buffers %d: want a power of two in [1, 32768]", c.Buffers)
	case c.BufferSize < 64 || c.BufferSize > 1<<20:
		return c, fmt.Errorf("iouring: BufferSize %d: want [64, 1 MiB]", c.BufferSize)
	case c.MaxPendingInput < 1 || c.MaxPendingOutput < 1 || c.CloseGrace < 0:
		return c, fmt.Errorf("iouring: MaxPendingInput, MaxPendingOutput and CloseGrace must be positive")
	}
	return c, nil
}

// configFrom reads the settings in poller.Options.Backend.
func configFrom(v any) (Config, error) {
	switch c := v.(type) {
	case nil:
		return Config{}.withDefaults()
	case Config:
		return c.withDefaults()
	case *Config:
		if c == nil {
			return Config{}.withDefaults()
		}
		return c.withDefaults()
	}
	return Config{}, fmt.Errorf("iouring: backend settings of type %T, want iouring.Config", v)
}
