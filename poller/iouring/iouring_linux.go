//go:build linux

package iouring

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/poller/internal/fdconn"
)

func init() {
	poller.MustRegister(poller.Backend{
		Name:      Name,
		Summary:   "Linux io_uring, hand-written (multishot accept and receive into a provided-buffer ring, async sends)",
		Priority:  50, // below epoll: the default stays epoll
		Available: func() error { return availability() },
		Open:      func(o poller.Options) (poller.Poller, error) { return Open(o) },
	})
}

const (
	// acceptBackoff is how long accepting pauses after EMFILE and the like.
	acceptBackoff = 100 * time.Millisecond
	// acceptLogEvery rate-limits the log line about that pause.
	acceptLogEvery = 10 * time.Second
	// closeDrain bounds how long Poller.Close waits for the kernel to
	// return what is still in flight.
	closeDrain = 2 * time.Second
	// maxFD is the largest descriptor user_data can carry (see ud).
	maxFD = 1<<24 - 1
	// bufGroup is the provided-buffer group receives select from.
	bufGroup = 0
)

// Kinds of submission, in the top byte of user_data.
const (
	udWake uint8 = iota + 1
	udAccept
	udRecv
	udSend
	udCancel
)

// ud packs a submission's kind, the connection's descriptor and its
// generation into user_data. The generation is a second guard: a
// descriptor is closed only after its last completion, so a completion
// can never meet a newer connection on the same number anyway.
func ud(kind uint8, fd int, gen uint32) uint64 {
	return uint64(kind)<<56 | uint64(gen)<<24 | uint64(fd)&maxFD
}

func decode(u uint64) (kind uint8, fd int, gen uint32) {
	return uint8(u >> 56), int(u & maxFD), uint32(u >> 24)
}

// opKind is what an owner asks of the event loop.
type opKind uint8

const (
	// reqReport: Arm found something to report; the loop builds the event.
	reqReport opKind = iota + 1
	// reqSend: Write queued output in c.out.
	reqSend
	// reqShutWr: CloseWrite while a send was in flight.
	reqShutWr
	// reqClose: Close; interest is what the connection was armed for.
	reqClose
)

// graceEntry is a connection closed with output in flight, and the end
// of its close grace (Unix ns).
type graceEntry struct {
	c  *conn
	at int64
}

// op is a request from a connection's owner to the event loop, which alone
// touches the submission queue.
type op struct {
	c        *conn
	kind     opKind
	interest poller.Interest
}

// Poller is the io_uring implementation of poller.Poller.
type Poller struct {
	log  *zap.Logger
	cfg  Config
	addr net.Addr
	ring *ring
	bufs *bufRing

	// wakeBuf receives the eventfd counter read through the ring; it is
	// on the heap and referenced here for as long as the read may run.
	wakeBuf *[8]byte
	// waker is the eventfd owners and Wake write; the ring keeps a read
	// of it in flight. Nil until Open made it.
	waker *fdconn.Waker
	// sleeping: the loop is (about to be) blocked in io_uring_enter, so
	// an owner's request or a Wake must write the eventfd. Otherwise the
	// loop looks at ops and wakeReq before it blocks (both sides store,
	// then load: one of them sees the other).
	sleeping atomic.Bool
	// wakeReq: Wake was called; the next Wait returns promptly.
	wakeReq atomic.Bool

	opMu   sync.Mutex
	ops    []op
	opsLen atomic.Int32

	// The event loop's own.
	locked      bool // start locked the loop's goroutine to its thread
	conns       fdconn.Table[conn]
	spare       []op
	carry       []op         // reports that did not fit in a Wait's events
	resubmit    []*conn      // connections to receive on again after a batch
	grace       []graceEntry // closed with output in flight
	lfd         int
	gen         uint32
	acceptOn    bool // the multishot accept is in flight
	wakeOn      bool // the eventfd read is in flight
	stopped     bool // StopAccepting ran
	closed      bool
	pausedUntil time.Time
	lastLog     time.Time

	// inline is poller.Options.Inline: every owner call runs on the
	// loop's goroutine, so post needs no lock and buffers come from free,
	// the loop's own stock (see getBuffer), instead of the shared pool.
	inline bool
	free   []*buffer
}

