//go:build linux

// Package epoll is the Linux backend of miniasync's poller, hand-written
// over epoll(7).
//
// Connections are registered once, edge-triggered, for input and output,
// and a word of atomic state per connection gives each a single owner (see
// package poller and edge.go): an edge reaches the event loop as an event
// only when the owner has armed for it, and Arm, which costs no system call,
// reports at once (through a ready list and a wake-up) any readiness that
// arrived while the owner was busy. When the caller handles events inline
// (poller.Options.Inline), the event loop is the only owner there is, so
// registrations are level-triggered, stay armed, and a re-arm for an
// unchanged interest makes no system call either.
// In both modes an owner may stop reading before it has drained the socket
// (to cap the bytes one connection reads per turn): the next Arm reports the
// rest at once. Each registration carries the
// descriptor and a generation in the event's data word, so an event that
// belongs to a closed connection is never delivered to a new connection that
// the kernel gave the same descriptor number. Wake-ups go through an eventfd.
// The event loop never blocks its thread in epoll_wait: when nothing is
// ready it parks in Go's own network poller, which watches the epoll
// descriptor, so the workers it has just handed connections to run at once.
package epoll

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/poller/internal/fdconn"
)

// Name is the name this backend registers under.
const Name = "epoll"

func init() {
	poller.MustRegister(poller.Backend{
		Name:     Name,
		Summary:  "Linux epoll, hand-written (edge-triggered, lock-free ownership, eventfd wake-ups)",
		Priority: 100,
		Open:     func(o poller.Options) (poller.Poller, error) { return Open(o) },
	})
}

const (
	// acceptBackoff is how long accepting pauses after EMFILE and the like,
	// so a full descriptor table cannot turn the loop into a spin.
	acceptBackoff = 100 * time.Millisecond
	// acceptLogEvery rate-limits the log line about that pause.
	acceptLogEvery = 10 * time.Second

	readEvents = unix.EPOLLIN | unix.EPOLLRDHUP
)

// Poller is the epoll implementation of poller.Poller.
type Poller struct {
	log   *zap.Logger
	addr  net.Addr
	raw   []unix.EpollEvent
	conns fdconn.Table[fdconn.Conn]
	// waker is the eventfd Wake writes; nil until Open made it.
	waker *fdconn.Waker
	// readyMu guards ready: connections whose Arm found readiness already
	// there, for the next Wait to report (see edgeArm). readyLen mirrors
	// its length, so Wait checks it without the lock.
	readyMu  sync.Mutex
	ready    []readyConn
	readyLen atomic.Int32
	// inline: registrations stay armed (see poller.Options.Inline).
	inline bool
	// file wraps epfd so that the event loop waits for it in Go's own
	// network poller instead of in a blocking epoll_wait (see epollWait);
	// rc is its raw access.
	file        *os.File
	rc          syscall.RawConn
	poll        parkedPoll
	epfd        int
	lfd         int
	gen         uint32
	pausedUntil time.Time
	lastLog     time.Time
}

