package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/miniasync/miniasync/internal/handlers"
	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/poller/iouring"
	"github.com/miniasync/miniasync/poller/netpoll"
	"github.com/miniasync/miniasync/server"
)

// serveOptions are the serve command's flags.
type serveOptions struct {
	cfg             server.Config
	handler         string
	logLevel        string
	shutdownTimeout time.Duration
	cpuProfile      string
	netpollPollers  int
	netpollRunner   string
	iouring         iouring.Config
}

func newServeCommand() *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP/1.1 server",
		Long: `Run the HTTP/1.1 server until SIGINT or SIGTERM.

The first signal stops accepting, lets requests in flight finish (up to
--shutdown-timeout) and exits 0; a second signal exits at once.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.Flags().Changed)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.cfg.Addr, "addr", server.DefaultAddr, "TCP address to listen on (host:port)")
	f.IntVar(&o.cfg.Workers, "workers", 3, fmt.Sprintf("number of worker goroutines that run handlers (0: one per CPU, GOMAXPROCS, here %d)", runtime.GOMAXPROCS(0)))
	f.BoolVar(&o.cfg.Inline, "inline", false, "run handlers on the event loop itself: no hand-off per request; only for handlers that never block")
	f.IntVar(&o.cfg.QueueSize, "queue", 0, "ready connections that may wait for a worker (0: workers x 256)")
	f.IntVar(&o.cfg.MaxWorkers, "max-workers", 0, "elastic pool: start extra workers while all are busy, up to this many (0: --workers, a fixed pool)")
	f.IntVar(&o.cfg.MaxConns, "max-conns", 0, "open connections beyond this get 503 and are closed (0: no cap)")
	f.IntVar(&o.cfg.MaxPipelined, "max-pipelined", server.DefaultMaxPipelined, "pipelined requests of one connection answered per turn (0: the default, 64)")
	f.IntVar(&o.cfg.MaxOutput, "max-output", server.DefaultMaxOutput, "unwritten output bytes per connection before it stops being read (0: the default, 65536)")
	f.StringVar(&o.cfg.Backend, "backend", poller.Default(),
		"I/O poller backend; available here: "+strings.Join(poller.Available(), ", "))
	f.IntVar(&o.netpollPollers, "netpoll-pollers", 0, "with --backend netpoll: netpoll's poller goroutines, each with an epoll set (0: netpoll's default, GOMAXPROCS/20+1)")
	f.StringVar(&o.netpollRunner, "netpoll-runner", "pool", "with --backend netpoll: how netpoll runs its callbacks: pool (its goroutine pool) or go (a goroutine each)")
	f.BoolVar(&o.iouring.DirectWrites, "iouring-direct-writes", false, "with --backend iouring: write responses to the socket directly first and send only the rest through the ring")
	f.BoolVar(&o.iouring.SharedThreads, "iouring-shared-threads", false, "with --backend iouring: no SINGLE_ISSUER|DEFER_TASKRUN; the event loop is not locked to a thread")
	f.BoolVar(&o.iouring.CoopTaskrun, "iouring-coop-taskrun", false, "with --backend iouring: IORING_SETUP_COOP_TASKRUN|TASKRUN_FLAG")
	f.IntVar(&o.iouring.Buffers, "iouring-buffers", 0, fmt.Sprintf("with --backend iouring: provided receive buffers, a power of two (0: %d)", iouring.DefaultBuffers))
	f.StringVar(&o.handler, "handler", "hello",
		"built-in handler: hello (\"Hello\" as text/plain), counter (a shared request counter), echo (the request as JSON), http-hello (hello as a net/http handler through server.HTTPHandler)")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.DurationVar(&o.cfg.ReadHeaderTimeout, "read-header-timeout", server.DefaultReadHeaderTimeout, "time allowed from a request's first byte to the end of its headers (must be positive)")
	f.DurationVar(&o.cfg.ReadBodyTimeout, "read-body-timeout", server.DefaultReadBodyTimeout, "time allowed to receive a request body (must be positive)")
	f.DurationVar(&o.cfg.IdleTimeout, "idle-timeout", server.DefaultIdleTimeout, "close keep-alive connections idle this long (must be positive: it cannot be turned off)")
	f.DurationVar(&o.cfg.WriteTimeout, "write-timeout", server.DefaultWriteTimeout, "close connections whose client reads nothing of a response this long (must be positive)")
	f.Int64Var(&o.cfg.Limits.MaxBodySize, "max-body", 10<<20, "largest request body in bytes, larger gets 413 (0: the default, 10 MiB)")
	f.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long a graceful shutdown waits for requests in flight (0: no wait: connections close at once, those running a handler when it returns)")
	f.StringVar(&o.cpuProfile, "cpu-profile", "", "write a pprof CPU profile of the whole run to this file")
	return cmd
}

// applyNetpollFlags turns the --netpoll-* flags into the netpoll backend's
// settings; they are an error with any other backend, rather than ignored.
func (o *serveOptions) applyNetpollFlags(changed func(string) bool) error {
	given := changed("netpoll-pollers") || changed("netpoll-runner")
	if o.cfg.Backend != netpoll.Name {
		if given {
			return fmt.Errorf("--netpoll-pollers and --netpoll-runner apply to --backend netpoll only (backend is %q)", o.cfg.Backend)
		}
		return nil
	}
	if o.netpollPollers < 0 {
		return fmt.Errorf("--netpoll-pollers must not be negative, got %d", o.netpollPollers)
	}
	runner, err := netpoll.ParseRunner(o.netpollRunner)
	if err != nil {
		return fmt.Errorf("--netpoll-runner: %w", err)
	}
	o.cfg.BackendOptions = netpoll.Config{Pollers: o.netpollPollers, Runner: runner}
	return nil
}

// applyIouringFlags turns the --iouring-* flags into the io_uring
// backend's settings; they are an error with any other backend.
func (o *serveOptions) applyIouringFlags(changed func(string) bool) error {
	given := false
	for _, name := range []string{"iouring-direct-writes", "iouring-shared-threads", "iouring-coop-taskrun", "iouring-buffers"} {
		given = given || changed(name)
	}
	if !given {
		return nil
	}
	if o.cfg.Backend != iouring.Name {
		return fmt.Errorf("--iouring-* flags apply to --backend iouring only (backend is %q)", o.cfg.Backend)
	}
	o.cfg.BackendOptions = o.iouring
	return nil
}

// checkFlags checks the numeric flags before the server sees them, so
// that an error names the flag rather than a field of server.Config.
func (o *serveOptions) checkFlags() error {
	for _, n := range []struct {
		flag string
		v    int64
	}{
		{"--workers", int64(o.cfg.Workers)},
		{"--max-workers", int64(o.cfg.MaxWorkers)},
		{"--queue", int64(o.cfg.QueueSize)},
		{"--max-conns", int64(o.cfg.MaxConns)},
		{"--max-pipelined", int64(o.cfg.MaxPipelined)},
		{"--max-output", int64(o.cfg.MaxOutput)},
		{"--max-body", o.cfg.Limits.MaxBodySize},
		{"--iouring-buffers", int64(o.iouring.Buffers)},
	} {
		if n.v < 0 {
			return fmt.Errorf("%s must not be negative, got %d", n.flag, n.v)
		}
	}
	// Each worker is a goroutine and each queue slot a pointer, made at
	// start: far past these a typo would exhaust memory before serving.
	for _, n := range []struct {
		flag     string
		v, limit int
	}{
		{"--workers", o.cfg.Workers, maxWorkersFlag},
		{"--max-workers", o.cfg.MaxWorkers, maxWorkersFlag},
		{"--queue", o.cfg.QueueSize, maxQueueFlag},
	} {
		if n.v > n.limit {
			return fmt.Errorf("%s %d is too large (at most %d)", n.flag, n.v, n.limit)
		}
	}
	workers := o.cfg.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if o.cfg.MaxWorkers != 0 && o.cfg.MaxWorkers < workers {
		return fmt.Errorf("--max-workers %d must not be below --workers (%d)", o.cfg.MaxWorkers, workers)
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{
		{"--read-header-timeout", o.cfg.ReadHeaderTimeout},
		{"--read-body-timeout", o.cfg.ReadBodyTimeout},
		{"--idle-timeout", o.cfg.IdleTimeout},
		{"--write-timeout", o.cfg.WriteTimeout},
	} {
		if d.v <= 0 {
			return fmt.Errorf("%s must be positive (it cannot be turned off), got %v", d.flag, d.v)
		}
	}
	if o.shutdownTimeout < 0 {
		return fmt.Errorf("--shutdown-timeout must not be negative, got %v", o.shutdownTimeout)
	}
	return nil
}

func (o *serveOptions) run(ctx context.Context, changed func(string) bool) error {
	if err := o.checkFlags(); err != nil {
		return err
	}
	var handler server.Handler
	h, ok := handlers.New(o.handler)
	switch {
	case ok:
		handler = server.HandlerFunc(h)
	case o.handler == handlers.HTTPHelloName:
		handler, ok = server.HTTPHandler(http.HandlerFunc(handlers.HTTPHello)), true
	}
	if !ok {
		return fmt.Errorf("unknown --handler %q (choose from: %s)", o.handler, strings.Join(handlers.Names, ", "))
	}
	if _, err := poller.Lookup(o.cfg.Backend); err != nil {
		return fmt.Errorf("--backend: %w", err)
	}
	if o.cfg.Inline {
		for _, f := range []string{"workers", "max-workers", "queue"} {
			if changed(f) {
				return fmt.Errorf("--%s has no effect with --inline: handlers run on the event loop, not in a worker pool", f)
			}
		}
	}
	if err := o.applyNetpollFlags(changed); err != nil {
		return err
	}
	if err := o.applyIouringFlags(changed); err != nil {
		return err
	}
	log, err := newLogger(o.logLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	o.cfg.Logger = log
	srv, err := server.New(o.cfg, handler)
	if err != nil {
		return err
	}
	if err := srv.Listen(); err != nil {
		return err // names the address, or the backend setting at fault
	}
	// Started once listening, so a failed start leaves an existing file be.
	stopProfile := func() {}
	if o.cpuProfile != "" {
		stop, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			_ = srv.Close()
			return err
		}
		stopProfile = stop
		defer stop()
	}
	log.Info("handler", zap.String("name", o.handler))

	if ctx == nil {
		ctx = context.Background()
	}
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(signals)
	go func() {
		sig, ok := <-signals
		if !ok {
			return
		}
		log.Info("shutting down", zap.Stringer("signal", sig), zap.Duration("timeout", o.shutdownTimeout))
		go func() {
			if _, ok := <-signals; ok {
				log.Warn("second signal: exiting now")
				stopProfile() // os.Exit skips the deferred stop: the file would be empty
				_ = log.Sync()
				os.Exit(1)
			}
		}()
		sctx, cancel := context.WithTimeout(ctx, o.shutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			log.Warn("shutdown deadline passed; closing remaining connections", zap.Error(err))
		}
	}()
	if err := srv.Serve(); !errors.Is(err, server.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// Upper bounds of --workers, --max-workers and --queue.
const (
	maxWorkersFlag = 1 << 16
	maxQueueFlag   = 1 << 24
)

// newLogger builds the command's console logger at the given level.
func newLogger(level string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil || lvl > zapcore.ErrorLevel {
		// zap's dpanic, panic and fatal levels would hide the server's
		// errors without a use here.
		return nil, fmt.Errorf("--log-level: unknown level %q (choose from: debug, info, warn, error)", level)
	}
	cfg := zap.NewDevelopmentConfig()
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.Development = false
	cfg.DisableStacktrace = true
	return cfg.Build()
}

// startCPUProfile profiles the process into path until the returned
// function is called.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpu-profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("--cpu-profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}
