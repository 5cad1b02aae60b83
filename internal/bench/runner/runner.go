package runner

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/miniasync/miniasync/internal/bench/child"
	"github.com/miniasync/miniasync/internal/bench/cpupin"
	"github.com/miniasync/miniasync/internal/bench/loadgen"
	"github.com/miniasync/miniasync/internal/bench/procstat"
	"github.com/miniasync/miniasync/internal/bench/result"
	"github.com/miniasync/miniasync/internal/bench/sweep"
	"github.com/miniasync/miniasync/internal/bench/wrk"
)

// Plan is everything a bench does.
type Plan struct {
	// Targets are the servers, benched one after another.
	Targets []Target
	// Points are the load settings each server gets, in order.
	Points []sweep.Point
	// Host is the address servers listen on (loopback, normally), and
	// Port the port; 0 picks a free port for each server.
	Host string
	Port int
	// Request is the request the load sends (its Host is set per server).
	Request loadgen.RequestSpec
	// Warmup and Duration are each run's uncounted and measured phases.
	Warmup, Duration time.Duration
	// StartTimeout bounds the wait for a server to accept; StopTimeout
	// the wait for it to exit after SIGTERM before SIGKILL.
	StartTimeout, StopTimeout time.Duration
	// KeepGoing records a failed server or run and goes on to the next,
	// instead of stopping the bench.
	KeepGoing bool
	// Wrk, when set, has wrk load each server at each point after the
	// built-in generator, for comparison.
	Wrk *WrkPlan
	// Pin, when set, keeps servers and the load on different CPUs.
	Pin *cpupin.Plan
	// ProcRoot is where /proc is mounted; empty means "/proc".
	ProcRoot string
	// Idle, when above 0, also measures each server's resident set per
	// idle keep-alive connection with this many connections, in a fresh
	// server process after its load points (see runIdle).
	Idle int
	// IdleSettle is how long the idle connections stay open before the
	// resident set is read; 0 means 1 s.
	IdleSettle time.Duration
	// Rounds is how many times the whole list of targets runs, one round
	// after another, each server in a fresh process every round; 0 means
	// 1. With more than one, every run carries its Round.
	Rounds int
}

// WrkPlan says how to run wrk.
type WrkPlan struct {
	// Binary is wrk's path or name.
	Binary string
	// Threads is wrk's -t.
	Threads int
	// Servers names the servers wrk loads; empty means every one.
	Servers []string
}

// wants reports whether wrk should load the named server.
func (w *WrkPlan) wants(server string) bool {
	return len(w.Servers) == 0 || slices.Contains(w.Servers, server)
}

// Run runs the plan and returns every run's result in order: every
// target at every point, then, with several rounds, all of it again. With
// KeepGoing, failures are recorded in the results; otherwise the first one
// is returned as the error, with the results so far. Servers are always
// stopped and reaped before Run returns.
func Run(ctx context.Context, plan Plan, obs Observer) ([]result.Run, error) {
	if obs == nil {
		obs = Quiet{}
	}
	if plan.Rounds < 0 {
		return nil, fmt.Errorf("runner: %d rounds", plan.Rounds)
	}
	rounds := max(plan.Rounds, 1)
	if plan.ProcRoot == "" {
		plan.ProcRoot = "/proc"
	}
	if plan.Pin != nil {
		if err := plan.Pin.PinSelf(); err != nil {
			return nil, fmt.Errorf("--cpu-pin: %w", err)
		}
		// The runtime sized itself for every CPU at start; match the
		// load's share so it does not spin threads it cannot run.
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(len(plan.Pin.Load)))
	}
	var runs []result.Run
	for round := 1; round <= rounds; round++ {
		tag := 0 // a bench of one round leaves Round unset
		if rounds > 1 {
			tag = round
			obs.RoundStarting(round, rounds)
		}
		got, err := runRound(ctx, plan, tag, obs)
		runs = append(runs, got...)
		if err != nil {
			return runs, err
		}
	}
	return runs, nil
}

