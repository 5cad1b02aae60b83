package server_test

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/miniasync/miniasync/internal/suite"
	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/protocol"
	"github.com/miniasync/miniasync/server"
)

func TestMain(m *testing.M) {
	suite.RunChildIfAsked()
	goleak.VerifyTestMain(m, leakOptions...)
}

// TestSuite runs the integration suite against every backend available on
// this platform.
func TestSuite(t *testing.T) {
	backends := poller.Available()
	if len(backends) == 0 {
		t.Fatal("no backend available")
	}
	for _, b := range backends {
		t.Run(b, func(t *testing.T) { suite.Run(t, b) })
	}
}

// TestSuiteInline runs the integration suite with handlers on the event
// loop (Config.Inline) on every backend: with poller.Options.Inline, epoll
// keeps registrations armed and iouring takes owner requests and buffers
// without locks.
func TestSuiteInline(t *testing.T) {
	for _, b := range poller.Available() {
		t.Run(b, func(t *testing.T) { suite.RunTarget(t, suite.Target{Backend: b, Inline: true}) })
	}
}

// TestRobustness runs the hostile-client battery against every backend.
func TestRobustness(t *testing.T) {
	for _, b := range poller.Available() {
		t.Run(b, func(t *testing.T) { suite.RunRobustness(t, b) })
	}
}

func TestConfigErrors(t *testing.T) {
	h := server.HandlerFunc(func(*protocol.Request, *protocol.Response) {})
	for _, tc := range []struct {
		name string
		cfg  server.Config
	}{
		{"unknown backend", server.Config{Backend: "nope"}},
		{"negative workers", server.Config{Workers: -1}},
		{"negative queue", server.Config{QueueSize: -1}},
		{"negative timeout", server.Config{IdleTimeout: -time.Second}},
		{"negative limit", server.Config{Limits: protocol.Limits{MaxBodySize: -1}}},
	} {
		if _, err := server.New(tc.cfg, h); err == nil {
			t.Errorf("%s: New accepted %+v", tc.name, tc.cfg)
		}
	}
	if _, err := server.New(server.Config{}, nil); err == nil {
		t.Error("New accepted a nil handler")
	}
	_, err := server.New(server.Config{Backend: "nope"}, h)
	if !errors.Is(err, poller.ErrUnknownBackend) {
		t.Errorf("unknown backend: %v, want ErrUnknownBackend", err)
	}
}

func TestDefaults(t *testing.T) {
	srv, err := server.New(server.Config{}, server.HandlerFunc(func(*protocol.Request, *protocol.Response) {}))
	if err != nil {
		t.Fatal(err)
	}
	cfg := srv.Config()
	if cfg.Addr != "0.0.0.0:7878" || cfg.Workers < 1 || cfg.Backend != poller.Default() ||
		cfg.IdleTimeout != server.DefaultIdleTimeout || cfg.Limits.MaxBodySize != protocol.DefaultLimits().MaxBodySize {
		t.Fatalf("defaults not applied: %+v", cfg)
	}
}

// TestListenAddressInUse: on every backend a taken address is an error that
// names the address and says "address already in use" once, and that
// callers can test with errors.Is.
func TestListenAddressInUse(t *testing.T) {
	_, addr := suite.Start(t, suite.Target{Backend: poller.Default()}, server.Config{}, nil)
	for _, backend := range poller.Available() {
		second, err := server.New(server.Config{Addr: addr, Backend: backend}, server.HandlerFunc(suite.Handler))
		if err != nil {
			t.Fatal(err)
		}
		err = second.Listen()
		if err == nil {
			_ = second.Close()
			t.Fatalf("%s: second Listen on a used address succeeded", backend)
		}
		msg := err.Error()
		if !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(msg, addr) || strings.Count(msg, "address already in use") != 1 {
			t.Errorf("%s: Listen on a used address: %q (errors.Is EADDRINUSE: %v)", backend, msg, errors.Is(err, syscall.EADDRINUSE))
		}
	}
}

func TestShutdownBeforeServe(t *testing.T) {
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0"}, server.HandlerFunc(suite.Handler))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown before Serve: %v", err)
	}
	if err := srv.Serve(); !errors.Is(err, server.ErrServerClosed) {
		t.Fatalf("Serve after Shutdown: %v, want ErrServerClosed", err)
	}
}

// TestShutdownRacingServe shuts servers down while Serve is starting: Serve
// must return ErrServerClosed, never use the poller Shutdown closed.
func TestShutdownRacingServe(t *testing.T) {
	for range 200 {
		srv, err := server.New(server.Config{Addr: "127.0.0.1:0", Workers: 1}, server.HandlerFunc(suite.Handler))
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Listen(); err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- srv.Serve() }()
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, server.ErrServerClosed) {
			t.Fatalf("Serve: %v, want ErrServerClosed", err)
		}
	}
}
