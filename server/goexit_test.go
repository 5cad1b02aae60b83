package server_test

import (
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/miniasync/miniasync/internal/suite"
	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/protocol"
	"github.com/miniasync/miniasync/server"
)

// TestHandlerGoexit: a handler that calls runtime.Goexit (t.FailNow in a
// test handler) ends its worker's goroutine. Its connection is closed
// without a response, as net/http does, and another worker takes the lost
// one's place: with one worker, the next connections are still answered,
// and Shutdown completes (suite.Start checks it, and leaks, at cleanup).
func TestHandlerGoexit(t *testing.T) {
	native := server.HandlerFunc(func(req *protocol.Request, res *protocol.Response) {
		if req.Path() == "/exit" {
			runtime.Goexit()
		}
		res.ContentType("text/plain").BodyString("ok")
	})
	ctxDone := make(chan struct{}, 8)
	adapted := server.HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/exit" {
			go func() { <-r.Context().Done(); ctxDone <- struct{}{} }()
			runtime.Goexit()
		}
		io.WriteString(w, "ok")
	}))
	for _, backend := range poller.Available() {
		for name, h := range map[string]server.Handler{"native": native, "HTTPHandler": adapted} {
			t.Run(backend+"/"+name, func(t *testing.T) {
				_, addr := suite.Start(t, suite.Target{Backend: backend}, server.Config{Workers: 1}, h)
				for range 3 {
					if got := exchangeRaw(t, addr, "GET /exit HTTP/1.1\r\nHost: h\r\n\r\n"); got != "" {
						t.Fatalf("/exit answered %q, want the connection closed without a response", got)
					}
					if name == "HTTPHandler" {
						select {
						case <-ctxDone: // the request's context ended with its connection
						case <-time.After(5 * time.Second):
							t.Fatal("the request's context did not end after the handler's Goexit")
						}
					}
					if got := exchangeRaw(t, addr, "GET / HTTP/1.1\r\nHost: h\r\n\r\n"); !strings.HasPrefix(got, "HTTP/1.1 200 OK") || !strings.HasSuffix(got, "ok") {
						t.Fatalf("after a Goexit: %q, want 200 ok", got)
					}
				}
			})
		}
	}
}

// TestHandlerGoexitLogsOnce: a handler's Goexit is one error line, with its
// connection; the worker the pool replaces is not a second warning.
func TestHandlerGoexitLogsOnce(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	h := server.HandlerFunc(func(req *protocol.Request, res *protocol.Response) {
		if req.Path() == "/exit" {
			runtime.Goexit()
		}
		res.BodyString("ok")
	})
	_, addr := suite.Start(t, suite.Target{Backend: poller.Default()}, server.Config{Workers: 1, Logger: zap.New(core)}, h)
	if got := exchangeRaw(t, addr, "GET /exit HTTP/1.1\r\nHost: h\r\n\r\n"); got != "" {
		t.Fatalf("/exit answered %q", got)
	}
	// With one worker, this is answered by the replacement, started after
	// the pool reported the Goexit.
	if got := exchangeRaw(t, addr, "GET / HTTP/1.1\r\nHost: h\r\n\r\n"); !strings.HasSuffix(got, "ok") {
		t.Fatalf("after the Goexit: %q", got)
	}
	loud := logs.FilterLevelExact(zapcore.ErrorLevel).All()
	loud = append(loud, logs.FilterLevelExact(zapcore.WarnLevel).All()...)
	if len(loud) != 1 || !strings.Contains(loud[0].Message, "Goexit") {
		t.Errorf("warnings and errors: %v, want the one line for the handler's Goexit", loud)
	}
	if logs.FilterMessageSnippet("another takes its place").Len() != 1 {
		t.Errorf("the replaced worker was not logged at debug level: %v", logs.All())
	}
}