// runRound runs every target at every point once, marking each run with
// round (0 in a bench of one round).
func runRound(ctx context.Context, plan Plan, round int, obs Observer) ([]result.Run, error) {
	var runs []result.Run
	for _, t := range plan.Targets {
		got, err := runTarget(ctx, plan, t, round, obs)
		runs = append(runs, got...)
		if err != nil {
			if ctx.Err() != nil || !plan.KeepGoing {
				return runs, err
			}
			obs.Warning(err.Error())
			// Record the failure for the points that did not run.
			for _, p := range plan.Points[len(got):] {
				r := blankRun(t, p, round)
				r.Error = err.Error()
				runs = append(runs, r)
				obs.RunFinished(r)
			}
		}
		if plan.Idle <= 0 {
			continue
		}
		r, err := runIdle(ctx, plan, t, round, obs)
		if err != nil {
			if ctx.Err() != nil || !plan.KeepGoing {
				return append(runs, r), err
			}
			r.Error = err.Error()
			obs.Warning(err.Error())
		}
		runs = append(runs, r)
		obs.RunFinished(r)
	}
	return runs, nil
}

// startServer starts t's server on a fresh address and waits until it
// accepts. The caller stops the returned process.
func startServer(ctx context.Context, plan Plan, t Target) (*child.Process, string, []string, error) {
	addr, err := listenAddr(plan.Host, plan.Port)
	if err != nil {
		return nil, "", nil, fmt.Errorf("%s: %w", t.Name, err)
	}
	argv, env, err := t.expand(addr)
	if err != nil {
		return nil, "", nil, fmt.Errorf("%s: %w", t.Name, err)
	}
	spec := child.Spec{Name: t.Name, Argv: argv, Env: env}
	if plan.Pin != nil {
		pin := *plan.Pin
		spec.Start = func(cmd *exec.Cmd) error { return pin.StartServer(cmd) }
	}
	proc, err := child.Start(spec)
	if err != nil {
		return nil, "", nil, err
	}
	if err := proc.WaitReady(ctx, addr, plan.StartTimeout); err != nil {
		_ = proc.Stop(plan.StopTimeout)
		return nil, "", nil, err
	}
	return proc, addr, argv, nil
}

// stopServer stops proc, turning a kill into a warning and any other
// failure into *err when nothing failed before.
func stopServer(plan Plan, proc *child.Process, obs Observer, err *error) {
	if serr := proc.Stop(plan.StopTimeout); serr != nil {
		if errors.Is(serr, child.ErrKilled) {
			obs.Warning(serr.Error())
		} else if *err == nil {
			*err = serr
		}
	}
}

