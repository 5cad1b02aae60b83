package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/miniasync/miniasync/internal/suite"
	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/protocol"
	"github.com/miniasync/miniasync/server"
)

// TestShutdownNewConnections: a connection that has sent nothing yet is
// left a grace of 5 s by Shutdown (its first request may be on the way, and
// clients do not retry one on a fresh connection): a request it sends
// meanwhile is answered, with Connection: close; one that stays silent is
// closed when the grace ends, and Shutdown returns then, on every backend.
func TestShutdownNewConnections(t *testing.T) {
	for _, backend := range poller.Available() {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			srv, addr := suite.Start(t, suite.Target{Backend: backend}, server.Config{}, nil)
			late, silent := suite.Dial(t, addr), suite.Dial(t, addr)
			time.Sleep(100 * time.Millisecond) // both accepted and armed

			start := time.Now()
			done := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				done <- srv.Shutdown(ctx)
			}()
			time.Sleep(300 * time.Millisecond) // the shutdown is under way
			io.WriteString(late, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
			r := bufio.NewReader(late)
			res, err := suite.ReadResponse(r, false)
			if err != nil || res.Status != 200 || !res.Close {
				t.Fatalf("a first request during the shutdown: %v %+v, want 200 and close", err, res)
			}
			suite.ExpectClosed(t, late, r)

			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Shutdown: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Shutdown still waits for a silent new connection after 10 s")
			}
			if waited := time.Since(start); waited < 4*time.Second || waited > 7*time.Second {
				t.Fatalf("Shutdown returned after %v, want the 5 s grace for the silent connection", waited.Round(time.Millisecond))
			}
			suite.ExpectClosed(t, silent, bufio.NewReader(silent))
		})
	}
}

// TestShutdownInFlightSaysClose: the response to a request whose handler
// was running when Shutdown began carries Connection: close, then the
// connection closes, for native and HTTPHandler handlers, pool and inline.
func TestShutdownInFlightSaysClose(t *testing.T) {
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	for name, h := range map[string]server.Handler{
		"native": server.HandlerFunc(func(_ *protocol.Request, res *protocol.Response) {
			started <- struct{}{}
			<-release
			res.BodyString("done")
		}),
		"HTTPHandler": server.HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			started <- struct{}{}
			<-release
			io.WriteString(w, "done")
		})),
	} {
		for _, inline := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/inline=%v", name, inline), func(t *testing.T) {
				srv, addr := suite.Start(t, suite.Target{Backend: poller.Default(), Inline: inline}, server.Config{Workers: 2}, h)
				c := suite.Dial(t, addr)
				io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
				<-started
				shut := make(chan error, 1)
				go func() { shut <- srv.Shutdown(context.Background()) }()
				time.Sleep(200 * time.Millisecond) // Shutdown has begun
				release <- struct{}{}
				r := bufio.NewReader(c)
				res, err := suite.ReadResponse(r, false)
				if err != nil || string(res.Body) != "done" || !res.Close {
					t.Fatalf("response %+v, %v; want done with Connection: close", res, err)
				}
				suite.ExpectClosed(t, c, r)
				if err := <-shut; err != nil {
					t.Errorf("Shutdown: %v", err)
				}
			})
		}
	}
}