// Open sets up the ring, the provided-buffer ring, the wake-up eventfd and
// the listener, and submits the multishot accept.
func Open(o poller.Options) (*Poller, error) {
	cfg, err := configFrom(o.Backend)
	if err != nil {
		return nil, err
	}
	if err := availability(); err != nil {
		return nil, fmt.Errorf("iouring: %w: %w", poller.ErrUnavailable, err)
	}
	p := &Poller{log: o.Log(), cfg: cfg, wakeBuf: new([8]byte), lfd: -1, inline: o.Inline}
	// A blocking eventfd: its read waits in the ring until Wake writes.
	if p.waker, err = fdconn.NewWaker(0); err != nil {
		_ = p.Close()
		return nil, fmt.Errorf("iouring: %w", err)
	}
	if p.lfd, p.addr, err = fdconn.Listen(o.Addr); err != nil {
		_ = p.Close()
		return nil, err
	}
	if cfg.SharedThreads {
		if err := p.start(); err != nil {
			_ = p.Close()
			return nil, err
		}
	}
	return p, nil
}

// start sets up the ring and submits the accept and the wake-up read. By
// default it runs at the first Wait, on the event loop's goroutine, which
// it locks to its thread: the ring is then IORING_SETUP_SINGLE_ISSUER and
// IORING_SETUP_DEFER_TASKRUN, so completion work runs only when the loop
// asks for completions, on its own thread, instead of interrupting
// whichever thread submitted each request (see the package doc).
func (p *Poller) start() error {
	var flags uint32
	if p.cfg.CoopTaskrun {
		flags |= setupCoopTaskrun | setupTaskrunFlag
	}
	if !p.cfg.SharedThreads {
		runtime.LockOSThread()
		p.locked = true
		flags |= setupSingleIssuer | setupDeferTaskrun
	}
	r, err := newRing(uint32(p.cfg.Entries), uint32(4*p.cfg.Entries), flags)
	if err != nil && flags&setupDeferTaskrun != 0 && errors.Is(err, unix.EINVAL) {
		// Before 6.1: no DEFER_TASKRUN; the thread need not be ours.
		runtime.UnlockOSThread()
		p.locked = false
		r, err = newRing(uint32(p.cfg.Entries), uint32(4*p.cfg.Entries), flags&^(setupSingleIssuer|setupDeferTaskrun))
	}
	if err != nil {
		return fmt.Errorf("iouring: %w", err)
	}
	p.ring = r
	if p.bufs, err = newBufRing(r, p.cfg.Buffers, p.cfg.BufferSize, bufGroup); err != nil {
		return fmt.Errorf("iouring: %w", err)
	}
	p.armWake()
	if p.lfd >= 0 {
		p.armAccept()
	}
	if _, err := p.ring.enter(0, false, 0); err != nil {
		return fmt.Errorf("iouring: io_uring_enter: %w", err)
	}
	return nil
}

// Addr implements poller.Poller.
func (p *Poller) Addr() net.Addr { return p.addr }

// Wake implements poller.Poller.
func (p *Poller) Wake() error {
	p.wakeReq.Store(true)
	if p.sleeping.Load() {
		return p.kick()
	}
	return nil
}

// post queues a request for the event loop and wakes it if it sleeps.
func (p *Poller) post(o op) {
	if p.inline {
		p.ops = append(p.ops, o) // the loop's own goroutine, not blocked
		return
	}
	p.opMu.Lock()
	p.ops = append(p.ops, o)
	p.opsLen.Store(int32(len(p.ops)))
	p.opMu.Unlock()
	if p.sleeping.Load() {
		if err := p.kick(); err != nil && !errors.Is(err, poller.ErrClosed) {
			p.log.Error("iouring: waking the event loop", zap.Error(err))
		}
	}
}

// hasOps reports whether owners posted requests the loop has not run.
func (p *Poller) hasOps() bool {
	if p.inline {
		return len(p.ops) > 0
	}
	return p.opsLen.Load() > 0
}

// kick writes the eventfd, once until its read completes.
func (p *Poller) kick() error {
	if err := p.waker.Wake(); err != nil {
		return fmt.Errorf("iouring: %w", err)
	}
	return nil
}

