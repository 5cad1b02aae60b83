//go:build linux

package netpoll

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudwego/netpoll"
	"go.uber.org/zap"

	"github.com/miniasync/miniasync/poller"
)

func init() {
	poller.MustRegister(poller.Backend{
		Name:     Name,
		Summary:  "cloudwego/netpoll adapter (eager reads, callbacks on netpoll's pool, flushes off the worker)",
		Priority: 10,
		Open:     func(o poller.Options) (poller.Poller, error) { return Open(o) },
	})
}

// Poller is the netpoll implementation of poller.Poller.
type Poller struct {
	log *zap.Logger
	cfg Config
	// busyInput caps a connection's pending input while its output is not
	// waiting for the client: MaxPendingInput plus the owner's largest
	// request (poller.Options.MaxRequest).
	busyInput int
	ln        *listener
	evl       netpoll.EventLoop
	wake      chan struct{}
	// timer bounds Wait; only the Wait goroutine uses it.
	timer *time.Timer
	// served is closed when the event loop's Serve returns.
	served chan struct{}
	// stopping: StopAccepting asked Serve to return, so its return is no
	// error.
	stopping atomic.Bool
	stopped  bool // StopAccepting ran; touched by the Wait goroutine only
	// flushers counts flusher goroutines; Close waits for them.
	flushers sync.WaitGroup
	// deferredCloses counts connections whose Close waits for their
	// flusher (see conn.Close), for Draining.
	deferredCloses atomic.Int32

	mu sync.Mutex
	// queue holds events for Wait, in order.
	queue []poller.Event
	// sleeping: Wait is blocked (or about to block) on wake; the first
	// producer to see it posts to wake and clears it.
	sleeping bool
	// woken: Wake was called since the last Wait returned.
	woken bool
	// serveErr is why Serve returned on its own, if it did.
	serveErr error
	// conns holds every connection whose netpoll connection is not closed
	// yet, so Close can release them all.
	conns  map[*conn]struct{}
	closed bool
}

// process-wide netpoll settings (see Config).
var global struct {
	sync.Mutex
	opened  bool
	applied globals
}

// applyGlobals applies the process-wide part of cfg at the first Open in the
// process and checks later ones against it.
func applyGlobals(cfg Config) error {
	global.Lock()
	defer global.Unlock()
	want := cfg.globals()
	if global.opened {
		a := global.applied
		if (want.pollers != 0 && want.pollers != a.pollers) ||
			(want.runner != RunnerPool && want.runner != a.runner) ||
			(want.bufferSize != 0 && want.bufferSize != a.bufferSize) {
			return fmt.Errorf("%w: asked for Pollers=%d Runner=%v BufferSize=%d, the process runs with Pollers=%d Runner=%v BufferSize=%d (0 is netpoll's default)",
				ErrGlobalSettings, want.pollers, want.runner, want.bufferSize, a.pollers, a.runner, a.bufferSize)
		}
		return nil
	}
	// netpoll logs through one process-wide logger: its lines go to the
	// logger of the poller opened last (see logWriter).
	nc := netpoll.Config{PollerNum: want.pollers, BufferSize: want.bufferSize, LoggerOutput: logWriter{}}
	if want.runner == RunnerGo {
		nc.Runner = func(_ context.Context, f func()) { go f() }
	}
	if err := netpoll.Configure(nc); err != nil {
		return fmt.Errorf("netpoll: configure: %w", err)
	}
	global.opened = true
	global.applied = want
	return nil
}

