package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/miniasync/miniasync/internal/bench/result"
	"github.com/miniasync/miniasync/internal/bench/runner"
	"github.com/miniasync/miniasync/internal/handlers"
	"github.com/miniasync/miniasync/poller"
)

// benchOptions are the bench command's flags.
type benchOptions struct {
	backends     string
	baseline     bool
	externals    []string
	handler      string
	workers      int
	serveFlags   string
	host         string
	port         int
	conns        string
	pipeline     string
	duration     time.Duration
	warmup       time.Duration
	rounds       int
	idle         int
	idleSettle   time.Duration
	path         string
	method       string
	bodySize     int
	jsonFile     string
	chartFile    string
	format       string
	quiet        bool
	wrk          string
	wrkThreads   int
	wrkServers   string
	cpuPin       string
	keepGoing    bool
	startTimeout time.Duration
	stopTimeout  time.Duration
	serverBinary string
}

func newBenchCommand() *cobra.Command {
	o := &benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Compare poller backends (and other servers) under the same load",
		Long: `Run the server once per backend, each in its own child process
("miniasync serve"), load it with the built-in closed-loop load generator
(raw TCP, keep-alive, optional pipelining), and print a comparison table
sorted by throughput, with latency percentiles, errors, the server's CPU
time and peak memory (from /proc), and requests per server CPU-second.

Several values of --conns or --pipeline make a sweep: every combination
runs against every server. --baseline adds Go's net/http serving the same
handler as the reference row; --external adds any other server, which
finds its address in the ADDR environment variable or in {addr}, {host}
or {port} in its command line. --wrk also loads each server with wrk,
to show how the built-in generator compares with it.

Numbers from a small or shared machine are noisy: compare ratios within
one run, and prefer req/CPU-s to req/s when the load generator and the
server share the CPUs. --rounds N runs the whole list of servers N times,
one round after another, so slow drift falls on every server alike, and
reports each metric's median over the rounds (every round is in --json).

--idle N measures memory instead of speed: each server, freshly started,
gets N keep-alive connections that each make one request and then stay
open and silent, and the growth of its resident set (VmRSS) per
connection is reported in a table of its own.`,
		Example: `  miniasync bench
  miniasync bench --backends epoll --baseline --conns 64,256 --pipeline 1,16 --duration 5s
  miniasync bench --external fasthttp=./fasthttp-hello --json out.json --chart out.svg
  miniasync bench --wrk wrk --cpu-pin
  miniasync bench --backends epoll --baseline --rounds 5 --duration 3s
  miniasync bench --baseline --idle 10000 --conns none`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.backends, "backends", "", "comma-separated backends to bench (default: all available here: "+strings.Join(poller.Available(), ", ")+")")
	f.BoolVar(&o.baseline, "baseline", false, "also bench Go's net/http serving the same handler, as the reference row")
	f.StringArrayVar(&o.externals, "external", nil, "also bench an external server, NAME=COMMAND (repeatable); it gets its address in $ADDR or {addr}")
	f.StringVar(&o.handler, "handler", "hello", "built-in handler the servers run: "+strings.Join(handlers.Names, ", "))
	f.IntVar(&o.workers, "workers", 0, "miniasync serve --workers (0: serve's default)")
	f.StringVar(&o.serveFlags, "serve-flags", "", "extra flags for miniasync serve, such as \"--queue 512\"")
	f.StringVar(&o.host, "host", "127.0.0.1", "address the servers listen on")
	f.IntVar(&o.port, "port", 0, "port the servers listen on, one after another (0: a free port each)")
	f.StringVar(&o.conns, "conns", "64", "client connections; a comma-separated list makes a sweep")
	f.StringVar(&o.pipeline, "pipeline", "1", "requests in flight per connection; a comma-separated list makes a sweep")
	f.DurationVar(&o.duration, "duration", 10*time.Second, "measured time of each run")
	f.DurationVar(&o.warmup, "warmup", 2*time.Second, "uncounted load before each run's measured time")
	f.IntVar(&o.rounds, "rounds", 1, fmt.Sprintf("run every server at every point this many times (1-%d), round after round, and report each metric's median", maxRounds))
	f.IntVar(&o.idle, "idle", 0, "also measure each server's resident set per idle keep-alive connection with this many connections (each makes one request, then stays open), in a fresh server process; --conns none skips the load runs")
	f.DurationVar(&o.idleSettle, "idle-settle", time.Second, "how long the --idle connections stay open before the resident set is read")
	f.StringVar(&o.path, "path", "/", "request target")
	f.StringVar(&o.method, "method", "GET", "request method")
	f.IntVar(&o.bodySize, "body-size", 0, "request body size in bytes (sent with Content-Length)")
	f.StringVar(&o.jsonFile, "json", "", "write every result as JSON to this file")
	f.StringVar(&o.chartFile, "chart", "", "draw throughput and p99 latency per server into this .svg or .png file")
	f.StringVar(&o.format, "format", "text", "table format: text or markdown")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress bar or progress lines on stderr")
	f.StringVar(&o.wrk, "wrk", "", "also load each server with this wrk binary (such as \"wrk\") to compare load generators")
	f.IntVar(&o.wrkThreads, "wrk-threads", 0, "wrk -t (0: the CPUs the load may use)")
	f.StringVar(&o.wrkServers, "wrk-servers", "", "comma-separated servers wrk loads (default: all)")
	f.StringVar(&o.cpuPin, "cpu-pin", "", "pin servers and the load to different CPUs: SERVER:LOAD lists such as 0:1, or auto (Linux)")
	f.Lookup("cpu-pin").NoOptDefVal = "auto"
	f.BoolVar(&o.keepGoing, "keep-going", false, "record a server that fails and go on with the next one (the bench still fails if no server succeeds)")
	f.DurationVar(&o.startTimeout, "start-timeout", 10*time.Second, "how long a server may take to accept connections")
	f.DurationVar(&o.stopTimeout, "stop-timeout", 5*time.Second, "how long a server may take to exit after SIGTERM before SIGKILL")
	f.StringVar(&o.serverBinary, "server-binary", "", "miniasync binary that runs the servers (default: this program)")
	_ = f.MarkHidden("server-binary")
	return cmd
}

// run plans the bench, runs it, and writes the table and the files.
func (o *benchOptions) run(ctx context.Context, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	plan, settings, err := o.plan()
	if err != nil {
		return err
	}
	// A closed terminal (SIGHUP) or SIGQUIT must stop the servers too: the
	// kernel's parent-death signal reaches only direct children, not what a
	// wrapper such as sh -c started.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT)
	defer stop()

	started := time.Now()
	obs := newProgress(stderr, o.quiet, isTerminal(stderr))
	runs, err := runner.Run(ctx, plan, obs)
	obs.close()
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return errors.New("bench interrupted; every server was stopped")
		}
		return fmt.Errorf("bench: %w", err)
	}
	rep := newReport(started, settings, runs)
	err = o.write(stdout, rep)
	if !slices.ContainsFunc(runs, func(r result.Run) bool { return r.Error == "" }) {
		// With --keep-going every failure was recorded; none succeeded.
		err = errors.Join(err, errors.New("bench: every server failed (see the notes above)"))
	}
	return err
}
