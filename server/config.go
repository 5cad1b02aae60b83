package server

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/protocol"
)

// Defaults for the zero values of Config.
const (
	DefaultAddr              = "0.0.0.0:7878"
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadBodyTimeout   = 30 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	// DefaultQueuePerWorker sizes the worker queue: Workers times this.
	DefaultQueuePerWorker = 256
	// DefaultMaxPipelined is how many requests one connection gets
	// answered per turn before others get theirs.
	DefaultMaxPipelined = 64
	// DefaultMaxOutput is the default Config.MaxOutput.
	DefaultMaxOutput = 64 << 10
)

// Config configures a Server. The zero value is usable: every zero field
// takes the default its comment names.
type Config struct {
	// Addr is the TCP address to listen on. Default "0.0.0.0:7878".
	Addr string
	// Workers is the number of goroutines that run handlers. Default
	// GOMAXPROCS. A handler that blocks holds one worker for that time.
	Workers int
	// Inline runs handlers on the event loop's goroutine instead of the
	// worker pool: no hand-off per request, for handlers that never
	// block; one blocking handler stalls every connection (and, since
	// responses are dated from the loop's clock, read once per batch of
	// events, dates the responses after it late by as much), and a handler
	// that calls runtime.Goexit ends the event loop with Serve's
	// goroutine (in the pool it only costs its connection). Workers,
	// MaxWorkers and QueueSize are then unused. Default false.
	Inline bool
	// MaxWorkers, when above Workers, makes the worker pool elastic: while
	// every worker is busy (for example blocked in slow handlers), extra
	// workers start, up to MaxWorkers in all, and exit after a second
	// without work. Default Workers: a fixed pool.
	MaxWorkers int
	// QueueSize is how many ready connections may wait in the worker
	// queue. Past it the event loop keeps them in order, unread, until a
	// worker takes a job (their clients meet TCP backpressure); the loop
	// itself never waits for a worker. Default Workers*256.
	QueueSize int
	// StreamBodies calls the handler as soon as a request's header section
	// is complete, before its body arrived; the handler reads the body as
	// it comes with Request.BodyReader (r.Body under HTTPHandler), so an
	// upload larger than memory can be processed piece by piece, up to
	// Limits.MaxBodySize (raise it for large uploads). ReadBodyTimeout
	// then bounds each wait for more body bytes; when it runs out, or the
	// client closes its side mid-body, the read fails (ErrClientTimeout,
	// io.ErrUnexpectedEOF) but the handler's response still goes out,
	// then the connection closes. A handler waiting for a
	// slow upload holds its worker meanwhile: pair this with MaxWorkers.
	// Requests whose body arrived with the header are served as usual.
	// Not available with Inline. Default false: bodies are buffered whole
	// before the handler runs.
	StreamBodies bool
	// MaxConns caps open connections. A connection accepted beyond it is
	// answered 503 and closed. Default 0: no cap but the process's
	// descriptor limit (accepting pauses briefly when that is reached).
	MaxConns int
	// MaxPipelined is how many pipelined requests of one connection are
	// answered in one turn; the rest wait while other connections get a
	// turn. Default 64.
	MaxPipelined int
	// MaxOutput bounds the unwritten output a connection may hold before
	// the server stops answering its pipelined requests and stops reading
	// it until the client has read enough. One response larger than this is
	// still sent whole. Default 64 KiB.
	MaxOutput int
	// Backend names the poller backend (see poller.Available). Default
	// the platform's preferred one: epoll on Linux, kqueue on the BSDs.
	Backend string
	// BackendOptions carries settings of the backend's own type, such as
	// a netpoll.Config for Backend "netpoll". Default nil: the backend's
	// defaults.
	BackendOptions any
	// Logger receives the server's diagnostics; nothing is logged per
	// request. Default: warnings and errors (a handler's panic with its
	// stack, failing accepts) go to stderr, as net/http's server logs
	// through the log package; zap.NewNop() silences them.
	Logger *zap.Logger
	// Limits caps request sizes (see protocol.Limits); zero fields take
	// protocol's defaults: 8 KiB request line, 64 KiB and 100 header
	// fields, 10 MiB body.
	Limits protocol.Limits
	// ReadHeaderTimeout bounds the time from a request's first byte to the
	// end of its header section (slow-header clients). Default 10s.
	ReadHeaderTimeout time.Duration
	// ReadBodyTimeout bounds the time from the end of the header section
	// to the end of the body. Default 30s.
	ReadBodyTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that sends nothing for
	// this long between requests. Default 60s.
	IdleTimeout time.Duration
	// WriteTimeout closes a connection whose client reads none of the
	// pending response for this long. Default 30s.
	WriteTimeout time.Duration
}

