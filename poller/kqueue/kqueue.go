//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package kqueue

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/poller/internal/fdconn"
)

// Name is the name this backend registers under.
const Name = "kqueue"

func init() {
	poller.MustRegister(poller.Backend{
		Name:     Name,
		Summary:  "kqueue, hand-written (EV_DISPATCH, EVFILT_USER wake-ups)",
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
	// batchSize is the most kernel events one Wait takes.
	batchSize = 256
)

// sys is this system's kqueue numbers; the constants it is built from come
// from the sys_*.go file for the system.
var sys = sysTable{
	filterRead:  unix.EVFILT_READ,
	filterWrite: unix.EVFILT_WRITE,
	filterUser:  evfiltUser,
	hasUser:     hasUserFilter,
	add:         unix.EV_ADD,
	enable:      unix.EV_ENABLE,
	disable:     unix.EV_DISABLE,
	del:         unix.EV_DELETE,
	clear:       unix.EV_CLEAR,
	rearm:       evRearm,
	oneshot:     evRearm == unix.EV_ONESHOT,
	eof:         unix.EV_EOF,
	errFlag:     unix.EV_ERROR,
	trigger:     noteTrigger,
}

// Poller is the kqueue implementation of poller.Poller.
type Poller struct {
	core
	log   *zap.Logger
	addr  net.Addr
	raw   []unix.Kevent_t
	batch []rawEvent
	conns fdconn.Table[fdconn.Conn]
	// ts is Wait's timeout, kept here so passing it to kevent does not
	// allocate.
	ts unix.Timespec
	// woken avoids a system call per Wake when a wake-up is already
	// pending.
	woken atomic.Bool
	// wakeMu keeps Close from closing the kqueue or the pipe under a Wake
	// that is using it (the descriptor number could be reused).
	wakeMu sync.RWMutex
	// bothMu is held by an Arm for both interests for its whole kevent
	// call, and taken by the loop before it cancels the second filter of
	// such an arming (see cancel).
	bothMu sync.Mutex
	kq     int
	// wakeW is the write end of the wake-up pipe, or -1.
	wakeW       int
	gen         uint32
	pausedUntil time.Time
	lastLog     time.Time
}

// Open creates the kqueue, the wake-up event (or pipe) and the listener.
func Open(o poller.Options) (*Poller, error) { return open(o, false) }

// open is Open; forcePipe makes it wake through a pipe even where
// EVFILT_USER exists, so tests can exercise the fallback anywhere.
func open(o poller.Options, forcePipe bool) (*Poller, error) {
	if o.Backend != nil {
		return nil, fmt.Errorf("kqueue: takes no backend settings, got %T", o.Backend)
	}
	kq, err := unix.Kqueue()
	if err != nil {
		return nil, fmt.Errorf("kqueue: %w", err)
	}
	// A kqueue is not inherited across fork, so there is no window for a
	// child to inherit it before close-on-exec is set.
	unix.CloseOnExec(kq)
	p := &Poller{
		core:  core{sys: &sys, wakeFD: -1, lfd: -1},
		log:   o.Log(),
		kq:    kq,
		wakeW: -1,
		raw:   make([]unix.Kevent_t, batchSize),
		batch: make([]rawEvent, batchSize),
	}
	p.wakeBy, err = chooseWake(sys.hasUser, forcePipe, func() error {
		return p.submit([]change{sys.userRegister()})
	})
	if err != nil {
		_ = p.Close()
		return nil, err
	}
	if p.wakeBy == wakePipe {
		if err := p.openWakePipe(); err != nil {
			_ = p.Close()
			return nil, err
		}
	}
	if p.lfd, p.addr, err = fdconn.Listen(o.Addr); err != nil {
		_ = p.Close()
		return nil, err
	}
	if err := p.submit([]change{sys.listenerChange(p.lfd, sys.add)}); err != nil {
		_ = p.Close()
		return nil, err
	}
	return p, nil
}

// openWakePipe creates the wake-up pipe and registers its read end.
func (p *Poller) openWakePipe() error {
	r, w, err := newPipe()
	if err != nil {
		return fmt.Errorf("wake-up pipe: %w", err)
	}
	p.wakeFD, p.wakeW = r, w
	return p.submit([]change{sys.pipeRegister(r)})
}

// submit applies up to two changes to the kqueue. With no room for events,
// kevent returns the first failed change's error itself and does not
// block, whatever the timeout.
func (p *Poller) submit(chs []change) error {
	var kevs [2]unix.Kevent_t
	if len(chs) > len(kevs) {
		return fmt.Errorf("kqueue: %d changes at once", len(chs))
	}
	for i := range chs {
		toKevent(&kevs[i], &chs[i])
	}
	for {
		_, err := unix.Kevent(p.kq, kevs[:len(chs)], nil, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("kevent(ident %d, %s): %w", chs[0].ident, sys.filterName(chs[0].filter), err)
		}
		return nil
	}
}

// toKevent copies a change into a kernel event.
func toKevent(k *unix.Kevent_t, ch *change) {
	unix.SetKevent(k, int(ch.ident), int(ch.filter), int(ch.flags))
	k.Fflags = ch.fflags
	setToken(k, ch.token)
}

// fromKevent widens a kernel event for the system-independent code.
func fromKevent(k *unix.Kevent_t) rawEvent {
	return rawEvent{
		ident:  uint64(k.Ident),
		filter: int32(k.Filter),
		flags:  uint32(k.Flags),
		fflags: k.Fflags,
		data:   int64(k.Data),
		token:  getToken(k),
	}
}

// Arm implements fdconn.Armer: it enables the asked filters with
// EV_DISPATCH (EV_ONESHOT on NetBSD) and the connection's token.
func (p *Poller) Arm(c *fdconn.Conn, i poller.Interest) error {
	var buf [2]change
	chs := sys.armChanges(buf[:0], c.FD(), c.Gen(), i)
	if len(chs) == 0 {
		return fmt.Errorf("kqueue: arm fd %d: no interest", c.FD())
	}
	if len(chs) > 1 {
		p.bothMu.Lock() // see cancel
		defer p.bothMu.Unlock()
	}
	return p.submit(chs)
}

// Addr implements poller.Poller.
func (p *Poller) Addr() net.Addr { return p.addr }

// Wake implements poller.Poller.
func (p *Poller) Wake() error {
	if !p.woken.CompareAndSwap(false, true) {
		return nil
	}
	p.wakeMu.RLock()
	defer p.wakeMu.RUnlock()
	if p.kq < 0 {
		return poller.ErrClosed
	}
	if p.wakeBy == wakeUser {
		return p.submit([]change{sys.userTrigger()})
	}
	one := [1]byte{1}
	for {
		_, err := unix.Write(p.wakeW, one[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil && err != unix.EAGAIN { // EAGAIN: the pipe is full of wake-ups
			return fmt.Errorf("wake-up pipe write: %w", err)
		}
		return nil
	}
}

// Wait implements poller.Poller.
func (p *Poller) Wait(events []poller.Event, timeout time.Duration) (int, error) {
	if p.kq < 0 {
		return 0, poller.ErrClosed
	}
	if len(events) == 0 {
		return 0, nil
	}
	timeout = p.resumeAccepting(timeout)
	raw := p.raw
	if len(events) < len(raw) {
		raw = raw[:len(events)]
	}
	var start time.Time
	if timeout != 0 {
		start = time.Now()
		// Before a wait that may block: forget closed connections.
		p.conns.PruneIfDue(start, (*fdconn.Conn).Closed)
	}
	for {
		ts := &p.ts
		if timeout < 0 {
			ts = nil
		} else {
			p.ts = unix.NsecToTimespec(int64(timeout))
		}
		n, err := unix.Kevent(p.kq, nil, raw, ts)
		if err == unix.EINTR {
			left, ok := retryTimeout(timeout, start, time.Now())
			if !ok {
				return 0, nil
			}
			timeout = left
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("kevent wait: %w", err)
		}
		batch := p.batch[:n]
		for i := range batch {
			batch[i] = fromKevent(&raw[i])
		}
		return p.translateBatch(batch, events, p), nil
	}
}

// lookup implements host.
func (p *Poller) lookup(fd int) owned {
	if c := p.conns.Get(fd); c != nil {
		return c
	}
	return nil
}

// cancel implements host. A filter that already reported in the same
// batch is gone under EV_ONESHOT (ENOENT), which is what was wanted.
//
// The kernel applies a change list one change at a time, each under the
// queue's lock on its own (FreeBSD's kqueue_kevent calls kqueue_register
// for each change; kevent(2) promises nothing more), so the loop's kevent
// can report the read filter of an arming for both while the worker's Arm
// has yet to register the write filter. Cancelled then, the write filter
// would be missing (ENOENT, ignored) or the previous arming's, and the Arm
// would go on to enable it: a second event for one arming, reported to a
// connection that has another owner by then, or the late change would hit
// a descriptor that owner has closed and accept has reused. So the loop
// takes bothMu, which that Arm holds for its whole kevent call, and
// cancels only once both filters are registered. Armings for one interest
// make a single change and take no lock.
func (p *Poller) cancel(fd int, filter int32) {
	p.bothMu.Lock()
	err := p.submit([]change{sys.cancelChange(fd, filter)})
	p.bothMu.Unlock()
	if err != nil && !errors.Is(err, unix.ENOENT) {
		p.log.Warn("kqueue: cancelling the second filter of an arming failed", zap.Error(err))
	}
}

// drainWake implements host.
func (p *Poller) drainWake() {
	if p.wakeBy == wakePipe {
		var buf [64]byte
		for {
			n, err := unix.Read(p.wakeFD, buf[:])
			if err == unix.EINTR {
				continue
			}
			if err != nil || n < len(buf) {
				break
			}
		}
	}
	p.woken.Store(false)
}

// accept implements host: it takes up to len(events) connections from the
// listener's queue and arms each for reading.
func (p *Poller) accept(events []poller.Event) int {
	n := 0
	for n < len(events) {
		fd, sa, err := fdconn.Accept(p.lfd)
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
		c := fdconn.New(fd, p.gen, sa, p)
		var buf [2]change
		if err := p.submit(sys.armChanges(buf[:0], fd, p.gen, poller.Readable)); err != nil {
			_ = unix.Close(fd)
			p.log.Warn("kqueue: registering an accepted connection failed", zap.Error(err))
			continue
		}
		p.conns.Put(fd, c)
		events[n] = poller.Event{Kind: poller.EventOpened, Conn: c}
		n++
	}
	return n
}

// pauseAccepting disables the listener for acceptBackoff: with the
// descriptor table full, the pending connection stays in the queue and the
// level-triggered listener would wake the loop again at once.
func (p *Poller) pauseAccepting(err error) {
	if p.pausedUntil.IsZero() {
		if derr := p.submit([]change{sys.listenerChange(p.lfd, sys.disable)}); derr != nil {
			p.log.Error("kqueue: pausing the listener failed", zap.Error(derr))
		}
	}
	now := time.Now()
	p.pausedUntil = now.Add(acceptBackoff)
	if now.Sub(p.lastLog) >= acceptLogEvery {
		p.lastLog = now
		p.log.Warn("kqueue: accept failed; pausing accepts", zap.Error(err), zap.Duration("pause", acceptBackoff))
	}
}

// resumeAccepting re-enables the listener once a pause is over and returns
// the timeout shortened to end with the pause.
func (p *Poller) resumeAccepting(timeout time.Duration) time.Duration {
	timeout, resume := acceptPause(p.pausedUntil, time.Now(), timeout)
	if !resume {
		return timeout
	}
	p.pausedUntil = time.Time{}
	if p.lfd >= 0 {
		if err := p.submit([]change{sys.listenerChange(p.lfd, sys.enable)}); err != nil {
			p.log.Error("kqueue: resuming the listener failed", zap.Error(err))
		}
	}
	return timeout
}

// StopAccepting implements poller.Poller. Closing the listener removes its
// filter from the kqueue.
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

// Close implements poller.Poller. It closes the listener, the wake-up pipe
// and the kqueue, each once; a second Close does nothing.
func (p *Poller) Close() error {
	p.woken.Store(true) // later Wakes return at once
	p.wakeMu.Lock()
	defer p.wakeMu.Unlock()
	err := p.StopAccepting()
	for _, fd := range [...]*int{&p.wakeFD, &p.wakeW, &p.kq} {
		if *fd >= 0 {
			if cerr := unix.Close(*fd); cerr != nil && err == nil {
				err = fmt.Errorf("close: %w", cerr)
			}
			*fd = -1
		}
	}
	return err
}
