package server_test

import (
	"io"
	"os"
	"strings"
	"testing"

	"github.com/miniasync/miniasync/internal/suite"
	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/protocol"
	"github.com/miniasync/miniasync/server"
)

// TestDefaultLoggerReportsPanics: with no Config.Logger a handler's panic
// is still reported, with its stack, on stderr (an embedding program that
// sets no logger would otherwise never see it), while requests log
// nothing.
func TestDefaultLoggerReportsPanics(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w // the default logger takes os.Stderr when the server is made
	h := server.HandlerFunc(func(req *protocol.Request, res *protocol.Response) {
		if req.Path() == "/panic" {
			panic("boom from the handler")
		}
		res.BodyString("ok")
	})
	_, addr := suite.Start(t, suite.Target{Backend: poller.Default()}, server.Config{}, h)
	os.Stderr = stderr
	if got := exchangeRaw(t, addr, "GET / HTTP/1.1\r\nHost: h\r\n\r\n"); !strings.HasSuffix(got, "ok") {
		t.Fatalf("GET /: %q", got)
	}
	if got := exchangeRaw(t, addr, "GET /panic HTTP/1.1\r\nHost: h\r\n\r\n"); !strings.HasPrefix(got, "HTTP/1.1 500 ") {
		t.Fatalf("GET /panic: %q", got)
	}
	w.Close()
	logged, _ := io.ReadAll(r)
	for _, want := range []string{"\terror\t", "handler panicked", "boom from the handler", "logger_test.go"} {
		if !strings.Contains(string(logged), want) {
			t.Errorf("stderr lacks %q:\n%s", want, logged)
		}
	}
	if n := strings.Count(string(logged), "\terror\t") + strings.Count(string(logged), "\twarn\t"); n != 1 {
		t.Errorf("%d log entries, want the panic's only:\n%s", n, logged)
	}
}
