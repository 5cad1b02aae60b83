package kqueue

// This file is the system-independent half of the backend: every decision
// the Poller makes about kernel events, over widened copies of struct kevent
// and a table of one system's kqueue numbers. It has no build constraint, so
// the tests run it on Linux, where there is no kqueue; the build-tagged files
// only make the system calls and copy fields in and out of unix.Kevent_t.

import (
	"errors"
	"fmt"
	"syscall"
	"time"
	"unsafe"

	"github.com/miniasync/miniasync/poller"
)

// sysTable holds one system's kqueue numbers, widened to types that every
// system's struct kevent fits in (filters are int16 on most systems and
// uint32 on NetBSD; flags uint16 or uint32).
type sysTable struct {
	// filterRead, filterWrite and filterUser are EVFILT_READ, EVFILT_WRITE
	// and EVFILT_USER.
	filterRead, filterWrite, filterUser int32
	// hasUser says the system's headers define EVFILT_USER and
	// NOTE_TRIGGER. The running kernel may still refuse the filter (see
	// chooseWake).
	hasUser bool
	// add, enable, disable, del and clear are EV_ADD, EV_ENABLE,
	// EV_DISABLE, EV_DELETE and EV_CLEAR.
	add, enable, disable, del, clear uint32
	// rearm is EV_DISPATCH, or EV_ONESHOT where oneshot is set.
	rearm uint32
	// oneshot says a filter that fired is deleted (EV_ONESHOT), not
	// disabled (EV_DISPATCH), so cancelling it means EV_DELETE.
	oneshot bool
	// eof and errFlag are EV_EOF and EV_ERROR.
	eof, errFlag uint32
	// trigger is NOTE_TRIGGER.
	trigger uint32
}

// noToken is the token of an event registered without one (the listener,
// the wake-up), and of a udata value that is not a token.
const noToken = ^uint64(0)

// rawEvent is one kernel event with its fields widened (see sysTable) and
// its udata decoded into a token.
type rawEvent struct {
	ident  uint64
	token  uint64
	data   int64
	filter int32
	flags  uint32
	fflags uint32
}

// change is one entry of a kevent change list, in the system's numbers.
type change struct {
	ident  uint64
	token  uint64
	filter int32
	flags  uint32
	fflags uint32
}

// Tokens. Each registration of a connection carries in its udata a token:
// the connection's generation (its low genBits bits) and whether it was
// armed for both readable and writable. The kernel returns the udata with
// every event, so the loop can drop an event that belongs to an earlier
// connection with the same descriptor number, and knows when one arming
// registered two filters that could each report.
//
// udata is a pointer (void *) in every struct kevent but NetBSD's, which
// declares it intptr_t. Go's collector scans pointer fields, so a token is
// not stored there as a made-up address: it is the address of byte number
// token in udataSpace, a variable nobody reads or writes. A pointer into a
// global is an ordinary Go pointer, whatever the kernel does with it, and
// the array holds no pointers, so it costs address space in the binary's
// zero-filled data, not memory.
const (
	// tokenBits is the width of a token: genBits of generation and one
	// bit for "armed for both".
	tokenBits = 20
	genBits   = tokenBits - 1
	genMask   = 1<<genBits - 1
	tokenBoth = 1
)

// udataSpace gives every token an address (see above).
var udataSpace [1 << tokenBits]byte

// makeToken returns the token of an arming of the connection with
// generation gen for interest i.
func makeToken(gen uint32, i poller.Interest) uint64 {
	t := uint64(gen&genMask) << 1
	if i&poller.Readable != 0 && i&poller.Writable != 0 {
		t |= tokenBoth
	}
	return t
}

// tokenMatches reports whether token t belongs to the connection with
// generation gen.
func tokenMatches(t uint64, gen uint32) bool {
	return t != noToken && uint32(t>>1) == gen&genMask
}

// tokenArmedBoth reports whether token t comes from an arming for both
// readable and writable.
func tokenArmedBoth(t uint64) bool { return t != noToken && t&tokenBoth != 0 }

// tokenPointer returns the udata pointer for token t (nil for noToken).
func tokenPointer(t uint64) *byte {
	if t >= uint64(len(udataSpace)) {
		return nil
	}
	return &udataSpace[t]
}

// pointerToken is the inverse of tokenPointer: noToken for nil or a pointer
// outside udataSpace.
func pointerToken(p *byte) uint64 {
	if p == nil {
		return noToken
	}
	off := uintptr(unsafe.Pointer(p)) - uintptr(unsafe.Pointer(&udataSpace[0]))
	if off >= uintptr(len(udataSpace)) {
		return noToken
	}
	return uint64(off)
}

// setUdata stores token t in a udata declared intptr_t (NetBSD): int64 in
// x/sys/unix's Kevent_t on 64-bit systems, int32 on 386 and arm. Tokens fit
// in tokenBits; noToken (all ones) becomes -1.
func setUdata[T int32 | int64](u *T, t uint64) { *u = T(t) }

// udataToken is the inverse of setUdata. It sign-extends, so that -1 of
// either width is noToken again.
func udataToken[T int32 | int64](u T) uint64 { return uint64(int64(u)) }

