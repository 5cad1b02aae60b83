package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/miniasync/miniasync/internal/bench/chart"
	"github.com/miniasync/miniasync/internal/bench/cpupin"
	"github.com/miniasync/miniasync/internal/bench/loadgen"
	"github.com/miniasync/miniasync/internal/bench/report"
	"github.com/miniasync/miniasync/internal/bench/result"
	"github.com/miniasync/miniasync/internal/bench/runner"
	"github.com/miniasync/miniasync/internal/bench/sweep"
	"github.com/miniasync/miniasync/internal/handlers"
	"github.com/miniasync/miniasync/poller"
)

// Limits on the sweep values, to catch typos before they cost minutes.
const (
	maxConns    = 100_000
	maxPipeline = 4096
	maxRounds   = 50
)

// baselineName names the net/http reference server in tables.
const baselineName = "net/http"

// plan checks every flag and builds the runner's plan and the settings
// recorded with the results. Nothing is started before all checks pass.
func (o *benchOptions) plan() (runner.Plan, result.Settings, error) {
	var none runner.Plan
	var settings result.Settings
	if _, ok := handlers.New(o.handler); !ok && o.handler != handlers.HTTPHelloName {
		return none, settings, fmt.Errorf("unknown --handler %q (choose from: %s)", o.handler, strings.Join(handlers.Names, ", "))
	}
	if o.baseline && !baselineHandles(o.handler) {
		return none, settings, fmt.Errorf("--baseline serves only the %s handlers, not %q", strings.Join(baselineHandlers, ", "), o.handler)
	}
	if o.idle < 0 || o.idle > maxConns {
		return none, settings, fmt.Errorf("--idle %d is out of range (0 to %d)", o.idle, maxConns)
	}
	var conns []int
	var err error
	if strings.TrimSpace(o.conns) != "none" {
		if conns, err = sweep.ParseList("conns", o.conns, maxConns); err != nil {
			return none, settings, err
		}
	} else if o.idle == 0 {
		return none, settings, errors.New("--conns none leaves nothing to measure without --idle")
	}
	pipelines, err := sweep.ParseList("pipeline", o.pipeline, maxPipeline)
	if err != nil {
		return none, settings, err
	}
	if o.duration <= 0 {
		return none, settings, fmt.Errorf("--duration must be positive, not %v", o.duration)
	}
	if o.rounds < 1 || o.rounds > maxRounds {
		return none, settings, fmt.Errorf("--rounds %d is out of range (1 to %d)", o.rounds, maxRounds)
	}
	if o.warmup < 0 {
		return none, settings, fmt.Errorf("--warmup must not be negative, not %v", o.warmup)
	}
	if o.workers < 0 {
		return none, settings, fmt.Errorf("--workers must not be negative, not %d (0: serve's default)", o.workers)
	}
	if o.wrkThreads < 0 {
		return none, settings, fmt.Errorf("--wrk-threads must not be negative, not %d (0: the CPUs the load may use)", o.wrkThreads)
	}
	if o.idleSettle < 0 {
		return none, settings, fmt.Errorf("--idle-settle must not be negative, not %v", o.idleSettle)
	}
	if o.startTimeout <= 0 {
		return none, settings, fmt.Errorf("--start-timeout must be positive, not %v", o.startTimeout)
	}
	if o.stopTimeout < 0 {
		return none, settings, fmt.Errorf("--stop-timeout must not be negative, not %v", o.stopTimeout)
	}
	if o.port < 0 || o.port > 65535 {
		return none, settings, fmt.Errorf("--port %d is out of range", o.port)
	}
	req := loadgen.RequestSpec{Method: o.method, Path: o.path, BodySize: o.bodySize, Host: "check"}
	if _, err := req.Build(); err != nil {
		return none, settings, fmt.Errorf("request flags: %w", err)
	}
	req.Host = ""
	if _, err := report.ParseFormat(o.format); err != nil {
		return none, settings, err
	}
	if o.jsonFile != "" {
		if err := checkOutputFile("json", o.jsonFile); err != nil {
			return none, settings, err
		}
	}
	if o.chartFile != "" {
		if _, err := chart.FormatOf(o.chartFile); err != nil {
			return none, settings, err
		}
		if err := checkOutputFile("chart", o.chartFile); err != nil {
			return none, settings, err
		}
	}
	targets, err := o.targets()
	if err != nil {
		return none, settings, err
	}
	plan := runner.Plan{
		Targets: targets, Points: sweep.Points(conns, pipelines),
		Host: o.host, Port: o.port, Request: req,
		Warmup: o.warmup, Duration: o.duration,
		StartTimeout: o.startTimeout, StopTimeout: o.stopTimeout,
		KeepGoing: o.keepGoing, Rounds: o.rounds,
		Idle: o.idle, IdleSettle: o.idleSettle,
	}
	loadCPUs := runtime.NumCPU()
	if o.cpuPin != "" {
		allowed, err := cpupin.Allowed()
		if err != nil {
			return none, settings, fmt.Errorf("--cpu-pin: %w", err)
		}
		pin, err := cpupin.Parse(o.cpuPin, allowed)
		if err != nil {
			return none, settings, err
		}
		plan.Pin = &pin
		loadCPUs = len(pin.Load)
		settings.CPUPin = pin.String()
	}
	if o.wrk != "" {
		threads := o.wrkThreads
		if threads <= 0 {
			threads = loadCPUs
		}
		plan.Wrk = &runner.WrkPlan{Binary: o.wrk, Threads: threads}
		for _, name := range strings.Split(o.wrkServers, ",") {
			if name = strings.TrimSpace(name); name == "" {
				continue
			}
			if !slices.ContainsFunc(targets, func(t runner.Target) bool { return t.Name == name }) {
				return none, settings, fmt.Errorf("--wrk-servers: no server is named %q", name)
			}
			plan.Wrk.Servers = append(plan.Wrk.Servers, name)
		}
		if _, err := exec.LookPath(o.wrk); err != nil {
			return none, settings, fmt.Errorf("--wrk: %w", err)
		}
	} else if o.wrkServers != "" {
		return none, settings, errors.New("--wrk-servers needs --wrk")
	}
	settings.Handler, settings.Method, settings.Path, settings.BodySize = o.handler, o.method, o.path, o.bodySize
	settings.Duration, settings.Warmup = o.duration.String(), o.warmup.String()
	settings.Conns, settings.Pipelines, settings.Workers = conns, pipelines, o.workers
	settings.Rounds = o.rounds
	settings.Idle = o.idle
	for _, t := range targets {
		settings.Servers = append(settings.Servers, t.Name)
	}
	return plan, settings, nil
}