// Wait implements poller.Poller. Like the epoll backend it polls, yields,
// polls again and only then blocks: a goroutine blocked in a system call
// keeps its P until the runtime takes it back, and the workers the loop
// has just handed connections to would wait for it.
func (p *Poller) Wait(events []poller.Event, timeout time.Duration) (int, error) {
	if p.closed {
		return 0, poller.ErrClosed
	}
	if len(events) == 0 {
		return 0, nil
	}
	if p.ring == nil {
		if err := p.start(); err != nil {
			return 0, err
		}
	}
	if p.wakeReq.Swap(false) {
		timeout = 0
	}
	timeout = p.resumeAccepting(timeout)
	out := p.collect(events)
	if out == 0 && timeout != 0 {
		out, err := p.wait(events, timeout)
		if err != nil {
			return out, err
		}
		return out, p.flush()
	}
	return out, p.flush()
}

func (p *Poller) wait(events []poller.Event, timeout time.Duration) (int, error) {
	if err := p.enter(0, 0); err != nil {
		return 0, err
	}
	if out := p.collect(events); out > 0 {
		return out, nil
	}
	runtime.Gosched()
	if err := p.enter(0, 0); err != nil {
		return 0, err
	}
	if out := p.collect(events); out > 0 {
		return out, nil
	}
	p.sleeping.Store(true)
	var err error
	if !p.hasOps() && !p.wakeReq.Load() {
		err = p.enter(1, timeout)
	}
	p.sleeping.Store(false)
	p.wakeReq.Store(false)
	if err != nil {
		return 0, err
	}
	return p.collect(events), nil
}

// enter submits what is queued and runs completions, waiting for min of
// them for at most timeout (forever when negative).
func (p *Poller) enter(min uint32, timeout time.Duration) error {
	_, err := p.ring.enter(min, true, timeout)
	switch {
	case err == nil, errors.Is(err, unix.ETIME), errors.Is(err, unix.EINTR), errors.Is(err, unix.EBUSY), errors.Is(err, unix.EAGAIN):
		return nil
	}
	return fmt.Errorf("iouring: io_uring_enter: %w", err)
}

// flush submits entries prepared while collecting, and moves completions
// that overflowed the queue in.
func (p *Poller) flush() error {
	if p.ring.unsubmitted() == 0 && !p.ring.overflowed() {
		return nil
	}
	return p.enter(0, 0)
}

// collect runs the owners' requests and the completions already in the
// queue, filling events, without a system call (except those completions
// make: closing descriptors, shutdown).
func (p *Poller) collect(events []poller.Event) int {
	out := 0
	if len(p.carry) > 0 || p.hasOps() {
		out = p.runOps(events)
	}
	out += p.reap(events[out:])
	p.afterBatch()
	return out
}

// runOps applies the owners' requests; reports that do not fit in events
// wait for the next Wait (events nil drops them, for Close).
func (p *Poller) runOps(events []poller.Event) int {
	out := 0
	if len(p.carry) > 0 {
		todo := p.carry
		p.carry = nil
		out = p.apply(todo, events, out)
	}
	if !p.inline {
		p.opMu.Lock()
	}
	batch := p.ops
	p.ops = p.spare[:0]
	if !p.inline {
		p.opsLen.Store(0)
		p.opMu.Unlock()
	}
	out = p.apply(batch, events, out)
	clear(batch)
	p.spare = batch[:0]
	return out
}

func (p *Poller) apply(ops []op, events []poller.Event, out int) int {
	for _, o := range ops {
		c := o.c
		switch o.kind {
		case reqReport:
			if events == nil {
				continue
			}
			if out == len(events) {
				p.carry = append(p.carry, o)
				continue
			}
			if ev, ok := p.report(c, o.interest); ok {
				events[out] = ev
				out++
			}
		case reqSend:
			if !c.done {
				p.startSend(c)
			}
		case reqShutWr:
			if c.sendOn {
				c.shutWr = true
			} else if !c.done {
				_ = unix.Shutdown(int(c.fd), unix.SHUT_WR)
			}
		case reqClose:
			p.closeConn(c, o.interest)
		}
	}
	return out
}