// runIdle measures what idle keep-alive connections cost a fresh server
// process: its resident set (VmRSS) after one warm-up connection made a
// request and closed, then again once plan.Idle connections have each made
// one request, read the response and stayed open and silent for
// plan.IdleSettle. The difference per connection is the figure.
func runIdle(ctx context.Context, plan Plan, t Target, round int, obs Observer) (r result.Run, err error) {
	r = result.Run{Server: t.Name, Kind: t.Kind, Conns: plan.Idle, IdleConns: plan.Idle, Round: round}
	proc, addr, argv, err := startServer(ctx, plan, t)
	if err != nil {
		return r, err
	}
	defer stopServer(plan, proc, obs, &err)
	r.Command = strings.Join(argv, " ")
	obs.ServerStarted(t, addr)
	settle := plan.IdleSettle
	if settle <= 0 {
		settle = time.Second
	}
	req := plan.Request
	req.Host = addr
	cfg := loadgen.IdleConfig{Addr: addr, Request: req, Conns: 1}
	warm, err := loadgen.OpenIdle(ctx, cfg)
	if err != nil {
		return r, fmt.Errorf("%s idle warm-up: %w", t.Name, err)
	}
	warm.Close()
	if err := sleep(ctx, settle/2); err != nil {
		return r, err
	}
	before, err := procstat.Group(plan.ProcRoot, proc.PID())
	if err != nil {
		return r, fmt.Errorf("%s idle: %w", t.Name, err)
	}
	cfg.Conns = plan.Idle
	set, err := loadgen.OpenIdle(ctx, cfg)
	if err != nil {
		return r, fmt.Errorf("%s with %d idle connections: %w", t.Name, plan.Idle, err)
	}
	defer set.Close()
	if err := sleep(ctx, settle); err != nil {
		return r, err
	}
	if err := proc.Alive(); err != nil {
		return r, fmt.Errorf("%s with %d idle connections: %w", t.Name, plan.Idle, err)
	}
	after, err := procstat.Group(plan.ProcRoot, proc.PID())
	if err != nil {
		return r, fmt.Errorf("%s idle: %w", t.Name, err)
	}
	r.IdleRSSBeforeBytes, r.IdleRSSAfterBytes = before.RSS, after.RSS
	r.IdleRSSPerConn = float64(after.RSS-before.RSS) / float64(plan.Idle)
	r.PeakRSSBytes = after.PeakRSS
	return r, nil
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("idle: %w", ctx.Err())
	}
}

// runTarget starts one server, runs every point against it, and stops it.
// It returns the runs done, which may be fewer than the points on error.
func runTarget(ctx context.Context, plan Plan, t Target, round int, obs Observer) (runs []result.Run, err error) {
	if len(plan.Points) == 0 {
		return nil, nil
	}
	proc, addr, argv, err := startServer(ctx, plan, t)
	if err != nil {
		return nil, err
	}
	defer stopServer(plan, proc, obs, &err)
	obs.ServerStarted(t, addr)
	command := strings.Join(argv, " ")
	for _, p := range plan.Points {
		r, err := runPoint(ctx, plan, t, p, round, addr, proc, obs)
		r.Command = command
		if err != nil {
			if ctx.Err() != nil || !plan.KeepGoing {
				return runs, err
			}
			r.Error = err.Error()
			obs.Warning(err.Error())
		}
		runs = append(runs, r)
		obs.RunFinished(r)
		if aerr := proc.Alive(); aerr != nil {
			return runs, fmt.Errorf("%s during %s: %w", t.Name, p, aerr)
		}
	}
	return runs, nil
}

// sample is the server's and the bench's own resource use at one moment.
type sample struct {
	server    procstat.Usage
	serverErr error
	client    time.Duration
}

// takeSample reads the server group's usage and this process's CPU time.
func takeSample(procRoot string, pgid int) sample {
	var s sample
	s.server, s.serverErr = procstat.Group(procRoot, pgid)
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) == nil {
		s.client = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return s
}

// runPoint runs the load generator (and wrk, if asked) at one point.
func runPoint(ctx context.Context, plan Plan, t Target, p sweep.Point, round int, addr string, proc *child.Process, obs Observer) (result.Run, error) {
	r := blankRun(t, p, round)
	var start, end sample
	req := plan.Request
	req.Host = addr
	g, err := loadgen.New(loadgen.Config{
		Addr: addr, Request: req, Conns: p.Conns, Pipeline: p.Pipeline,
		Warmup: plan.Warmup, Duration: plan.Duration,
		OnMeasureStart: func() { start = takeSample(plan.ProcRoot, proc.PID()) },
		OnMeasureEnd:   func() { end = takeSample(plan.ProcRoot, proc.PID()) },
	})
	if err != nil {
		return r, err
	}
	obs.RunStarting(t, p, plan.Warmup+plan.Duration, g.Completed)
	res, err := g.Run(ctx)
	if err != nil {
		return r, fmt.Errorf("%s at %s: %w", t.Name, p, err)
	}
	fill(&r, res, start, end)
	if res.Requests == 0 {
		// A server that answered during the warmup is alive but too slow
		// for the window, as on an overloaded machine: a measurement of
		// zero, not a failure. One that never answered is broken.
		if g.Completed() == 0 {
			return r, fmt.Errorf("%s at %s: no response in %v (errors: connect %d, read %d, write %d, parse %d)",
				t.Name, p, plan.Warmup+plan.Duration, res.Errors.Connect, res.Errors.Read, res.Errors.Write, res.Errors.Parse)
		}
		obs.Warning(fmt.Sprintf("%s at %s: no response completed in the %v window (only during the warmup); is the machine overloaded?", t.Name, p, plan.Duration))
	}
	if plan.Wrk != nil && plan.Wrk.wants(t.Name) {
		if err := proc.Alive(); err != nil {
			return r, err
		}
		r.Wrk = runWrk(ctx, plan, t, p, addr, obs)
		if ctx.Err() != nil {
			return r, fmt.Errorf("wrk: %w", ctx.Err())
		}
	}
	return r, nil
}

