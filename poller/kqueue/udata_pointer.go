//go:build darwin || freebsd || openbsd || dragonfly

package kqueue

import "golang.org/x/sys/unix"

// setToken stores token t in k's udata, a pointer on these systems, as the
// address of its byte in udataSpace (see core.go).
func setToken(k *unix.Kevent_t, t uint64) { k.Udata = tokenPointer(t) }

// getToken returns the token in k's udata.
func getToken(k *unix.Kevent_t) uint64 { return pointerToken(k.Udata) }