// armChanges appends to dst the changes that arm descriptor fd of the
// connection with generation gen for interest i: each asked filter is added
// (or updated, with the new token) and enabled, to report once. The other
// filter is left as it is, which is disabled (or deleted): a filter stops
// after it reports, and the loop cancels the second filter of an arming for
// both when the first reports.
func (s *sysTable) armChanges(dst []change, fd int, gen uint32, i poller.Interest) []change {
	t := makeToken(gen, i)
	flags := s.add | s.enable | s.rearm
	if i&poller.Readable != 0 {
		dst = append(dst, change{ident: uint64(fd), filter: s.filterRead, flags: flags, token: t})
	}
	if i&poller.Writable != 0 {
		dst = append(dst, change{ident: uint64(fd), filter: s.filterWrite, flags: flags, token: t})
	}
	return dst
}

// cancelChange stops a connection filter that has not reported yet.
func (s *sysTable) cancelChange(fd int, filter int32) change {
	flags := s.disable
	if s.oneshot {
		flags = s.del
	}
	return change{ident: uint64(fd), filter: filter, flags: flags, token: noToken}
}

// listenerChange registers (s.add), pauses (s.disable) or resumes
// (s.enable) the listener. It is level-triggered: it reports while the
// accept queue is not empty.
func (s *sysTable) listenerChange(lfd int, flags uint32) change {
	return change{ident: uint64(lfd), filter: s.filterRead, flags: flags, token: noToken}
}

// userIdent is the identifier of the EVFILT_USER wake-up event. User events
// have their own namespace, so it cannot clash with descriptor 0.
const userIdent = 0

// userRegister registers the EVFILT_USER wake-up event. EV_CLEAR resets it
// once reported, so one Wait consumes any number of triggers.
func (s *sysTable) userRegister() change {
	return change{ident: userIdent, filter: s.filterUser, flags: s.add | s.clear, token: noToken}
}

// userTrigger fires the wake-up event.
func (s *sysTable) userTrigger() change {
	return change{ident: userIdent, filter: s.filterUser, fflags: s.trigger, token: noToken}
}

// pipeRegister registers the read end of the wake-up pipe, level-triggered.
func (s *sysTable) pipeRegister(fd int) change {
	return change{ident: uint64(fd), filter: s.filterRead, flags: s.add, token: noToken}
}

// filterName names a filter for error messages.
func (s *sysTable) filterName(f int32) string {
	switch {
	case f == s.filterRead:
		return "EVFILT_READ"
	case f == s.filterWrite:
		return "EVFILT_WRITE"
	case s.hasUser && f == s.filterUser:
		return "EVFILT_USER"
	}
	return fmt.Sprintf("filter %d", f)
}

// errnoError wraps an error number the kernel put in an event. Its type is
// syscall.Errno, which unix.Errno aliases, so callers can test it with
// errors.Is(err, unix.ECONNRESET).
func errnoError(what string, n int64) error {
	if n == 0 {
		return fmt.Errorf("%s: %w", what, errNoCause)
	}
	return fmt.Errorf("%s: %w", what, syscall.Errno(n))
}

// errNoCause is the cause of an error event that carried no error number.
var errNoCause = errors.New("kqueue: error event without an error number")

// translate turns a kernel event for connection c into the event its owner
// acts on:
//
//   - EV_ERROR: the registration failed; data holds the error number.
//     EventClosed with that cause.
//   - EV_EOF with a non-zero fflags: the socket failed (a reset, say);
//     fflags holds its error. EventClosed with that cause.
//   - EVFILT_READ, with or without EV_EOF: EventReadable. After the peer's
//     orderly close (EV_EOF alone) Read returns the buffered input and then
//     io.EOF, as on epoll.
//   - EVFILT_WRITE: EventWritable, also with EV_EOF alone (our side can no
//     longer send); Write then reports the error.
func (s *sysTable) translate(e *rawEvent, c poller.Conn) poller.Event {
	switch {
	case e.flags&s.errFlag != 0:
		return poller.Event{Kind: poller.EventClosed, Conn: c, Err: errnoError("kevent "+s.filterName(e.filter), e.data)}
	case e.flags&s.eof != 0 && e.fflags != 0:
		return poller.Event{Kind: poller.EventClosed, Conn: c, Err: errnoError("socket error", int64(e.fflags))}
	case e.filter == s.filterRead:
		return poller.Event{Kind: poller.EventReadable, Conn: c}
	default:
		return poller.Event{Kind: poller.EventWritable, Conn: c}
	}
}

// wakeMode says how Wake reaches a waiting kevent.
type wakeMode uint8

const (
	// wakeUser triggers an EVFILT_USER event.
	wakeUser wakeMode = iota + 1
	// wakePipe writes a byte to a non-blocking pipe whose read end is
	// registered with EVFILT_READ.
	wakePipe
)

// String names the mode.
func (m wakeMode) String() string {
	switch m {
	case wakeUser:
		return "EVFILT_USER"
	case wakePipe:
		return "pipe"
	}
	return "none"
}

