package kqueue

// These tests run everywhere, Linux included: they exercise the
// system-independent half of the backend against the kqueue numbers of each
// system, written out from the systems' <sys/event.h> (the build-tagged
// tests add the numbers of the system they run on, taken from x/sys/unix).

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/miniasync/miniasync/poller"
)

type namedTable struct {
	name string
	sys  sysTable
}

// tables are the systems the tests run the core against.
var tables = []namedTable{
	{"darwin", sysTable{
		filterRead: -1, filterWrite: -2, filterUser: -10, hasUser: true,
		add: 0x1, enable: 0x4, disable: 0x8, del: 0x2, clear: 0x20, rearm: 0x80,
		eof: 0x8000, errFlag: 0x4000, trigger: 0x01000000,
	}},
	{"freebsd", sysTable{
		filterRead: -1, filterWrite: -2, filterUser: -11, hasUser: true,
		add: 0x1, enable: 0x4, disable: 0x8, del: 0x2, clear: 0x20, rearm: 0x80,
		eof: 0x8000, errFlag: 0x4000, trigger: 0x01000000,
	}},
	{"openbsd", sysTable{
		filterRead: -1, filterWrite: -2,
		add: 0x1, enable: 0x4, disable: 0x8, del: 0x2, clear: 0x20, rearm: 0x80,
		eof: 0x8000, errFlag: 0x4000,
	}},
	{"netbsd", sysTable{
		filterRead: 0, filterWrite: 1, filterUser: 8, hasUser: true,
		add: 0x1, enable: 0x4, disable: 0x8, del: 0x2, clear: 0x20, rearm: 0x10, oneshot: true,
		eof: 0x8000, errFlag: 0x4000, trigger: 0x01000000,
	}},
}

// forEachTable runs f as a subtest for every system's numbers.
func forEachTable(t *testing.T, f func(t *testing.T, s *sysTable)) {
	for _, nt := range tables {
		s := nt.sys
		t.Run(nt.name, func(t *testing.T) { f(t, &s) })
	}
}

func TestTokens(t *testing.T) {
	for _, tc := range []struct {
		gen  uint32
		i    poller.Interest
		both bool
	}{
		{1, poller.Readable, false},
		{2, poller.Writable, false},
		{3, poller.Readable | poller.Writable, true},
		{genMask, poller.Readable, false},
		{genMask + 1, poller.Readable, false}, // wraps to generation 0
		{^uint32(0), poller.Readable | poller.Writable, true},
	} {
		tok := makeToken(tc.gen, tc.i)
		if tok >= uint64(len(udataSpace)) {
			t.Fatalf("gen %d: token %d outside udataSpace", tc.gen, tok)
		}
		if !tokenMatches(tok, tc.gen) || tokenMatches(tok, tc.gen+1) || tokenMatches(tok, tc.gen-1) {
			t.Errorf("gen %d: token %d matches the wrong generations", tc.gen, tok)
		}
		if tokenArmedBoth(tok) != tc.both {
			t.Errorf("gen %d %v: armed for both = %v", tc.gen, tc.i, !tc.both)
		}
		if back := pointerToken(tokenPointer(tok)); back != tok {
			t.Errorf("gen %d: token %d came back from its pointer as %d", tc.gen, tok, back)
		}
	}
	var elsewhere byte
	for name, p := range map[string]*byte{"nil": nil, "another variable": &elsewhere} {
		if tok := pointerToken(p); tok != noToken {
			t.Errorf("%s: decoded as token %d", name, tok)
		}
	}
	if tokenPointer(noToken) != nil || tokenMatches(noToken, genMask) || tokenArmedBoth(noToken) {
		t.Error("noToken is treated as a token")
	}
}