// withDefaults returns c with every zero field replaced by its default, or
// an error naming the first invalid field.
func (c Config) withDefaults() (Config, error) {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.Workers < 0 {
		return c, fmt.Errorf("server: Workers must be positive, got %d", c.Workers)
	}
	if c.MaxWorkers == 0 {
		c.MaxWorkers = c.Workers
	}
	if c.MaxWorkers < c.Workers {
		return c, fmt.Errorf("server: MaxWorkers (%d) must not be below Workers (%d)", c.MaxWorkers, c.Workers)
	}
	if c.StreamBodies && c.Inline {
		return c, errors.New("server: StreamBodies needs the worker pool: a handler running Inline cannot wait for a body")
	}
	if c.MaxConns < 0 {
		return c, fmt.Errorf("server: MaxConns must not be negative, got %d", c.MaxConns)
	}
	if c.MaxPipelined == 0 {
		c.MaxPipelined = DefaultMaxPipelined
	}
	if c.MaxPipelined < 0 {
		return c, fmt.Errorf("server: MaxPipelined must not be negative, got %d", c.MaxPipelined)
	}
	if c.MaxOutput == 0 {
		c.MaxOutput = DefaultMaxOutput
	}
	if c.MaxOutput < 0 {
		return c, fmt.Errorf("server: MaxOutput must not be negative, got %d", c.MaxOutput)
	}
	if c.QueueSize == 0 {
		c.QueueSize = c.Workers * DefaultQueuePerWorker
	}
	if c.QueueSize < 0 {
		return c, fmt.Errorf("server: QueueSize must not be negative, got %d", c.QueueSize)
	}
	if c.Backend == "" {
		c.Backend = poller.Default()
		if c.Backend == "" {
			return c, errors.New("server: no poller backend is available on this platform")
		}
	}
	if _, err := poller.Lookup(c.Backend); err != nil {
		return c, fmt.Errorf("server: %w", err)
	}
	if c.Logger == nil {
		c.Logger = defaultLogger()
	}
	if c.Limits.MaxRequestLine < 0 || c.Limits.MaxHeaderBytes < 0 || c.Limits.MaxHeaderCount < 0 || c.Limits.MaxBodySize < 0 {
		return c, fmt.Errorf("server: Limits must not be negative: %+v", c.Limits)
	}
	c.Limits = c.Limits.Normalized() // the parser's own defaults and caps
	for _, t := range []struct {
		d   *time.Duration
		def time.Duration
		n   string
	}{
		{&c.ReadHeaderTimeout, DefaultReadHeaderTimeout, "ReadHeaderTimeout"},
		{&c.ReadBodyTimeout, DefaultReadBodyTimeout, "ReadBodyTimeout"},
		{&c.IdleTimeout, DefaultIdleTimeout, "IdleTimeout"},
		{&c.WriteTimeout, DefaultWriteTimeout, "WriteTimeout"},
	} {
		if *t.d == 0 {
			*t.d = t.def
		}
		if *t.d < 0 {
			return c, fmt.Errorf("server: %s must not be negative, got %v", t.n, *t.d)
		}
	}
	return c, nil
}

// largestRequest is the most bytes of input one request can hold while
// the server takes it in whole before answering (poller.Options.MaxRequest):
// its request line, header section and trailers, plus its body unless
// bodies are streamed to the handler. Chunk framing is not counted; the
// backend's own slack covers it for chunks of sensible size.
func (c Config) largestRequest() int {
	// The header limits are capped (protocol.Limits.Normalized, applied
	// by withDefaults); the body's is capped here, so that a body limit
	// meaning "none" (math.MaxInt64) cannot overflow the sum.
	n := int64(c.Limits.MaxRequestLine) + 2*int64(c.Limits.MaxHeaderBytes)
	if !c.StreamBodies {
		n += min(c.Limits.MaxBodySize, math.MaxInt32)
	}
	return int(min(n, math.MaxInt32))
}

// defaultLogger writes warnings and errors to stderr in zap's console
// format.
func defaultLogger() *zap.Logger {
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	return zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(enc), zapcore.Lock(os.Stderr), zapcore.WarnLevel))
}