// Open applies the settings in o.Backend (a Config), listens on o.Addr and
// starts a netpoll event loop on the listener.
func Open(o poller.Options) (*Poller, error) {
	cfg, err := configFrom(o.Backend)
	if err != nil {
		return nil, err
	}
	if o.MaxRequest < 0 {
		return nil, fmt.Errorf("netpoll: Options.MaxRequest must not be negative, got %d", o.MaxRequest)
	}
	if err := applyGlobals(cfg); err != nil {
		return nil, err
	}
	netpollLog.Store(o.Log())
	p := &Poller{
		log:       o.Log(),
		cfg:       cfg,
		busyInput: cfg.MaxPendingInput + min(o.MaxRequest, math.MaxInt-cfg.MaxPendingInput),
		wake:      make(chan struct{}, 1),
		timer:     time.NewTimer(time.Hour),
		served:    make(chan struct{}),
		conns:     make(map[*conn]struct{}),
	}
	p.timer.Stop()
	evl, err := netpoll.NewEventLoop(p.onRequest,
		netpoll.WithOnPrepare(p.onPrepare),
		netpoll.WithOnDisconnect(p.onDisconnect))
	if err != nil {
		return nil, fmt.Errorf("netpoll: new event loop: %w", err)
	}
	if evl == nil { // netpoll's Windows stub answers nil without an error
		return nil, fmt.Errorf("netpoll: NewEventLoop returned no event loop on this platform: %w", poller.ErrUnavailable)
	}
	p.evl = evl
	if p.ln, err = listen(o.Addr); err != nil {
		return nil, err
	}
	go p.serve()
	return p, nil
}

// serve runs netpoll's event loop until StopAccepting (or a failure).
func (p *Poller) serve() {
	defer close(p.served)
	err := p.evl.Serve(p.ln)
	if p.stopping.Load() {
		return
	}
	if err == nil {
		err = errors.New("returned without an error")
	}
	p.mu.Lock()
	p.serveErr = fmt.Errorf("netpoll: event loop stopped: %w", err)
	p.mu.Unlock()
	_ = p.Wake()
}

// Addr implements poller.Poller.
func (p *Poller) Addr() net.Addr { return p.ln.addr }

// Wake implements poller.Poller.
func (p *Poller) Wake() error {
	p.mu.Lock()
	p.woken = true
	signal := p.sleeping
	p.sleeping = false
	p.mu.Unlock()
	if signal {
		p.signal()
	}
	return nil
}

func (p *Poller) signal() {
	select {
	case p.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// enqueue queues an event for Wait. The connection must have been disarmed
// under its lock first, so each Arm yields at most one event.
func (p *Poller) enqueue(ev poller.Event) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.queue = append(p.queue, ev)
	signal := p.sleeping
	p.sleeping = false
	p.mu.Unlock()
	if signal {
		p.signal()
	}
}

// Wait implements poller.Poller.
func (p *Poller) Wait(events []poller.Event, timeout time.Duration) (int, error) {
	if len(events) == 0 {
		return 0, nil
	}
	timed := false
	defer func() {
		if timed {
			p.timer.Stop()
		}
	}()
	for {
		p.mu.Lock()
		p.sleeping = false
		if p.closed {
			p.mu.Unlock()
			return 0, poller.ErrClosed
		}
		n := copy(events, p.queue)
		if n > 0 {
			rest := copy(p.queue, p.queue[n:])
			clear(p.queue[rest:])
			p.queue = p.queue[:rest]
		}
		woken, serveErr := p.woken, p.serveErr
		p.woken = false
		if n == 0 && !woken && serveErr == nil && timeout != 0 {
			p.sleeping = true
		}
		p.mu.Unlock()
		switch {
		case n > 0:
			return p.bind(events[:n]), nil
		case serveErr != nil:
			return 0, serveErr
		case woken || timeout == 0:
			return 0, nil
		}
		var expired <-chan time.Time
		if timeout > 0 {
			if !timed {
				p.timer.Reset(timeout)
				timed = true
			}
			expired = p.timer.C
		}
		select {
		case <-p.wake:
			// Events, a Wake, or a stale post: look again.
		case <-expired:
			timeout = 0 // collect what is there and return
		}
	}
}

// bind completes queued events: EventReadable takes the pending input as
// Event.Data. Events for connections closed since they were queued are
// dropped. It returns how many events remain, compacted to the front.
func (p *Poller) bind(events []poller.Event) int {
	out := 0
	for i := range events {
		ev := events[i]
		events[i] = poller.Event{}
		if ev.Kind != poller.EventOpened {
			c := ev.Conn.(*conn)
			c.mu.Lock()
			if c.closed {
				c.mu.Unlock()
				continue
			}
			if ev.Kind == poller.EventReadable && len(c.in) > 0 {
				if c.lent != nil {
					putBuffer(c.lent)
				}
				ev.Data, c.lent, c.in = c.in, c.in, nil
				if n := p.cfg.MaxPendingInput; len(ev.Data) > n {
					// Hand over one MaxPendingInput at a time, so the
					// owner holds no more than it works through: the
					// rest stays pending (and is cut if the output
					// backs up, see conn.Write). The two share an
					// array, so it must not return to the pool: lent
					// is dropped, and the rest is a tail (see tail).
					ev.Data, c.in, c.lent = ev.Data[:n:n], tail(ev.Data[n:]), nil
				}
			}
			c.mu.Unlock()
		}
		events[out] = ev
		out++
	}
	return out
}

// StopAccepting implements poller.Poller: netpoll drops the listener, which
// is then closed; existing connections stay open.
func (p *Poller) StopAccepting() error {
	if p.stopped {
		return nil
	}
	p.stopped = true
	p.stopping.Store(true)
	return p.ln.stop(p.served)
}

// Close implements poller.Poller. It also closes any netpoll connection
// still open (one whose Close is waiting for its output to drain), and
// waits for every flusher goroutine to end.
func (p *Poller) Close() error {
	err := p.StopAccepting()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return err
	}
	p.closed = true
	p.queue = nil
	left := make([]*conn, 0, len(p.conns))
	for c := range p.conns {
		left = append(left, c)
	}
	p.mu.Unlock()
	for _, c := range left {
		if cerr := c.closeNetpoll(); cerr != nil && err == nil {
			err = cerr
		}
	}
	p.flushers.Wait()
	return err
}

