package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/miniasync/miniasync/internal/suite"
	"github.com/miniasync/miniasync/poller/iouring"
	"github.com/miniasync/miniasync/poller/netpoll"
	"github.com/miniasync/miniasync/server"
)

// TestShutdownKeepsAcceptedOutput: a response whose last bytes the backend
// accepted (Write returned) but has not sent yet, because the client reads
// slowly, still reaches the client in full after a graceful Shutdown, as
// on epoll, where close(2) leaves them to the kernel. The backends that
// send from their own buffers (iouring, netpoll) are given room for the
// whole response, so all of it waits there. Before the fix, closing the
// poller at the end of Shutdown cut those bytes off.
func TestShutdownKeepsAcceptedOutput(t *testing.T) {
	const size = 4 << 20
	cases := []struct {
		name string
		tg   suite.Target
		opts any
	}{
		{"epoll", suite.Target{Backend: "epoll"}, nil},
		{"iouring", suite.Target{Backend: iouring.Name}, iouring.Config{MaxPendingOutput: 8 << 20}},
		{"iouring/inline", suite.Target{Backend: iouring.Name, Inline: true}, iouring.Config{MaxPendingOutput: 8 << 20}},
		{"netpoll", suite.Target{Backend: netpoll.Name}, netpoll.Config{MaxPendingOutput: 8 << 20}},
		{"netpoll/inline", suite.Target{Backend: netpoll.Name, Inline: true}, netpoll.Config{MaxPendingOutput: 8 << 20}},
	}
	for _, k := range cases {
		t.Run(k.name, func(t *testing.T) {
			if !available(k.tg.Backend) {
				t.Skipf("%s is not available here", k.tg.Backend)
			}
			srv, addr := suite.Start(t, k.tg, server.Config{BackendOptions: k.opts}, nil)
			c := suite.Dial(t, addr)
			_ = c.SetDeadline(time.Now().Add(20 * time.Second))
			fmt.Fprintf(c, "GET /big?n=%d HTTP/1.1\r\nHost: x\r\n\r\n", size)
			time.Sleep(300 * time.Millisecond) // the response is written, mostly unread
			shut := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				shut <- srv.Shutdown(ctx)
			}()
			time.Sleep(300 * time.Millisecond) // the idle connection is closed by now
			all, err := io.ReadAll(c)
			i := bytes.Index(all, []byte("\r\n\r\n"))
			if i < 0 || !bytes.Equal(all[i+4:], suite.Pattern(size)) {
				t.Errorf("client got %d body bytes (read error %v), want %d", len(all)-i-4, err, size)
			}
			if err := <-shut; err != nil {
				t.Errorf("Shutdown: %v", err)
			}
		})
	}
}
