package netpoll

import (
	"strings"
	"sync/atomic"

	"go.uber.org/zap"
)

// netpollLog receives the lines netpoll itself logs: the logger of the
// Poller opened last (netpoll has one logger per process).
var netpollLog atomic.Pointer[zap.Logger]

// logWriter turns the lines of netpoll's standard-library logger into zap
// entries. A peer that reset its connection ("readall ... before close")
// is routine and logged at debug level; everything else netpoll reports
// (failed registrations, closes, accepts) is a warning.
type logWriter struct{}

func (logWriter) Write(p []byte) (int, error) {
	l := netpollLog.Load()
	if l == nil {
		return len(p), nil // no poller opened yet: nothing of ours to log about
	}
	msg := strings.TrimSpace(string(p))
	if i := strings.Index(msg, "NETPOLL: "); i >= 0 {
		msg = msg[i+len("NETPOLL: "):] // drop the standard logger's date and the prefix
	}
	if strings.HasPrefix(msg, "readall(") {
		l.Debug("netpoll: "+msg, zap.String("source", "netpoll"))
	} else {
		l.Warn("netpoll: "+msg, zap.String("source", "netpoll"))
	}
	return len(p), nil
}