// targets lists the servers to bench: the backends, then the baseline,
// then the external servers.
func (o *benchOptions) targets() ([]runner.Target, error) {
	exe := o.serverBinary
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("find this program to run its servers: %w", err)
		}
	}
	names, err := selectBackends(o.backends)
	if err != nil {
		return nil, err
	}
	extra, err := runner.SplitCommand(o.serveFlags)
	if err != nil {
		return nil, fmt.Errorf("--serve-flags: %w", err)
	}
	if err := checkServeFlags(extra); err != nil {
		return nil, err
	}
	var out []runner.Target
	for _, b := range names {
		argv := []string{exe, "serve", "--addr", "{addr}", "--backend", b, "--handler", o.handler, "--log-level", "warn"}
		if o.workers > 0 {
			argv = append(argv, "--workers", strconv.Itoa(o.workers))
		}
		argv = append(argv, extra...)
		out = append(out, runner.Target{Name: b, Kind: result.Backend, Argv: argv})
	}
	if o.baseline {
		out = append(out, runner.Target{
			Name: baselineName, Kind: result.Baseline,
			Argv: []string{exe, baselineCommandName, "--addr", "{addr}", "--handler", o.handler},
		})
	}
	for _, e := range o.externals {
		t, err := runner.ParseExternal(e)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	seen := map[string]bool{}
	for _, t := range out {
		if seen[t.Name] {
			return nil, fmt.Errorf("two servers are named %q; give --external another name", t.Name)
		}
		seen[t.Name] = true
	}
	if len(out) == 0 {
		if strings.TrimSpace(o.backends) == "none" {
			return nil, errors.New("nothing to bench: --backends none needs --baseline or --external")
		}
		return nil, errors.New("nothing to bench: no backend is available here; add --baseline or --external")
	}
	return out, nil
}

// selectBackends parses --backends: empty or "all" means every available
// backend, "none" none; every name must be registered and available here.
func selectBackends(flag string) ([]string, error) {
	available := poller.Available()
	switch strings.TrimSpace(flag) {
	case "", "all":
		return available, nil
	case "none":
		return nil, nil
	}
	var names []string
	for _, n := range strings.Split(flag, ",") {
		n = strings.TrimSpace(n)
		if _, err := poller.Lookup(n); err != nil {
			if errors.Is(err, poller.ErrUnavailable) {
				return nil, fmt.Errorf("--backends: %w (available here: %s)", err, strings.Join(available, ", "))
			}
			return nil, fmt.Errorf("--backends: %w", err)
		}
		if slices.Contains(names, n) {
			return nil, fmt.Errorf("--backends: %s is listed twice", n)
		}
		names = append(names, n)
	}
	return names, nil
}

// benchSetsServeFlags are the serve flags bench sets for each server, with
// the bench flag to use instead: in --serve-flags they would override
// bench's value and mislabel the row, or move the server elsewhere.
var benchSetsServeFlags = []struct{ flag, instead string }{
	{"--addr", "--host and --port"},
	{"--backend", "--backends"},
	{"--handler", "bench's --handler"},
	{"--workers", "bench's --workers, which the report records"},
}

// checkServeFlags refuses, in --serve-flags, the flags bench sets itself.
func checkServeFlags(words []string) error {
	for _, w := range words {
		name, _, _ := strings.Cut(w, "=")
		for _, f := range benchSetsServeFlags {
			if name == f.flag {
				return fmt.Errorf("--serve-flags must not set %s: bench sets it for each server (use %s)", f.flag, f.instead)
			}
		}
	}
	return nil
}
