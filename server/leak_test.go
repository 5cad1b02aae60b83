package server_test

import (
	"go.uber.org/goleak"

	"github.com/miniasync/miniasync/poller/netpoll"
)

// netpoll's pollers are process-wide: they start with the first netpoll
// Open, hold an epoll set and an eventfd each, and run until the process
// exits. Starting them before any test keeps their descriptors out of the
// suite's descriptor counts.
func init() { netpoll.StartPollers() }

// leakOptions lists goroutines that outlive a server by design: netpoll's
// poller goroutines (one per poller, see netpoll.Config.Pollers). Its
// short-lived helpers (the goroutine pool's workers, the goroutine that runs
// a batch of hang-up callbacks) end by themselves and are not ignored.
var leakOptions = []goleak.Option{
	goleak.IgnoreAnyFunction("github.com/cloudwego/netpoll.(*defaultPoll).Wait"),
}
