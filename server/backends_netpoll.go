//go:build linux

package server

// The cloudwego/netpoll adapter registers itself on import (Linux only; see
// its package doc for the platforms netpoll builds on).
import _ "github.com/miniasync/miniasync/poller/netpoll"