// Open creates the epoll instance, the wake-up eventfd and the listener.
func Open(o poller.Options) (*Poller, error) {
	if o.Backend != nil {
		return nil, fmt.Errorf("epoll: takes no backend settings, got %T", o.Backend)
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	p := &Poller{log: o.Log(), inline: o.Inline, epfd: epfd, lfd: -1, raw: make([]unix.EpollEvent, 256)}
	// An epoll descriptor is itself pollable (readable while events are
	// ready); non-blocking, os.NewFile registers it with Go's poller.
	if err := unix.SetNonblock(epfd, true); err != nil {
		_ = unix.Close(epfd)
		return nil, fmt.Errorf("epoll: set non-blocking: %w", err)
	}
	p.poll.fn = p.poll.try
	p.file = os.NewFile(uintptr(epfd), "epoll")
	if p.rc, err = p.file.SyscallConn(); err != nil {
		_ = p.file.Close()
		return nil, fmt.Errorf("epoll: %w", err)
	}
	if p.waker, err = fdconn.NewWaker(unix.EFD_NONBLOCK); err != nil {
		_ = p.Close()
		return nil, err
	}
	if err := p.ctl(unix.EPOLL_CTL_ADD, p.waker.FD(), unix.EPOLLIN, 0); err != nil {
		_ = p.Close()
		return nil, err
	}
	if p.lfd, p.addr, err = fdconn.Listen(o.Addr); err != nil {
		_ = p.Close()
		return nil, err
	}
	if err := p.ctl(unix.EPOLL_CTL_ADD, p.lfd, unix.EPOLLIN, 0); err != nil {
		_ = p.Close()
		return nil, err
	}
	return p, nil
}

func (p *Poller) ctl(op, fd int, events uint32, gen uint32) error {
	ev := unix.EpollEvent{Events: events, Fd: int32(fd), Pad: int32(gen)}
	if err := unix.EpollCtl(p.epfd, op, fd, &ev); err != nil {
		return fmt.Errorf("epoll_ctl(%d, fd %d): %w", op, fd, err)
	}
	return nil
}

// readyConn is a connection Arm handed straight back for reporting.
type readyConn struct {
	c    *fdconn.Conn
	kind poller.Interest
}

// Arm implements fdconn.Armer. In the default mode it flips the
// connection's state word (see edge.go), and only when readiness is already
// there does it queue the connection and wake the event loop. In inline
// mode registrations are level-triggered and stay armed, and re-arming for
// the interest already registered costs no system call.
func (p *Poller) Arm(c *fdconn.Conn, i poller.Interest) error {
	if !p.inline {
		hit := edgeArm(c.Edge(), i, c.MaybeMore(), c.MaybeRoom())
		if hit == 0 {
			return nil
		}
		p.readyMu.Lock()
		p.ready = append(p.ready, readyConn{c: c, kind: hit})
		p.readyLen.Store(int32(len(p.ready)))
		p.readyMu.Unlock()
		return p.Wake()
	}
	if c.Interest() == i {
		return nil
	}
	c.SetInterest(i)
	var ev uint32
	if i&poller.Readable != 0 {
		ev |= readEvents
	}
	if i&poller.Writable != 0 {
		ev |= unix.EPOLLOUT
	}
	return p.ctl(unix.EPOLL_CTL_MOD, c.FD(), ev, c.Gen())
}

// Addr implements poller.Poller.
func (p *Poller) Addr() net.Addr { return p.addr }

// Wake implements poller.Poller.
func (p *Poller) Wake() error { return p.waker.Wake() }

// Wait implements poller.Poller.
func (p *Poller) Wait(events []poller.Event, timeout time.Duration) (int, error) {
	if p.epfd < 0 {
		return 0, poller.ErrClosed
	}
	if len(events) == 0 {
		return 0, nil
	}
	timeout = p.resumeAccepting(timeout)
	out := 0
	if p.readyLen.Load() > 0 {
		out = p.takeReady(events)
		if out == len(events) {
			return out, nil
		}
		timeout = 0 // report these now; collect what else is there
	}
	raw := p.raw
	if room := len(events) - out; room < len(raw) {
		raw = raw[:room]
	}
	n, err := p.epollWait(raw, msec(timeout))
	if err == unix.EINTR {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("epoll_wait: %w", err)
	}
	return out + p.translateBatch(raw[:n], events[out:]), nil
}

// epollWait is epoll_wait that never blocks the goroutine's thread. A
// blocking system call keeps the goroutine's P until the runtime's monitor
// takes it back (20 µs to 10 ms later), so the workers the loop has just
// handed connections to would wait for it: with few Ps (a server pinned to
// one core) that stall was a quarter of the time, and a yield before the
// call did not always let every worker run first (the scheduler takes a
// yielded goroutine back early now and then). So it polls, and when
// nothing is ready it parks the goroutine in Go's network poller, which
// watches the epoll descriptor: the P runs every runnable goroutine, and
// the loop wakes when events (or a Wake) arrive or the timeout ends.
func (p *Poller) epollWait(raw []unix.EpollEvent, ms int) (int, error) {
	n, err := unix.EpollWait(p.epfd, raw, 0)
	if n != 0 || err != nil || ms == 0 {
		return n, err
	}
	now := time.Now()
	// Nothing to do now: a good moment to forget closed connections.
	p.conns.PruneIfDue(now, (*fdconn.Conn).Closed)
	var deadline time.Time
	if ms > 0 {
		deadline = now.Add(time.Duration(ms) * time.Millisecond)
	}
	if err := p.file.SetReadDeadline(deadline); err != nil {
		return 0, fmt.Errorf("epoll: set deadline: %w", err)
	}
	p.poll.raw = raw
	rerr := p.rc.Read(p.poll.fn)
	n, err = p.poll.n, p.poll.err
	p.poll.raw, p.poll.err = nil, nil
	if rerr != nil {
		if errors.Is(rerr, os.ErrDeadlineExceeded) {
			return 0, nil
		}
		return 0, rerr
	}
	return n, err
}

// parkedPoll is the non-blocking epoll_wait that Go's poller retries each
// time the epoll descriptor becomes readable; fn is made once (Open), so
// waiting allocates nothing.
type parkedPoll struct {
	raw []unix.EpollEvent
	n   int
	err error
	fn  func(fd uintptr) bool
}

func (pp *parkedPoll) try(fd uintptr) bool {
	pp.n, pp.err = unix.EpollWait(int(fd), pp.raw, 0)
	return pp.n != 0 || pp.err != nil
}

// takeReady moves connections from the ready list into events, oldest
// first, and returns how many it moved.
func (p *Poller) takeReady(events []poller.Event) int {
	p.readyMu.Lock()
	defer p.readyMu.Unlock()
	out, taken := 0, 0
	for _, r := range p.ready {
		if out == len(events) {
			break
		}
		taken++
		if r.c.Closed() {
			continue
		}
		events[out] = poller.Event{Kind: kindOf(r.kind), Conn: r.c}
		out++
	}
	rest := copy(p.ready, p.ready[taken:])
	clear(p.ready[rest:])
	p.ready = p.ready[:rest]
	p.readyLen.Store(int32(rest))
	return out
}

// kindOf is the event that reports interest i.
func kindOf(i poller.Interest) poller.EventKind {
	if i == poller.Readable {
		return poller.EventReadable
	}
	return poller.EventWritable
}

// translateBatch turns one epoll_wait batch into poller events, accepting
// new connections and dropping events whose connection is gone.
func (p *Poller) translateBatch(raw []unix.EpollEvent, events []poller.Event) int {
	out := 0
	for i := range raw {
		e := &raw[i]
		fd := int(e.Fd)
		switch {
		case fd == p.waker.FD():
			p.waker.Drain()
		case fd == p.lfd:
			// Leave room for the events still to translate in this batch.
			out += p.accept(events[out : len(events)-(len(raw)-1-i)])
		default:
			c := p.conns.Get(fd)
			if c == nil || c.Gen() != uint32(e.Pad) || c.Closed() {
				continue // stale: the connection is gone
			}
			if p.inline {
				events[out] = translate(c, e.Events)
				out++
				continue
			}
			hit := edgeEvent(c.Edge(), readiness(e.Events), e.Events&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0)
			if hit == 0 {
				continue // not armed for it: pending until the next Arm
			}
			if e.Events&unix.EPOLLERR != 0 {
				events[out] = poller.Event{Kind: poller.EventClosed, Conn: c, Err: c.SocketError()}
			} else {
				events[out] = poller.Event{Kind: kindOf(hit), Conn: c}
			}
			out++
		}
	}
	return out
}

// readiness turns epoll flags into the interests they satisfy: a hang-up or
// an error wakes an owner waiting in either direction, which then finds out
// by reading or writing.
func readiness(flags uint32) poller.Interest {
	var i poller.Interest
	if flags&(readEvents|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		i |= poller.Readable
	}
	if flags&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		i |= poller.Writable
	}
	return i
}

