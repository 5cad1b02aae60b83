package netpoll

import (
	"errors"
	"fmt"
	"time"
)

// Name is the name this backend registers under.
const Name = "netpoll"

// Defaults for the zero values of Config's per-Poller fields.
const (
	// DefaultMaxPendingInput caps input read by netpoll that the owner has
	// not taken yet. EventReadable hands all of it over, so it only
	// accumulates while the server holds the connection.
	DefaultMaxPendingInput = 1 << 20
	// DefaultMaxPendingOutput is the most one Write accepts; the rest waits
	// for EventWritable.
	DefaultMaxPendingOutput = 256 << 10
	// DefaultCloseGrace bounds how long Close waits for accepted output to
	// drain before closing anyway.
	DefaultCloseGrace = 5 * time.Second
)

// Runner selects how netpoll runs the adapter's callbacks (netpoll's
// Config.Runner). It is process-wide.
type Runner int

const (
	// RunnerPool leaves netpoll's runner as it is: by default netpoll's own
	// goroutine pool (github.com/bytedance/gopkg/util/gopool), one task per
	// batch of input on a connection. It is the zero value and the
	// default, because it is safe for any other netpoll user in the
	// process.
	RunnerPool Runner = iota
	// RunnerGo starts a new goroutine per task, skipping the pool's
	// queue.
	RunnerGo
	// There is deliberately no runner that runs tasks on netpoll's poller
	// goroutine itself: netpoll v0.7 then deadlocks when a connection
	// closes (its close callback waits, spinning, for the poller goroutine
	// that is running it to let go of the connection's descriptor
	// operator).
)

// String returns the runner's name: "pool" or "go".
func (r Runner) String() string {
	switch r {
	case RunnerPool:
		return "pool"
	case RunnerGo:
		return "go"
	}
	return fmt.Sprintf("Runner(%d)", int(r))
}

// ParseRunner returns the Runner named s ("pool" or "go", as String
// prints them).
func ParseRunner(s string) (Runner, error) {
	for r := RunnerPool; r <= RunnerGo; r++ {
		if r.String() == s {
			return r, nil
		}
	}
	return 0, fmt.Errorf("netpoll: unknown runner %q (choose from: pool, go)", s)
}

// Config holds the netpoll backend's settings; pass one (or a pointer to
// one) as poller.Options.Backend, or server.Config.BackendOptions. The zero
// value selects every default.
//
// Pollers, Runner and BufferSize are netpoll's own settings and are global
// to the process: the first Open in the process applies them (before netpoll
// starts its pollers, when it is the first user of netpoll), and a later
// Open asking for different values fails with ErrGlobalSettings, because
// netpoll cannot change them under live connections. Zero values leave
// netpoll's own defaults in place and never conflict.
type Config struct {
	// Pollers is the number of netpoll poller goroutines, each with its own
	// epoll set (netpoll's Config.PollerNum). Process-wide. Default 0:
	// netpoll's default, GOMAXPROCS/20+1, which is one poller below 20
	// cores.
	Pollers int
	// Runner selects how netpoll runs the callbacks. Process-wide.
	// Default RunnerPool (netpoll's goroutine pool, untouched).
	Runner Runner
	// BufferSize is the initial size in bytes of a connection's netpoll
	// buffers (netpoll's Config.BufferSize). Process-wide. Default 0:
	// netpoll's default, 8 KiB.
	BufferSize int
	// MaxPendingInput caps the bytes netpoll has read for a connection
	// that its owner has not taken yet, and is the most one
	// EventReadable hands over. They pile up while the owner has not
	// taken the connection's input: then the cap is MaxPendingInput
	// plus the owner's largest request (poller.Options.MaxRequest,
	// which the server sets from its limits), so one such request
	// arriving at once is not cut. While the owner's output waits for
	// the client (a flusher runs: the socket is full), the cap is
	// MaxPendingInput alone, and pending input past it is dropped.
	// netpoll cannot stop reading, so input past the cap is discarded:
	// the owner still gets what is pending, then Read returns
	// ErrInputOverflow and the server closes the connection after
	// answering the complete requests it had. Default
	// DefaultMaxPendingInput (1 MiB).
	MaxPendingInput int
	// MaxPendingOutput is the most bytes one Write accepts before the
	// owner must wait for EventWritable; it bounds the output per
	// connection held by the adapter (and as much again by netpoll).
	// Default DefaultMaxPendingOutput (256 KiB).
	MaxPendingOutput int
	// CloseGrace bounds how long Close lets output already accepted by
	// Write drain before closing anyway. Default DefaultCloseGrace (5s).
	CloseGrace time.Duration
}

var (
	// ErrInputOverflow is returned by Read, once the pending input is
	// consumed, for a connection whose client sent more than its pending
	// limit (see Config.MaxPendingInput) while the server was not taking
	// its input; what came after the limit was discarded.
	ErrInputOverflow = errors.New("netpoll: input over the pending limit was discarded (netpoll cannot stop reading a connection)")
	// ErrGlobalSettings is returned by Open when it asks for process-wide
	// netpoll settings other than those an earlier Open applied.
	ErrGlobalSettings = errors.New("netpoll: process-wide settings differ from those already applied")
	// ErrPeerClosed is returned by Write once netpoll has seen the peer
	// close or reset the connection (netpoll then closes it entirely).
	ErrPeerClosed = errors.New("netpoll: the peer closed the connection")
)

// configFrom reads Options.Backend: nil, a Config or a *Config.
func configFrom(v any) (Config, error) {
	var c Config
	switch v := v.(type) {
	case nil:
	case Config:
		c = v
	case *Config:
		if v != nil {
			c = *v
		}
	default:
		return c, fmt.Errorf("netpoll: backend settings must be a netpoll.Config, got %T", v)
	}
	return c.withDefaults()
}

// withDefaults returns c with its zero per-Poller fields filled in, or an
// error naming the first invalid field.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.Pollers < 0:
		return c, fmt.Errorf("netpoll: Pollers must not be negative, got %d", c.Pollers)
	case c.BufferSize < 0:
		return c, fmt.Errorf("netpoll: BufferSize must not be negative, got %d", c.BufferSize)
	case c.Runner < RunnerPool || c.Runner > RunnerGo:
		return c, fmt.Errorf("netpoll: unknown Runner %d", int(c.Runner))
	case c.MaxPendingInput < 0:
		return c, fmt.Errorf("netpoll: MaxPendingInput must not be negative, got %d", c.MaxPendingInput)
	case c.MaxPendingOutput < 0:
		return c, fmt.Errorf("netpoll: MaxPendingOutput must not be negative, got %d", c.MaxPendingOutput)
	case c.CloseGrace < 0:
		return c, fmt.Errorf("netpoll: CloseGrace must not be negative, got %v", c.CloseGrace)
	}
	if c.MaxPendingInput == 0 {
		c.MaxPendingInput = DefaultMaxPendingInput
	}
	if c.MaxPendingOutput == 0 {
		c.MaxPendingOutput = DefaultMaxPendingOutput
	}
	if c.CloseGrace == 0 {
		c.CloseGrace = DefaultCloseGrace
	}
	return c, nil
}

// globals are the process-wide part of a Config.
type globals struct {
	pollers    int
	runner     Runner
	bufferSize int
}

func (c Config) globals() globals {
	return globals{pollers: c.Pollers, runner: c.Runner, bufferSize: c.BufferSize}
}
