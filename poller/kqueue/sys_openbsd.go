package kqueue

import "golang.org/x/sys/unix"

// OpenBSD has EV_DISPATCH but no EVFILT_USER: Wake writes to a pipe.
const (
	hasUserFilter = false
	evfiltUser    = 0 // unused: hasUserFilter is false
	noteTrigger   = 0
	evRearm       = unix.EV_DISPATCH
)
