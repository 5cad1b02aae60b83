//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package server

// The backends this platform offers register themselves on import, so a
// program that embeds the server can select any of them by name.
import _ "github.com/miniasync/miniasync/poller/kqueue"
