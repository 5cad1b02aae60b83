// Package server is miniasync's server core: an event loop that moves
// poller events to a worker pool, and the per-connection HTTP/1.1 state
// machine the workers run (keep-alive, pipelining with responses in request
// order, Connection: close, HTTP/1.0 rules, timeouts, backpressure).
//
// The event loop never computes: it takes events from the poller, hands
// each connection to a worker, and between batches sweeps for expired
// deadlines. Workers read, parse, call the Handler, write, and hand the
// connection back to the poller themselves (see ownership.go for the
// protocol that keeps one owner per connection without a lock).
package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/protocol"
	"github.com/miniasync/miniasync/worker"
)

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown or
// Close.
var ErrServerClosed = errors.New("server: closed")

// tick is how often the event loop wakes to sweep for deadlines when
// nothing else happens; it is the resolution of every timeout.
const tick = 100 * time.Millisecond

// Server is an HTTP/1.1 server. Create it with New.
type Server struct {
	cfg     Config
	handler Handler
	http    *httpHandler // handler, when it adapts a net/http handler
	log     *zap.Logger

	mu    sync.Mutex // guards poll and the started flag before Serve
	poll  poller.Poller
	serve bool

	pool *worker.Pool[*conn]
	// conns lists the open connections for the loop's sweeps; only the
	// loop touches it.
	conns []*conn
	// live counts open connections; workers decrement it on close.
	live atomic.Int64
	// rejecting counts connections being answered 503 for MaxConns; they
	// do not count against the cap.
	rejecting atomic.Int64
	// now is the loop's clock in Unix nanoseconds, refreshed once per
	// batch: deadlines need no finer time and no clock read per request.
	now atomic.Int64
	// clock reads the time with one monotonic read (see clock.go).
	clock *clock
	// backlog holds connections, oldest first, that had an event while the
	// worker queue was full; only the loop touches it (see handOff).
	backlog []*conn
	// backlogged is set while backlog may be non-empty: a worker that
	// takes a job then wakes the loop to queue more.
	backlogged atomic.Bool
	// loopStash is the event loop's stash for the turns it runs itself
	// (Inline).
	loopStash stash
	// draining: stop accepting, finish in-flight requests, close the rest.
	draining atomic.Bool
	// exchanges pools request state (see conn.ex).
	exchanges sync.Pool
	// forced: close every connection as soon as it is not running a
	// handler.
	forced atomic.Bool
	done   chan struct{}
}

// New checks cfg, fills in defaults, and returns a server that is not yet
// listening.
func New(cfg Config, h Handler) (*Server, error) {
	if h == nil {
		return nil, errors.New("server: handler is nil")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, handler: h, log: cfg.Logger, done: make(chan struct{})}
	s.http, _ = h.(*httpHandler)
	s.exchanges.New = func() any {
		ex := &exchange{parser: *protocol.NewParser(cfg.Limits)}
		ex.parser.StreamBodies(cfg.StreamBodies)
		return ex
	}
	s.clock = newClock()
	s.now.Store(s.clock.sync())
	return s, nil
}

// Config returns the server's configuration with defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Listen opens the poller and binds the listening address, so Addr works
// before Serve. Serve calls it when it was not called.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.poll != nil {
		return nil
	}
	if s.draining.Load() {
		return ErrServerClosed
	}
	p, err := poller.Open(s.cfg.Backend, poller.Options{
		Addr:       s.cfg.Addr,
		Logger:     s.log,
		Inline:     s.cfg.Inline,
		MaxRequest: s.cfg.largestRequest(),
		Backend:    s.cfg.BackendOptions,
	})
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.poll = p
	return nil
}

// Addr returns the listening address, or nil before Listen.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.poll == nil {
		return nil
	}
	return s.poll.Addr()
}

// ListenAndServe listens on Config.Addr and serves until Shutdown or Close,
// then returns ErrServerClosed.
func (s *Server) ListenAndServe() error {
	if err := s.Listen(); err != nil {
		return err
	}
	return s.Serve()
}

