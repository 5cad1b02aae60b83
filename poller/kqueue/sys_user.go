//go:build darwin || freebsd || dragonfly

package kqueue

import "golang.org/x/sys/unix"

// These systems have EVFILT_USER for wake-ups and EV_DISPATCH for re-arming.
const (
	hasUserFilter = true
	evfiltUser    = unix.EVFILT_USER
	noteTrigger   = unix.NOTE_TRIGGER
	evRearm       = unix.EV_DISPATCH
)