// report builds the event for interest hit, for which the connection was
// just disarmed. EventReadable hands over the input received so far.
func (p *Poller) report(c *conn, hit poller.Interest) (poller.Event, bool) {
	s := c.state.Load()
	switch {
	case s&closedBit != 0 || c.closing:
		return poller.Event{}, false
	case s&failBit != 0:
		return poller.Event{Kind: poller.EventClosed, Conn: c, Err: c.failure()}, true
	case hit == poller.Writable:
		return poller.Event{Kind: poller.EventWritable, Conn: c}, true
	}
	ev := poller.Event{Kind: poller.EventReadable, Conn: c}
	if c.pending.size() > 0 {
		// lent is nil: the owner gave the last one back when it armed.
		c.lent, c.pending = c.pending, nil
		c.state.And(^uint32(dataBit))
		ev.Data = c.lent.b
		p.maybeRecv(c) // receiving may have stopped at MaxPendingInput
	}
	return ev, true
}

// reap handles the completions in the queue, at most one event each; with
// events nil it handles all of them and drops their events (for Close).
func (p *Poller) reap(events []poller.Event) int {
	out := 0
	var scratch poller.Event
	head, tail := p.ring.ready()
	for head != tail && (events == nil || out < len(events)) {
		e := *p.ring.at(head)
		head++
		ev := &scratch
		if events != nil {
			ev = &events[out]
		}
		if p.complete(&e, ev) && events != nil {
			out++
		}
	}
	p.ring.consume(head)
	p.bufs.publish()
	return out
}

// complete handles one completion and reports whether it filled ev.
func (p *Poller) complete(e *cqe, ev *poller.Event) bool {
	kind, fd, gen := decode(e.userData)
	switch kind {
	case udWake:
		p.wakeOn = false
		p.waker.Rearm()
		return false
	case udAccept:
		return p.onAccept(e, ev)
	}
	c := p.conns.Get(fd)
	if c == nil || c.gen != gen || c.done {
		// Nothing of a closed connection can still complete (its
		// descriptor closes after its last completion); the accept's
		// cancellation lands here too. A buffer still goes back.
		if e.flags&cqeFBuffer != 0 {
			p.bufs.add(uint16(e.flags >> cqeBufferShift))
		}
		return false
	}
	switch kind {
	case udRecv:
		return p.onRecv(c, e, ev)
	case udSend:
		return p.onSend(c, e, ev)
	case udCancel:
		c.inflight--
		p.maybeFinish(c)
	}
	return false
}

// afterBatch re-arms what a batch of completions ended: receives that ran
// out of buffers or stopped, the accept, the wake-up read; and closes
// connections whose close grace is over.
func (p *Poller) afterBatch() {
	if len(p.resubmit) > 0 {
		for i, c := range p.resubmit {
			p.maybeRecv(c)
			p.resubmit[i] = nil
		}
		p.resubmit = p.resubmit[:0]
	}
	if !p.acceptOn && !p.stopped && p.pausedUntil.IsZero() && p.lfd >= 0 {
		p.armAccept()
	}
	if !p.wakeOn && !p.closed {
		p.armWake()
	}
	if len(p.grace) > 0 {
		now := time.Now().UnixNano()
		kept := p.grace[:0]
		for _, g := range p.grace {
			c := g.c
			switch {
			case c.done || !c.sendOn:
			case !c.graced || now >= g.at:
				p.cancelAll(c)
			default:
				kept = append(kept, g)
			}
		}
		clear(p.grace[len(kept):])
		p.grace = kept
	}
}

// sqe returns a free submission entry, submitting what is queued to make
// room when the queue is full, or nil if the kernel takes nothing.
func (p *Poller) sqe() *sqe {
	for range 3 {
		if s := p.ring.get(); s != nil {
			return s
		}
		if _, err := p.ring.enter(0, true, 0); err != nil && !errors.Is(err, unix.EINTR) && !errors.Is(err, unix.EBUSY) && !errors.Is(err, unix.EAGAIN) {
			break
		}
	}
	p.log.Error("iouring: submission queue full")
	return nil
}

func (p *Poller) armWake() {
	s := p.sqe()
	if s == nil {
		return
	}
	s.opcode = opRead
	s.fd = int32(p.waker.FD())
	s.addr = uint64(uintptr(unsafe.Pointer(&p.wakeBuf[0])))
	s.len = uint32(len(p.wakeBuf))
	s.userData = ud(udWake, 0, 0)
	p.wakeOn = true
}