// Draining implements poller.Drainer: some connection's Close still waits
// for its flusher to send what Write accepted.
func (p *Poller) Draining() bool { return p.deferredCloses.Load() > 0 }

// forget removes a connection whose netpoll connection is closed.
func (p *Poller) forget(c *conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// onPrepare is netpoll's OnPrepare, called on its poller goroutine for each
// accepted connection before netpoll watches it. It creates the
// connection, armed for reading, and queues EventOpened. The connection is
// also the context netpoll passes to the other callbacks.
func (p *Poller) onPrepare(nc netpoll.Connection) (ctx context.Context) {
	c := &conn{ctxBase: ctxBase{context.Background()}, p: p, nc: nc, armed: poller.Readable}
	c.flushFn = c.flush
	c.fd = -1
	if f, ok := nc.(interface{ Fd() int }); ok {
		// Direct writes need to know when netpoll lets go of the
		// descriptor (see conn.Write); without the callback, every
		// write goes through netpoll.
		if nc.AddCloseCallback(c.descriptorClosing) == nil {
			c.fd = f.Fd()
		}
	}
	defer func() {
		if v := recover(); v != nil {
			p.log.Error("netpoll: OnPrepare panicked", zap.Any("panic", v), zap.Stack("stack"))
			_ = nc.Close()
			ctx = c
		}
	}()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		_ = nc.Close() // accepted as the poller closed: netpoll drops it
		return c
	}
	p.conns[c] = struct{}{}
	p.queue = append(p.queue, poller.Event{Kind: poller.EventOpened, Conn: c})
	signal := p.sleeping
	p.sleeping = false
	p.mu.Unlock()
	if signal {
		p.signal()
	}
	return c
}

// onRequest is netpoll's OnRequest. It moves everything netpoll buffered
// into the connection's pending input and returns at once (see conn.input).
func (p *Poller) onRequest(ctx context.Context, nc netpoll.Connection) error {
	c, ok := ctx.(*conn)
	if !ok {
		_ = nc.Close() // not ours; closing is the only way to stop the calls
		return nil
	}
	defer c.recoverCallback("OnRequest")
	c.input()
	return nil
}

// onDisconnect is netpoll's OnDisconnect, called when netpoll sees the peer
// close or reset the connection (netpoll closes the connection then).
func (p *Poller) onDisconnect(ctx context.Context, _ netpoll.Connection) {
	c, ok := ctx.(*conn)
	if !ok {
		return
	}
	defer c.recoverCallback("OnDisconnect")
	c.disconnected()
}

// StartPollers starts netpoll's process-wide pollers now rather than at the
// first Open. They hold descriptors (an epoll set and an eventfd each) and
// goroutines until the process exits, so a program or test that counts
// descriptors or goroutines around a server calls it first. It applies no
// settings: call it after the first Open that sets Pollers, or not at all
// in programs that set them.
func StartPollers() { netpoll.Initialize() }
