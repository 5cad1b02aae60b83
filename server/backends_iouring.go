//go:build linux

package server

// The io_uring backend registers itself on import (Linux only); it is
// listed as available only where the kernel allows io_uring (see
// iouring.Detect).
import _ "github.com/miniasync/miniasync/poller/iouring"