// Serve runs the event loop until Shutdown or Close has closed every
// connection, then returns ErrServerClosed. It may be called once.
func (s *Server) Serve() error {
	if err := s.Listen(); err != nil {
		return err
	}
	s.mu.Lock()
	if s.serve {
		s.mu.Unlock()
		return errors.New("server: Serve called twice")
	}
	if s.poll == nil {
		// A Shutdown or Close ran between Listen and here, saw no
		// Serve yet, and closed the poller.
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.serve = true
	s.mu.Unlock()
	defer close(s.done)

	pool, err := worker.NewPerWorker(worker.Config{
		Workers:    s.cfg.Workers,
		Queue:      s.cfg.QueueSize,
		MaxWorkers: s.cfg.MaxWorkers,
		OnPanic:    s.workerPanic,
	}, func() func(*conn) {
		st := new(stash)
		return func(c *conn) {
			if s.backlogged.Load() {
				s.wake() // this job freed a queue slot for the backlog
			}
			c.runTurn(st)
		}
	})
	if err != nil {
		_ = s.poll.Close()
		return fmt.Errorf("server: %w", err)
	}
	s.pool = pool
	mode := zap.Int("workers", s.cfg.Workers)
	if s.cfg.Inline {
		mode = zap.String("handlers", "inline, on the event loop")
	}
	s.log.Info("serving", zap.Stringer("addr", s.poll.Addr()), zap.String("backend", s.cfg.Backend), mode)
	loopErr := s.loop()
	pool.Close()
	if err := s.poll.Close(); err != nil {
		s.log.Warn("closing the poller", zap.Error(err))
	}
	if loopErr != nil {
		return loopErr
	}
	return ErrServerClosed
}

// Shutdown stops accepting, lets requests in flight finish, closes idle
// keep-alive connections at once and connections that have sent nothing
// yet after a grace of 5 s, and returns once every connection is closed
// and Serve is about to return. When ctx ends first, it closes every
// connection that is not running a handler (as Close does) and returns
// ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	if !s.beginShutdown() {
		return nil
	}
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		s.forced.Store(true)
		s.wake()
		return ctx.Err()
	}
}

// Close stops accepting and closes every connection at once, except those
// running a handler, which close when the handler returns. It returns when
// Serve has finished.
func (s *Server) Close() error {
	s.forced.Store(true)
	if !s.beginShutdown() {
		return nil
	}
	<-s.done
	return nil
}

// beginShutdown marks the server draining and wakes the loop. It reports
// false when there is no loop to wait for (never served).
func (s *Server) beginShutdown() bool {
	s.draining.Store(true)
	s.mu.Lock()
	serving := s.serve
	if !serving && s.poll != nil {
		_ = s.poll.Close()
		s.poll = nil
	}
	s.mu.Unlock()
	if !serving {
		return false
	}
	s.wake()
	return true
}

func (s *Server) wake() {
	if err := s.poll.Wake(); err != nil && !errors.Is(err, poller.ErrClosed) {
		s.log.Warn("waking the event loop", zap.Error(err))
	}
}

func (s *Server) workerPanic(v any, stack []byte) {
	if v == worker.ErrGoexit {
		// The turn that ran the handler has logged it as an error, with
		// its connection; that the pool replaced the worker is a detail.
		s.log.Debug("a worker ended in runtime.Goexit; another takes its place")
		return
	}
	s.log.Error("worker panicked outside a handler", zap.Any("panic", v), zap.ByteString("stack", stack))
}

// loop is the event loop. It returns nil when a shutdown is complete.
func (s *Server) loop() error {
	events := make([]poller.Event, 256)
	nextSweep := s.clock.unixNano() + int64(tick)
	accepting := true
	for {
		if len(s.backlog) > 0 {
			s.drainBacklog()
		}
		n, err := s.poll.Wait(events, tick)
		if err != nil {
			return fmt.Errorf("server: event loop: %w", err)
		}
		now := s.clock.unixNano()
		s.now.Store(now)
		draining := s.draining.Load()
		if draining && accepting {
			accepting = false
			if err := s.poll.StopAccepting(); err != nil {
				s.log.Warn("closing the listener", zap.Error(err))
			}
			nextSweep = now // sweep idle connections at once
		}
		// Sweep before dispatching: a connection whose event is in this
		// batch is still armed, so one that keeps trickling bytes is
		// caught at its deadline instead of always looking busy.
		if now >= nextSweep {
			now = s.clock.sync() // follow a stepped wall clock once per tick
			s.now.Store(now)
			s.sweep(now, draining, s.forced.Load())
			nextSweep = now + int64(tick)
		}
		for i := range events[:n] {
			s.dispatch(&events[i])
			events[i] = poller.Event{} // drop references for the collector
		}
		if draining && s.live.Load() == 0 && (s.forced.Load() || !s.pollDraining()) {
			return nil
		}
	}
}

// pollDraining reports whether the poller still sends output that closed
// connections left (poller.Drainer): a graceful shutdown waits for it, up
// to the backend's close grace or the end of Shutdown's context, since
// closing the poller would cut it off.
func (s *Server) pollDraining() bool {
	d, ok := s.poll.(poller.Drainer)
	return ok && d.Draining()
}

// dispatch hands one event's connection to the worker pool.
func (s *Server) dispatch(ev *poller.Event) {
	if ev.Kind == poller.EventOpened {
		s.open(ev.Conn)
		return
	}
	c, ok := ev.Conn.Context().(*conn)
	if !ok || !c.own.take() {
		return // stale or spurious: someone else owns it, or it is closed
	}
	c.event, c.data, c.cause = ev.Kind, ev.Data, ev.Err
	if c.unpark() {
		return
	}
	if s.cfg.Inline {
		c.runTurn(&s.loopStash)
		return
	}
	s.handOff(c)
}