func TestArmChanges(t *testing.T) {
	forEachTable(t, func(t *testing.T, s *sysTable) {
		want := s.add | s.enable | 0x80 // EV_DISPATCH
		if s.oneshot {
			want = s.add | s.enable | 0x10 // EV_ONESHOT
		}
		for _, tc := range []struct {
			i       poller.Interest
			filters []int32
		}{
			{poller.Readable, []int32{s.filterRead}},
			{poller.Writable, []int32{s.filterWrite}},
			{poller.Readable | poller.Writable, []int32{s.filterRead, s.filterWrite}},
			{0, nil},
		} {
			var buf [2]change
			chs := s.armChanges(buf[:0], 42, 7, tc.i)
			if len(chs) != len(tc.filters) {
				t.Fatalf("%v: %d changes, want %d", tc.i, len(chs), len(tc.filters))
			}
			for k, ch := range chs {
				if ch.ident != 42 || ch.filter != tc.filters[k] || ch.flags != want || ch.fflags != 0 {
					t.Errorf("%v: change %+v, want ident 42, filter %d, flags %#x", tc.i, ch, tc.filters[k], want)
				}
				if ch.token != makeToken(7, tc.i) {
					t.Errorf("%v: token %d, want %d", tc.i, ch.token, makeToken(7, tc.i))
				}
			}
		}
	})
}

func TestFixedChanges(t *testing.T) {
	forEachTable(t, func(t *testing.T, s *sysTable) {
		cancel := s.cancelChange(9, s.filterWrite)
		wantCancel := s.disable
		if s.oneshot {
			wantCancel = s.del
		}
		if cancel.ident != 9 || cancel.filter != s.filterWrite || cancel.flags != wantCancel {
			t.Errorf("cancel: %+v, want flags %#x", cancel, wantCancel)
		}
		for _, flags := range []uint32{s.add, s.disable, s.enable} {
			if ch := s.listenerChange(3, flags); ch.ident != 3 || ch.filter != s.filterRead || ch.flags != flags || ch.token != noToken {
				t.Errorf("listener change: %+v", ch)
			}
		}
		if ch := s.pipeRegister(5); ch.ident != 5 || ch.filter != s.filterRead || ch.flags != s.add {
			t.Errorf("pipe registration: %+v", ch)
		}
		if !s.hasUser {
			return
		}
		if ch := s.userRegister(); ch.filter != s.filterUser || ch.flags != s.add|s.clear || ch.fflags != 0 {
			t.Errorf("user registration: %+v", ch)
		}
		if ch := s.userTrigger(); ch.filter != s.filterUser || ch.flags != 0 || ch.fflags != 0x01000000 || ch.ident != userIdent {
			t.Errorf("user trigger: %+v", ch)
		}
	})
}

// fakeConn is a connection as the loop core sees it.
type fakeConn struct {
	poller.Conn
	gen    uint32
	closed bool
}

func (c *fakeConn) Gen() uint32  { return c.gen }
func (c *fakeConn) Closed() bool { return c.closed }

func TestTranslate(t *testing.T) {
	forEachTable(t, func(t *testing.T, s *sysTable) {
		c := &fakeConn{gen: 1}
		for _, tc := range []struct {
			name   string
			ev     rawEvent
			kind   poller.EventKind
			target error // what errors.Is must find in Err; nil: Err must be nil
		}{
			{"input", rawEvent{filter: s.filterRead, data: 5}, poller.EventReadable, nil},
			{"orderly close", rawEvent{filter: s.filterRead, flags: s.eof}, poller.EventReadable, nil},
			{"reset", rawEvent{filter: s.filterRead, flags: s.eof, fflags: uint32(syscall.ECONNRESET)}, poller.EventClosed, syscall.ECONNRESET},
			{"writable", rawEvent{filter: s.filterWrite, data: 1 << 16}, poller.EventWritable, nil},
			{"cannot send more", rawEvent{filter: s.filterWrite, flags: s.eof}, poller.EventWritable, nil},
			{"write side reset", rawEvent{filter: s.filterWrite, flags: s.eof, fflags: uint32(syscall.EPIPE)}, poller.EventClosed, syscall.EPIPE},
			{"EV_ERROR", rawEvent{filter: s.filterRead, flags: s.errFlag, data: int64(syscall.EBADF)}, poller.EventClosed, syscall.EBADF},
			{"EV_ERROR on write", rawEvent{filter: s.filterWrite, flags: s.errFlag | s.eof, data: int64(syscall.ENOENT)}, poller.EventClosed, syscall.ENOENT},
			{"EV_ERROR without errno", rawEvent{filter: s.filterRead, flags: s.errFlag}, poller.EventClosed, errNoCause},
		} {
			ev := s.translate(&tc.ev, c)
			if ev.Kind != tc.kind || ev.Conn != poller.Conn(c) || ev.Data != nil {
				t.Errorf("%s: %v event for %v, want %v", tc.name, ev.Kind, ev.Conn, tc.kind)
			}
			switch {
			case tc.target == nil && ev.Err != nil:
				t.Errorf("%s: unexpected cause %v", tc.name, ev.Err)
			case tc.target != nil && !errors.Is(ev.Err, tc.target):
				t.Errorf("%s: cause %v, want one wrapping %v", tc.name, ev.Err, tc.target)
			}
		}
	})
}