// blankRun returns a Run naming its server, point and round, with nothing
// measured.
func blankRun(t Target, p sweep.Point, round int) result.Run {
	return result.Run{Server: t.Name, Kind: t.Kind, Conns: p.Conns, Pipeline: p.Pipeline, Round: round}
}

// fill copies a load result and the samples around it into r.
func fill(r *result.Run, res *loadgen.Result, start, end sample) {
	r.Seconds = res.Elapsed.Seconds()
	r.Requests = res.Requests
	r.RequestsPerSec = res.RequestsPerSec()
	r.BytesPerSec = res.BytesPerSec()
	h := res.Latency
	if h.TotalCount() > 0 {
		r.Latency = result.Latency{
			P50: float64(h.ValueAtQuantile(50)), P90: float64(h.ValueAtQuantile(90)),
			P99: float64(h.ValueAtQuantile(99)), P999: float64(h.ValueAtQuantile(99.9)),
			Max: float64(h.Max()), Mean: h.Mean(),
		}
	}
	r.Errors = result.Errors(res.Errors)
	r.Non2xx = res.Non2xx()
	r.Reconnects = res.Reconnects
	r.ClientCPUSeconds = (end.client - start.client).Seconds()
	if start.serverErr == nil && end.serverErr == nil {
		r.ServerCPUKnown = true
		r.ServerCPUSeconds = (end.server.CPU() - start.server.CPU()).Seconds()
		if r.ServerCPUSeconds > 0 {
			r.RequestsPerCPUSec = float64(r.Requests) / r.ServerCPUSeconds
		}
		r.PeakRSSBytes = end.server.PeakRSS
	}
}

// runWrk loads the server with wrk at the same point; a failure is kept in
// the result rather than failing the bench.
func runWrk(ctx context.Context, plan Plan, t Target, p sweep.Point, addr string, obs Observer) *result.Wrk {
	secs := wrk.Seconds(plan.Duration)
	obs.WrkStarting(t, p, time.Duration(secs)*time.Second)
	path := plan.Request.Path
	if path == "" {
		path = "/"
	}
	res, err := wrk.Run(ctx, wrk.Config{
		Binary: plan.Wrk.Binary, URL: "http://" + addr + path,
		Conns: p.Conns, Threads: plan.Wrk.Threads, Pipeline: p.Pipeline,
		Duration: plan.Duration, Method: plan.Request.Method, BodySize: plan.Request.BodySize,
	})
	if err != nil {
		return &result.Wrk{Error: err.Error()}
	}
	return &result.Wrk{
		Threads: res.Threads, Seconds: res.Seconds, Requests: res.Requests, RequestsPerSec: res.RequestsPerSec,
		Latency: result.Latency{P50: res.P50, P90: res.P90, P99: res.P99, Max: res.Max},
		Errors:  res.Errors, Non2xx: res.Non2xx, ClientCPUSeconds: res.ClientCPU.Seconds(),
	}
}
