package kqueue

import "golang.org/x/sys/unix"

// NetBSD 10 added EVFILT_USER and EV_DISPATCH; golang.org/x/sys/unix, built
// from older headers, has neither. The user filter's numbers below are those
// of NetBSD's <sys/event.h>; a kernel before 10 refuses the filter with
// EINVAL and the Poller falls back to a pipe (see chooseWake). Re-arming
// uses EV_ONESHOT, which every NetBSD has.
const (
	hasUserFilter = true
	evfiltUser    = 8          // EVFILT_USER
	noteTrigger   = 0x01000000 // NOTE_TRIGGER
	evRearm       = unix.EV_ONESHOT
)

// setToken stores token t in k's udata, which NetBSD declares intptr_t:
// int64 in x/sys/unix's Kevent_t on 64-bit systems, int32 on 386 and arm.
func setToken(k *unix.Kevent_t, t uint64) { setUdata(&k.Udata, t) }

// getToken returns the token in k's udata (noToken for one stored as such).
func getToken(k *unix.Kevent_t) uint64 { return udataToken(k.Udata) }