func TestClassify(t *testing.T) {
	forEachTable(t, func(t *testing.T, s *sysTable) {
		const timer = -7 // EVFILT_TIMER on most systems; no filter we use
		for _, mode := range []wakeMode{wakeUser, wakePipe} {
			if mode == wakeUser && !s.hasUser {
				continue
			}
			c := core{sys: s, wakeBy: mode, wakeFD: -1, lfd: 3}
			if mode == wakePipe {
				c.wakeFD = 4
			}
			for _, tc := range []struct {
				ev   rawEvent
				want eventClass
			}{
				{rawEvent{ident: 3, filter: s.filterRead}, classListener},
				{rawEvent{ident: 5, filter: s.filterRead}, classConn},
				{rawEvent{ident: 5, filter: s.filterWrite}, classConn},
				{rawEvent{ident: 4, filter: s.filterRead}, map[wakeMode]eventClass{wakeUser: classConn, wakePipe: classWake}[mode]},
				{rawEvent{ident: userIdent, filter: s.filterUser}, map[wakeMode]eventClass{wakeUser: classWake, wakePipe: classIgnore}[mode]},
				{rawEvent{ident: 5, filter: timer}, classIgnore},
			} {
				if !s.hasUser && tc.ev.filter == s.filterUser {
					continue
				}
				if got := c.classify(&tc.ev); got != tc.want {
					t.Errorf("%v wake-ups: %+v classified %d, want %d", mode, tc.ev, got, tc.want)
				}
			}
			c.lfd = -1 // after StopAccepting
			if got := c.classify(&rawEvent{ident: 3, filter: s.filterRead}); got != classConn {
				t.Errorf("descriptor 3 after StopAccepting classified %d, want a connection", got)
			}
		}
	})
}

// fakeHost records what the loop core asks of the system half.
type fakeHost struct {
	conns     map[int]*fakeConn
	pending   int   // connections waiting to be accepted
	room      []int // len(events) of each accept call
	wakes     int
	cancelled []change
}

func (h *fakeHost) lookup(fd int) owned {
	if c, ok := h.conns[fd]; ok {
		return c
	}
	return nil
}

func (h *fakeHost) accept(events []poller.Event) int {
	h.room = append(h.room, len(events))
	n := min(h.pending, len(events))
	for i := range n {
		events[i] = poller.Event{Kind: poller.EventOpened, Conn: &fakeConn{gen: 100}}
	}
	h.pending -= n
	return n
}

func (h *fakeHost) drainWake() { h.wakes++ }

func (h *fakeHost) cancel(fd int, filter int32) {
	h.cancelled = append(h.cancelled, change{ident: uint64(fd), filter: filter})
}