func (p *Poller) armAccept() {
	s := p.sqe()
	if s == nil {
		return
	}
	s.opcode = opAccept
	s.fd = int32(p.lfd)
	s.ioprio = acceptMultishot
	s.opFlags = unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC
	s.userData = ud(udAccept, 0, 0)
	p.acceptOn = true
}

// onAccept handles a multishot accept completion: a new connection, or an
// error that pauses accepting.
func (p *Poller) onAccept(e *cqe, ev *poller.Event) bool {
	if e.flags&cqeFMore == 0 {
		p.acceptOn = false
	}
	if e.res < 0 {
		err := unix.Errno(-e.res)
		if p.stopped || err == unix.ECANCELED {
			return false
		}
		switch fdconn.ClassifyAcceptError(err) {
		case fdconn.AcceptDone, fdconn.AcceptRetry:
		default:
			p.pauseAccepting(err)
		}
		return false
	}
	fd := int(e.res)
	if p.stopped || p.closed {
		_ = unix.Close(fd)
		return false
	}
	if fd > maxFD {
		_ = unix.Close(fd)
		p.log.Error("iouring: accepted descriptor too large to track", zap.Int("fd", fd))
		return false
	}
	_ = fdconn.SetNoDelay(fd)
	p.gen++
	c := &conn{p: p, fd: int32(fd), gen: p.gen}
	c.state.Store(uint32(poller.Readable)) // EventOpened: armed for reading
	p.conns.Put(fd, c)
	p.maybeRecv(c)
	*ev = poller.Event{Kind: poller.EventOpened, Conn: c}
	return true
}

// pauseAccepting stops accepting for acceptBackoff: with the descriptor
// table full the connection stays queued, and accepting again at once
// would spin.
func (p *Poller) pauseAccepting(err error) {
	if p.acceptOn {
		p.cancel(ud(udAccept, 0, 0), ud(udCancel, 0, 0))
	}
	now := time.Now()
	p.pausedUntil = now.Add(acceptBackoff)
	if now.Sub(p.lastLog) >= acceptLogEvery {
		p.lastLog = now
		p.log.Warn("iouring: accept failed; pausing accepts", zap.Error(err), zap.Duration("pause", acceptBackoff))
	}
}

// resumeAccepting re-arms the accept once a pause is over and returns the
// timeout shortened to end with the pause.
func (p *Poller) resumeAccepting(timeout time.Duration) time.Duration {
	if p.pausedUntil.IsZero() {
		return timeout
	}
	if left := time.Until(p.pausedUntil); left > 0 {
		if timeout < 0 || left < timeout {
			return left
		}
		return timeout
	}
	p.pausedUntil = time.Time{}
	if !p.acceptOn && !p.stopped && p.lfd >= 0 {
		p.armAccept()
	}
	return timeout
}

// maybeRecv starts a multishot receive on c unless one runs, the
// connection is ending, or its pending input is at the limit.
func (p *Poller) maybeRecv(c *conn) {
	if c.recvOn || c.closing || c.pending.size() >= p.cfg.MaxPendingInput {
		return
	}
	if c.state.Load()&(hupBit|failBit|closedBit) != 0 {
		return
	}
	s := p.sqe()
	if s == nil {
		p.resubmit = append(p.resubmit, c)
		return
	}
	s.opcode = opRecv
	s.fd = c.fd
	s.ioprio = recvMultishot
	s.flags = sqeBufferSelect
	s.bufGroup = bufGroup
	s.userData = ud(udRecv, int(c.fd), c.gen)
	c.recvOn, c.recvStop = true, false
	c.inflight++
}