// translate turns epoll flags into the event the owner should act on
// (inline mode, level-triggered).
func translate(c *fdconn.Conn, flags uint32) poller.Event {
	switch {
	case flags&unix.EPOLLERR != 0:
		return poller.Event{Kind: poller.EventClosed, Conn: c, Err: c.SocketError()}
	case flags&(readEvents|unix.EPOLLHUP) != 0:
		// Input, the peer's FIN, or a hang-up: reading tells which.
		return poller.Event{Kind: poller.EventReadable, Conn: c}
	default:
		return poller.Event{Kind: poller.EventWritable, Conn: c}
	}
}

// accept takes up to len(events) connections from the listener's queue.
func (p *Poller) accept(events []poller.Event) int {
	n := 0
	for n < len(events) {
		fd, sa, err := fdconn.AcceptAddr(p.lfd)
		if err != nil {
			switch fdconn.ClassifyAcceptError(err) {
			case fdconn.AcceptRetry:
				continue
			case fdconn.AcceptBackoff, fdconn.AcceptFatal:
				p.pauseAccepting(err)
			}
			return n
		}
		_ = fdconn.SetNoDelay(fd)
		p.gen++
		c := fdconn.NewWithAddr(fd, p.gen, sa, p)
		// Armed for reading from the start (EventOpened).
		var flags uint32 = readEvents | unix.EPOLLOUT | unix.EPOLLET
		c.Edge().Store(uint32(poller.Readable))
		if p.inline {
			flags = readEvents
			c.SetInterest(poller.Readable)
		}
		if err := p.ctl(unix.EPOLL_CTL_ADD, fd, flags, p.gen); err != nil {
			_ = unix.Close(fd)
			p.log.Warn("epoll: registering an accepted connection failed", zap.Error(err))
			continue
		}
		p.conns.Put(fd, c)
		events[n] = poller.Event{Kind: poller.EventOpened, Conn: c}
		n++
	}
	return n
}