func TestTranslateBatch(t *testing.T) {
	forEachTable(t, func(t *testing.T, s *sysTable) {
		live := &fakeConn{gen: 7}
		closed := &fakeConn{gen: 8, closed: true}
		both := &fakeConn{gen: 9}
		h := &fakeHost{conns: map[int]*fakeConn{10: live, 11: closed, 12: both}, pending: 3}
		c := core{sys: s, wakeBy: wakePipe, wakeFD: 4, lfd: 3}
		read := func(fd int, gen uint32, i poller.Interest) rawEvent {
			return rawEvent{ident: uint64(fd), filter: s.filterRead, token: makeToken(gen, i)}
		}
		write := func(fd int, gen uint32, i poller.Interest) rawEvent {
			return rawEvent{ident: uint64(fd), filter: s.filterWrite, token: makeToken(gen, i)}
		}
		raw := []rawEvent{
			read(10, 6, poller.Readable),                      // an earlier connection on descriptor 10: stale
			read(11, 8, poller.Readable),                      // closed by its owner: stale
			read(13, 1, poller.Readable),                      // nothing registered under 13
			{ident: 10, filter: s.filterRead, token: noToken}, // no token at all
			{ident: 4, filter: s.filterRead},                  // the wake-up pipe
			read(12, 9, poller.Readable|poller.Writable),
			write(12, 9, poller.Readable|poller.Writable), // same arming: dropped
			write(10, 7, poller.Writable),
			{ident: 3, filter: s.filterRead}, // the listener, with 2 more events to come
			read(10, 7, poller.Readable),     // not in one real batch with the above; the core does not care
			{ident: 4, filter: s.filterRead},
		}
		events := make([]poller.Event, len(raw))
		n := c.translateBatch(raw, events, h)
		want := []struct {
			conn poller.Conn
			kind poller.EventKind
		}{
			{both, poller.EventReadable},
			{live, poller.EventWritable},
			{nil, poller.EventOpened},
			{nil, poller.EventOpened},
			{nil, poller.EventOpened},
			{live, poller.EventReadable},
		}
		if n != len(want) {
			t.Fatalf("%d events, want %d: %+v", n, len(want), events[:n])
		}
		for i, w := range want {
			if events[i].Kind != w.kind || (w.conn != nil && events[i].Conn != w.conn) {
				t.Errorf("event %d: %v for %v, want %v for %v", i, events[i].Kind, events[i].Conn, w.kind, w.conn)
			}
		}
		// The listener event was the 9th of 11: two slots stay reserved.
		if len(h.room) != 1 || h.room[0] != len(events)-2-2 {
			t.Errorf("accept was given room %v, want [%d]", h.room, len(events)-4)
		}
		if h.wakes != 2 {
			t.Errorf("%d wake-ups drained, want 2", h.wakes)
		}
		if len(h.cancelled) != 1 || h.cancelled[0].ident != 12 || h.cancelled[0].filter != s.filterWrite {
			t.Errorf("cancelled %+v, want the write filter of descriptor 12", h.cancelled)
		}

		// The other order: the write filter of an arming for both reports
		// first, alone in its batch; the read filter is cancelled.
		h.cancelled = nil
		if n := c.translateBatch([]rawEvent{write(12, 9, poller.Readable|poller.Writable)}, events, h); n != 1 || events[0].Kind != poller.EventWritable {
			t.Fatalf("write of an arming for both: %d events (%v)", n, events[0].Kind)
		}
		if len(h.cancelled) != 1 || h.cancelled[0].filter != s.filterRead {
			t.Errorf("cancelled %+v, want the read filter", h.cancelled)
		}
	})
}

func TestTranslateBatchUserWake(t *testing.T) {
	forEachTable(t, func(t *testing.T, s *sysTable) {
		if !s.hasUser {
			t.Skip("no EVFILT_USER")
		}
		h := &fakeHost{conns: map[int]*fakeConn{0: {gen: 1}}}
		c := core{sys: s, wakeBy: wakeUser, wakeFD: -1, lfd: 3}
		// The user event has identifier 0, like a connection on
		// descriptor 0; the filter tells them apart.
		raw := []rawEvent{
			{ident: userIdent, filter: s.filterUser, fflags: s.trigger},
			{ident: 0, filter: s.filterRead, token: makeToken(1, poller.Readable)},
		}
		events := make([]poller.Event, 2)
		if n := c.translateBatch(raw, events, h); n != 1 || events[0].Kind != poller.EventReadable || h.wakes != 1 {
			t.Fatalf("%d events, %d wake-ups; want one readable event and one wake-up", n, h.wakes)
		}
	})
}