// chooseWake decides the wake-up mechanism. EVFILT_USER where the system
// headers define it and the running kernel accepts it (probe registers it);
// a pipe where the headers lack it (OpenBSD), where the kernel refuses it
// with EINVAL (a NetBSD before 10, whose kernel has no such filter), or when
// a test forces the pipe. Any other failure of probe is an error.
func chooseWake(hasUser, forcePipe bool, probe func() error) (wakeMode, error) {
	if !hasUser || forcePipe {
		return wakePipe, nil
	}
	err := probe()
	switch {
	case err == nil:
		return wakeUser, nil
	case errors.Is(err, syscall.EINVAL):
		return wakePipe, nil
	}
	return 0, fmt.Errorf("register the EVFILT_USER wake-up: %w", err)
}

// retryTimeout returns the timeout left of a wait for d that started at
// start and was interrupted (EINTR) at now, and false when none is left. A
// negative d (no limit) stays as it is.
func retryTimeout(d time.Duration, start, now time.Time) (time.Duration, bool) {
	if d < 0 {
		return d, true
	}
	left := d - now.Sub(start)
	if left <= 0 {
		return 0, false
	}
	return left, true
}

// acceptPause returns the timeout Wait uses while accepting may be paused
// (after EMFILE and the like, until pausedUntil; zero means not paused),
// and whether the pause is over so the listener must be resumed. A resumed
// listener is polled at once (timeout 0), so queued connections are taken
// promptly.
func acceptPause(pausedUntil, now time.Time, timeout time.Duration) (time.Duration, bool) {
	if pausedUntil.IsZero() {
		return timeout, false
	}
	if left := pausedUntil.Sub(now); left > 0 {
		if timeout < 0 || left < timeout {
			return left, false
		}
		return timeout, false
	}
	return 0, true
}

// owned is what the loop needs of a connection; *fdconn.Conn provides it.
type owned interface {
	poller.Conn
	// Gen returns the connection's generation.
	Gen() uint32
	// Closed reports whether its owner closed it.
	Closed() bool
}

// host is the part of the Poller that makes system calls, as the loop's
// translation sees it.
type host interface {
	// lookup returns the connection registered under descriptor fd, or
	// nil.
	lookup(fd int) owned
	// accept accepts up to len(events) connections and reports them as
	// EventOpened.
	accept(events []poller.Event) int
	// drainWake consumes a wake-up.
	drainWake()
	// cancel stops filter on fd: the second filter of an arming for both,
	// after the first reported.
	cancel(fd int, filter int32)
}

// core is the Poller's system-independent state: which identifiers are the
// listener and the wake-up.
type core struct {
	sys *sysTable
	// wakeBy is the wake-up mechanism.
	wakeBy wakeMode
	// wakeFD is the read end of the wake-up pipe, or -1.
	wakeFD int
	// lfd is the listener, or -1 after StopAccepting.
	lfd int
}

// eventClass says what a kernel event is about.
type eventClass uint8

const (
	classIgnore eventClass = iota
	classWake
	classListener
	classConn
)

// classify tells the wake-up, the listener and connections apart.
func (c *core) classify(e *rawEvent) eventClass {
	s := c.sys
	switch {
	case s.hasUser && e.filter == s.filterUser:
		if c.wakeBy == wakeUser && e.ident == userIdent {
			return classWake
		}
		return classIgnore
	case e.filter != s.filterRead && e.filter != s.filterWrite:
		return classIgnore
	case c.wakeBy == wakePipe && c.wakeFD >= 0 && e.ident == uint64(c.wakeFD):
		return classWake
	case c.lfd >= 0 && e.ident == uint64(c.lfd):
		return classListener
	}
	return classConn
}

// translateBatch turns one batch of kernel events into poller events in
// events (len(raw) <= len(events)), accepting new connections, consuming
// wake-ups, and dropping events whose connection is gone: no connection
// under the descriptor, a closed one, or one of another generation (the
// descriptor was closed and reused). Of an arming for both readable and
// writable it delivers only the first event and cancels the other filter,
// so every arming reports once.
func (c *core) translateBatch(raw []rawEvent, events []poller.Event, h host) int {
	out := 0
	for i := range raw {
		e := &raw[i]
		switch c.classify(e) {
		case classWake:
			h.drainWake()
		case classListener:
			// Leave room for the events still to translate in this batch.
			out += h.accept(events[out : len(events)-(len(raw)-1-i)])
		case classConn:
			conn := h.lookup(int(e.ident))
			if conn == nil || conn.Closed() || !tokenMatches(e.token, conn.Gen()) {
				continue // stale: the connection is gone
			}
			if tokenArmedBoth(e.token) {
				if deliveredTo(events[:out], conn) {
					continue // the other filter of the same arming
				}
				other := c.sys.filterWrite
				if e.filter == c.sys.filterWrite {
					other = c.sys.filterRead
				}
				h.cancel(int(e.ident), other)
			}
			events[out] = c.sys.translate(e, conn)
			out++
		}
	}
	return out
}

// deliveredTo reports whether events already holds an event for conn.
func deliveredTo(events []poller.Event, conn poller.Conn) bool {
	for i := range events {
		if events[i].Conn == conn {
			return true
		}
	}
	return false
}