// pauseAccepting stops watching the listener for acceptBackoff: with the
// descriptor table full, the pending connection stays in the queue and a
// level-triggered listener would wake the loop again at once.
func (p *Poller) pauseAccepting(err error) {
	if p.pausedUntil.IsZero() {
		if mod := p.ctl(unix.EPOLL_CTL_MOD, p.lfd, 0, 0); mod != nil {
			p.log.Error("epoll: pausing the listener failed", zap.Error(mod))
		}
	}
	now := time.Now()
	p.pausedUntil = now.Add(acceptBackoff)
	if now.Sub(p.lastLog) >= acceptLogEvery {
		p.lastLog = now
		p.log.Warn("epoll: accept failed; pausing accepts", zap.Error(err), zap.Duration("pause", acceptBackoff))
	}
}

// resumeAccepting re-enables the listener once a pause is over and returns
// the timeout shortened to end with the pause.
func (p *Poller) resumeAccepting(timeout time.Duration) time.Duration {
	if p.pausedUntil.IsZero() {
		return timeout
	}
	left := time.Until(p.pausedUntil)
	if left > 0 {
		if timeout < 0 || left < timeout {
			return left
		}
		return timeout
	}
	p.pausedUntil = time.Time{}
	if p.lfd >= 0 {
		if err := p.ctl(unix.EPOLL_CTL_MOD, p.lfd, unix.EPOLLIN, 0); err != nil {
			p.log.Error("epoll: resuming the listener failed", zap.Error(err))
		}
	}
	return 0
}

// StopAccepting implements poller.Poller.
func (p *Poller) StopAccepting() error {
	if p.lfd < 0 {
		return nil
	}
	fd := p.lfd
	p.lfd = -1
	if err := unix.Close(fd); err != nil {
		return fmt.Errorf("close listener: %w", err)
	}
	return nil
}

// Close implements poller.Poller.
func (p *Poller) Close() error {
	err := p.StopAccepting()
	if p.waker != nil {
		if cerr := p.waker.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	if p.epfd >= 0 {
		// Through the file, so Go's poller forgets the descriptor first.
		if cerr := p.file.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close: %w", cerr)
		}
		p.epfd = -1
	}
	return err
}

// msec converts a poller timeout to epoll_wait's milliseconds, rounding up
// so a short positive timeout does not become a busy poll.
func msec(d time.Duration) int {
	if d < 0 {
		return -1
	}
	return int((d + time.Millisecond - 1) / time.Millisecond)
}