func TestChooseWake(t *testing.T) {
	refused := fmt.Errorf("kevent: %w", syscall.EINVAL)
	broken := fmt.Errorf("kevent: %w", syscall.EBADF)
	for _, tc := range []struct {
		name      string
		hasUser   bool
		forcePipe bool
		probe     error
		want      wakeMode
		wantErr   bool
		probed    bool
	}{
		{"EVFILT_USER works", true, false, nil, wakeUser, false, true},
		{"no EVFILT_USER in the headers", false, false, nil, wakePipe, false, false},
		{"pipe forced", true, true, nil, wakePipe, false, false},
		{"kernel refuses the filter", true, false, refused, wakePipe, false, true},
		{"registration fails otherwise", true, false, broken, 0, true, true},
	} {
		probed := false
		got, err := chooseWake(tc.hasUser, tc.forcePipe, func() error { probed = true; return tc.probe })
		if got != tc.want || (err != nil) != tc.wantErr || probed != tc.probed {
			t.Errorf("%s: %v, %v (probed %v); want %v, error %v, probed %v", tc.name, got, err, probed, tc.want, tc.wantErr, tc.probed)
		}
		if tc.wantErr && !errors.Is(err, syscall.EBADF) {
			t.Errorf("%s: error %v does not wrap the cause", tc.name, err)
		}
	}
	if wakeUser.String() != "EVFILT_USER" || wakePipe.String() != "pipe" || wakeMode(0).String() != "none" {
		t.Error("wakeMode names")
	}
}

func TestRetryTimeout(t *testing.T) {
	start := time.Unix(1000, 0)
	for _, tc := range []struct {
		d, elapsed time.Duration
		want       time.Duration
		ok         bool
	}{
		{-1, time.Hour, -1, true}, // no limit stays no limit
		{time.Second, 300 * time.Millisecond, 700 * time.Millisecond, true},
		{time.Second, time.Second, 0, false},
		{time.Second, 2 * time.Second, 0, false},
		{0, 0, 0, false},
	} {
		got, ok := retryTimeout(tc.d, start, start.Add(tc.elapsed))
		if got != tc.want || ok != tc.ok {
			t.Errorf("retryTimeout(%v after %v) = %v, %v; want %v, %v", tc.d, tc.elapsed, got, ok, tc.want, tc.ok)
		}
	}
}

func TestAcceptPause(t *testing.T) {
	now := time.Unix(1000, 0)
	for _, tc := range []struct {
		name        string
		pausedUntil time.Time
		timeout     time.Duration
		want        time.Duration
		resume      bool
	}{
		{"not paused", time.Time{}, time.Second, time.Second, false},
		{"not paused, no limit", time.Time{}, -1, -1, false},
		{"paused, no limit", now.Add(50 * time.Millisecond), -1, 50 * time.Millisecond, false},
		{"paused, longer timeout", now.Add(50 * time.Millisecond), time.Second, 50 * time.Millisecond, false},
		{"paused, shorter timeout", now.Add(50 * time.Millisecond), 10 * time.Millisecond, 10 * time.Millisecond, false},
		{"pause over", now.Add(-time.Millisecond), time.Second, 0, true},
	} {
		got, resume := acceptPause(tc.pausedUntil, now, tc.timeout)
		if got != tc.want || resume != tc.resume {
			t.Errorf("%s: %v, resume %v; want %v, %v", tc.name, got, resume, tc.want, tc.resume)
		}
	}
}

func TestFilterName(t *testing.T) {
	forEachTable(t, func(t *testing.T, s *sysTable) {
		if s.filterName(s.filterRead) != "EVFILT_READ" || s.filterName(s.filterWrite) != "EVFILT_WRITE" || s.filterName(-7) != "filter -7" {
			t.Error("filter names")
		}
		if s.hasUser && s.filterName(s.filterUser) != "EVFILT_USER" {
			t.Error("user filter name")
		}
	})
}

// TestIntptrUdata: tokens survive the round trip through NetBSD's intptr_t
// udata at both widths x/sys/unix declares it with (int64 on 64-bit
// systems, int32 on 386 and arm), noToken included.
func TestIntptrUdata(t *testing.T) {
	toks := []uint64{noToken, 0, 1, makeToken(12345, poller.Readable), makeToken(^uint32(0), poller.Readable|poller.Writable)}
	for _, tok := range toks {
		var u32 int32
		setUdata(&u32, tok)
		if got := udataToken(u32); got != tok {
			t.Errorf("int32 udata: token %#x came back as %#x", tok, got)
		}
		var u64 int64
		setUdata(&u64, tok)
		if got := udataToken(u64); got != tok {
			t.Errorf("int64 udata: token %#x came back as %#x", tok, got)
		}
	}
}