// handOff queues c for a worker. When the queue is full, c joins the
// backlog, which the loop moves into the queue as workers take jobs: the
// loop never blocks on the pool, because a worker whose handler waits for
// its client (blocking.go) needs the loop to hand the connection back. A
// backlogged connection is neither read nor armed, so its client meets
// TCP backpressure; the backlog holds one pointer per connection at most.
func (s *Server) handOff(c *conn) {
	if len(s.backlog) == 0 {
		ok, err := s.pool.TrySubmit(c)
		if ok {
			return
		}
		if err != nil {
			c.close() // the pool is closed only after the loop ends; defensive
			return
		}
	}
	s.backlog = append(s.backlog, c)
}

// drainBacklog moves backlogged connections into the worker queue, oldest
// first, while it has room.
func (s *Server) drainBacklog() {
	// Set before trying, so a worker that frees a slot after the last
	// failed try sees it and wakes the loop.
	s.backlogged.Store(true)
	n := 0
	for ; n < len(s.backlog); n++ {
		ok, err := s.pool.TrySubmit(s.backlog[n])
		if err != nil {
			s.backlog[n].close()
			continue
		}
		if !ok {
			break
		}
	}
	rest := copy(s.backlog, s.backlog[n:])
	clear(s.backlog[rest:])
	s.backlog = s.backlog[:rest]
	if rest == 0 {
		s.backlogged.Store(false)
	}
}

// unixSecond is the time that dates a response: the loop's clock, which
// the loop refreshes each time it wakes (at least every tick), and a
// request's turn starts right after. nginx dates responses from its loop's
// cached time the same way. In Inline mode the handlers of one batch of
// events share the batch's time, another reason Inline is for fast
// handlers.
func (s *Server) unixSecond() int64 { return s.now.Load() / int64(time.Second) }

// open sets up state for a connection the poller accepted and armed. Past
// MaxConns it takes the connection and has a worker answer 503.
func (s *Server) open(pc poller.Conn) {
	c := &conn{srv: s, pc: pc}
	c.setDeadline(s.cfg.IdleTimeout)
	pc.SetContext(c)
	over := s.cfg.MaxConns > 0 && s.live.Load()-s.rejecting.Load() >= int64(s.cfg.MaxConns)
	s.live.Add(1)
	s.conns = append(s.conns, c)
	if !over {
		c.idle.Store(idleNew)
		c.own.v.Store(stateArmed)
		return
	}
	c.own.v.Store(stateBusy)
	c.rejected = true
	s.rejecting.Add(1)
	if s.cfg.Inline {
		c.runTurn(&s.loopStash)
		return
	}
	s.handOff(c)
}

// drainable reports whether a draining server closes c, which is armed,
// at now: between requests, or accepted at least newConnGrace ago with
// nothing received since (its deadline is then still IdleTimeout from
// its accept).
func (c *conn) drainable(now int64) bool {
	switch c.idle.Load() {
	case idleYes:
		return true
	case idleNew:
		accepted := c.deadline.Load() - int64(c.srv.cfg.IdleTimeout)
		return now-accepted >= int64(newConnGrace)
	}
	return false
}

// sweep closes armed connections whose deadline passed (or, when
// draining, the drainable ones; when forced, every armed one) and forgets
// closed ones.
func (s *Server) sweep(now int64, draining, forced bool) {
	kept := s.conns[:0]
	for _, c := range s.conns {
		if c.own.closed() {
			continue
		}
		if c.own.armed() {
			expired := c.deadline.Load() <= now
			if (expired || forced || (draining && c.drainable(now))) && c.own.takeArmed() {
				c.event, c.data, c.cause = poller.EventClosed, nil, ErrShuttingDown
				if expired {
					c.cause = ErrClientTimeout
				}
				if !c.unpark() {
					c.close()
					continue
				}
			}
		} else if x := c.hctx.Load(); x != nil {
			s.checkClient(c, x, now, forced)
		}
		kept = append(kept, c)
	}
	clear(s.conns[len(kept):])
	s.conns = kept
}

// checkClient cancels the context of an HTTPHandler request whose client
// went away, or every one when the server is forced to close. Requests
// younger than a tick are left alone: most finish before a check could
// matter.
func (s *Server) checkClient(c *conn, x *requestContext, now int64, forced bool) {
	switch {
	case forced:
		x.cancel(context.Canceled)
	case now-x.start < int64(tick):
	default:
		if pc, ok := c.pc.(poller.PeerChecker); ok && pc.PeerGone() {
			x.cancel(context.Canceled)
		}
	}
}