// onRecv handles a receive completion: input (copied out of the provided
// buffer, which goes back to the ring at once), the peer's close, or an
// error.
func (p *Poller) onRecv(c *conn, e *cqe, ev *poller.Event) bool {
	more := e.flags&cqeFMore != 0
	if !more {
		c.recvOn = false
		c.inflight--
	}
	var set uint32
	if e.flags&cqeFBuffer != 0 {
		bid := uint16(e.flags >> cqeBufferShift)
		if e.res > 0 && !c.closing {
			c.pending = p.appendInput(c.pending, p.bufs.get(bid, int(e.res)))
			set = dataBit
		}
		p.bufs.add(bid)
	}
	switch {
	case e.res == 0:
		set |= hupBit
	case e.res < 0:
		switch errno := unix.Errno(-e.res); errno {
		case unix.ENOBUFS, unix.ECANCELED, unix.EINTR, unix.EAGAIN:
			// Out of buffers, stopped at the input limit, or cancelled
			// by the kernel: receive again when there is room.
		default:
			if !c.closing {
				c.fail(errRecv, errno)
				set |= failBit
			}
		}
	}
	if c.closing {
		p.maybeFinish(c)
		return false
	}
	if !more && set&(hupBit|failBit) == 0 {
		p.resubmit = append(p.resubmit, c)
	}
	if c.recvOn && !c.recvStop && c.pending.size() >= p.cfg.MaxPendingInput {
		// Stop receiving until the owner takes the input: TCP flow
		// control then holds the client back, as with epoll.
		p.cancel(ud(udRecv, int(c.fd), c.gen), ud(udCancel, int(c.fd), c.gen))
		c.recvStop = true
		c.inflight++
	}
	if set == 0 {
		return false
	}
	hit := loopSignal(&c.state, poller.Readable, set)
	if hit == 0 {
		return false
	}
	var ok bool
	*ev, ok = p.report(c, hit)
	return ok
}

// cancel submits a cancellation of the request with user_data target.
func (p *Poller) cancel(target, self uint64) {
	if s := p.sqe(); s != nil {
		s.opcode = opAsyncCancel
		s.addr = target
		s.userData = self
	}
}

// startSend submits a send of c's queued output.
func (p *Poller) startSend(c *conn) {
	s := p.sqe()
	if s == nil {
		c.fail(errQueueFull, 0)
		c.state.Or(failBit)
		p.sendDone(c)
		return
	}
	rest := c.out.b[c.out.off:]
	s.opcode = opSend
	s.fd = c.fd
	s.addr = uint64(uintptr(unsafe.Pointer(&rest[0])))
	s.len = uint32(len(rest))
	s.opFlags = unix.MSG_NOSIGNAL
	s.userData = ud(udSend, int(c.fd), c.gen)
	c.sendOn = true
	c.inflight++
}

// onSend handles a send completion: a partial send goes on from where it
// stopped; a finished one frees the buffer and reports EventWritable to an
// owner waiting for it.
func (p *Poller) onSend(c *conn, e *cqe, ev *poller.Event) bool {
	c.inflight--
	c.sendOn = false
	if e.res > 0 {
		c.out.off += int(e.res)
		if c.out.off < len(c.out.b) && c.state.Load()&failBit == 0 && !(c.closing && !c.graced) {
			p.startSend(c)
			return false
		}
	}
	var set uint32
	if e.res <= 0 && !c.closing {
		err := unix.Errno(-e.res)
		if e.res == 0 {
			err = unix.EPIPE
		}
		c.fail(errSend, err)
		set = failBit
	}
	if set == 0 && c.shutWr {
		_ = unix.Shutdown(int(c.fd), unix.SHUT_WR)
	}
	c.shutWr = false
	p.sendDone(c)
	if c.closing {
		p.cancelAll(c)
		p.maybeFinish(c)
		return false
	}
	hit := loopSignal(&c.state, poller.Writable, set)
	if hit == 0 {
		return false
	}
	var ok bool
	*ev, ok = p.report(c, hit)
	return ok
}

// sendDone frees the output buffer and hands writing back to the owner.
func (p *Poller) sendDone(c *conn) {
	p.putBuffer(c.out)
	c.out = nil
	c.state.And(^uint32(sendBit))
}

// closeConn is the loop's half of Close: output in flight may drain for
// CloseGrace (unless the owner was waiting for Writable, that is, gave up
// on the client), everything else is cancelled, and the descriptor closes
// once the last completion is in.
func (p *Poller) closeConn(c *conn, armed poller.Interest) {
	if c.closing {
		return
	}
	c.closing = true
	p.putBuffer(c.lent)
	p.putBuffer(c.pending)
	c.lent, c.pending = nil, nil
	if c.sendOn && armed&poller.Writable == 0 && c.state.Load()&failBit == 0 {
		c.graced = true
		p.grace = append(p.grace, graceEntry{c: c, at: time.Now().Add(p.cfg.CloseGrace).UnixNano()})
		if c.recvOn && !c.recvStop {
			p.cancel(ud(udRecv, int(c.fd), c.gen), ud(udCancel, int(c.fd), c.gen))
			c.recvStop = true
			c.inflight++
		}
		return
	}
	p.cancelAll(c)
	p.maybeFinish(c)
}

// cancelAll cancels every request in flight on c's descriptor.
func (p *Poller) cancelAll(c *conn) {
	if c.inflight == 0 || c.done {
		return
	}
	c.graced = false // no more grace
	s := p.sqe()
	if s == nil {
		return
	}
	s.opcode = opAsyncCancel
	s.fd = c.fd
	s.opFlags = cancelFD | cancelAll
	s.userData = ud(udCancel, int(c.fd), c.gen)
	c.inflight++
}

// maybeFinish closes the descriptor of a closing connection once nothing
// is in flight on it.
func (p *Poller) maybeFinish(c *conn) {
	if !c.closing || c.inflight > 0 || c.done {
		return
	}
	c.done = true
	if err := unix.Close(int(c.fd)); err != nil {
		p.log.Debug("iouring: closing a connection", zap.Error(err))
	}
	if p.conns.Get(int(c.fd)) == c {
		p.conns.Delete(int(c.fd))
	}
	if c.out != nil {
		p.putBuffer(c.out)
		c.out = nil
	}
}

// StopAccepting implements poller.Poller. shutdown(2) stops the listener at
// once (the multishot accept holds a reference to it, so closing the
// descriptor alone would not) and ends the accept.
func (p *Poller) StopAccepting() error {
	if p.lfd < 0 {
		return nil
	}
	p.stopped = true
	fd := p.lfd
	p.lfd = -1
	_ = unix.Shutdown(fd, unix.SHUT_RD)
	if err := unix.Close(fd); err != nil {
		return fmt.Errorf("iouring: close listener: %w", err)
	}
	return nil
}

// Close implements poller.Poller. It runs the owners' last requests,
// cancels what is still in flight, waits (briefly) for the kernel to give
// everything back, and releases the ring.
func (p *Poller) Close() error {
	if p.closed {
		return nil
	}
	err := p.StopAccepting()
	p.closed = true
	if p.ring != nil && p.bufs != nil {
		p.runOps(nil)
		p.conns.Each(func(_ int, c *conn) {
			if !c.closing {
				ownerClose(&c.state)
				p.closeConn(c, poller.Writable) // not closed by its owner: no grace
			}
			p.cancelAll(c)
		})
		if p.wakeOn {
			p.cancel(ud(udWake, 0, 0), ud(udCancel, 0, 0))
		}
		deadline := time.Now().Add(closeDrain)
		for p.busy() && time.Now().Before(deadline) {
			if eerr := p.enter(1, 20*time.Millisecond); eerr != nil {
				break
			}
			p.reap(nil)
		}
		p.conns.Each(func(fd int, c *conn) {
			if !c.done {
				_ = unix.Close(fd)
				c.done = true
			}
		})
	}
	if p.bufs != nil {
		if p.busy() {
			p.bufs = nil // the kernel may still write to them: leave them mapped
		} else {
			p.bufs.release(p.ring)
		}
	}
	if p.ring != nil {
		if cerr := p.ring.close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	if p.waker != nil {
		_ = p.waker.Close() // later kicks return ErrClosed
	}
	if p.locked {
		runtime.UnlockOSThread()
		p.locked = false
	}
	return err
}

// Draining implements poller.Drainer: connections closed with output in
// flight are still within their close grace, or owners' requests (a Close
// among them, say) wait for the next Wait.
func (p *Poller) Draining() bool {
	if p.hasOps() {
		return true
	}
	now := time.Now().UnixNano()
	for _, g := range p.grace {
		if c := g.c; !c.done && c.sendOn && c.graced && now < g.at {
			return true
		}
	}
	return false
}

// busy reports whether anything is still in flight, for Close.
func (p *Poller) busy() bool {
	if p.wakeOn || p.acceptOn {
		return true
	}
	busy := false
	p.conns.Each(func(_ int, c *conn) { busy = busy || !c.done })
	return busy
}
