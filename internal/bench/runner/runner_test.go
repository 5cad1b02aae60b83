package runner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniasync/miniasync/internal/bench/child"
	"github.com/miniasync/miniasync/internal/bench/result"
	"github.com/miniasync/miniasync/internal/bench/sweep"
)

// helperEnv makes the test binary act as a server; see TestMain.
const helperEnv = "RUNNER_TEST_SERVER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(serveHelper(mode))
	}
	os.Exit(m.Run())
}

// serveHelper is a child server: "hello" answers Hello until SIGTERM;
// "fail" exits at once; "dies" serves briefly and exits.
func serveHelper(mode string) int {
	addr := os.Getenv("ADDR")
	if mode == "fail" {
		fmt.Fprintln(os.Stderr, "boom: cannot start")
		return 2
	}
	if mode == "dies" {
		go func() {
			time.Sleep(300 * time.Millisecond)
			fmt.Fprintln(os.Stderr, "dying on purpose")
			os.Exit(5)
		}()
	}
	srv := &http.Server{Addr: addr, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("Hello"))
	})}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func helperTarget(name, mode string, kind result.Kind) Target {
	return Target{Name: name, Kind: kind, Argv: []string{os.Args[0], "-test.run=^$"}, Env: []string{helperEnv + "=" + mode}}
}

// recorder is an Observer that keeps what it hears.
type recorder struct {
	mu       sync.Mutex
	addrs    []string
	finished []result.Run
	warnings []string
	progress []func() int64
	rounds   [][2]int
}

func (r *recorder) RoundStarting(round, rounds int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rounds = append(r.rounds, [2]int{round, rounds})
}

func (r *recorder) ServerStarted(_ Target, addr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addrs = append(r.addrs, addr)
}

func (r *recorder) RunStarting(_ Target, _ sweep.Point, _ time.Duration, p func() int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.progress = append(r.progress, p)
}

func (r *recorder) RunFinished(run result.Run) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finished = append(r.finished, run)
}

func (r *recorder) WrkStarting(Target, sweep.Point, time.Duration) {}

func (r *recorder) Warning(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.warnings = append(r.warnings, msg)
}

func basePlan(targets ...Target) Plan {
	return Plan{
		Targets: targets, Points: []sweep.Point{{Conns: 2, Pipeline: 1}, {Conns: 2, Pipeline: 4}},
		Host: "127.0.0.1", Warmup: 100 * time.Millisecond, Duration: 300 * time.Millisecond,
		StartTimeout: 10 * time.Second, StopTimeout: 5 * time.Second,
	}
}

// assertStopped checks that nothing accepts on the servers' addresses.
func assertStopped(t *testing.T, addrs []string) {
	t.Helper()
	for _, a := range addrs {
		if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			_ = c.Close()
			t.Errorf("something still accepts on %s", a)
		}
	}
}

func TestRunServersAndPoints(t *testing.T) {
	obs := &recorder{}
	runs, err := Run(context.Background(), basePlan(
		helperTarget("one", "hello", result.Backend),
		helperTarget("ref", "hello", result.Baseline),
	), obs)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 4 || len(obs.finished) != 4 || len(obs.addrs) != 2 {
		t.Fatalf("%d runs, %d finished, %d servers", len(runs), len(obs.finished), len(obs.addrs))
	}
	// The machine may be busy with other work: every run must succeed,
	// but a single short window may complete nothing.
	var total int64
	for i, r := range runs {
		total += r.Requests
		if r.Error != "" || r.Errors.Total() != 0 || r.Non2xx != 0 || (r.Requests > 0 && r.Latency.P50 <= 0) {
			t.Errorf("run %d: %+v", i, r)
		}
		if !strings.Contains(r.Command, os.Args[0]) {
			t.Errorf("run %d command %q", i, r.Command)
		}
		if runtime.GOOS == "linux" && (!r.ServerCPUKnown || r.ServerCPUSeconds < 0 || r.PeakRSSBytes <= 0) {
			t.Errorf("run %d: no /proc figures: %+v", i, r)
		}
	}
	if total == 0 {
		t.Error("no run completed a request")
	}
	if runs[1].Pipeline != 4 || runs[2].Server != "ref" || runs[2].Kind != result.Baseline {
		t.Errorf("order: %+v", runs)
	}
	if len(obs.rounds) != 0 || runs[0].Round != 0 {
		t.Errorf("a single round was numbered: %v, %+v", obs.rounds, runs[0])
	}
	if obs.progress[0]() == 0 {
		t.Error("progress counter stayed at zero")
	}
	assertStopped(t, obs.addrs)
}

func TestRoundsInterleave(t *testing.T) {
	obs := &recorder{}
	plan := basePlan(helperTarget("one", "hello", result.Backend), helperTarget("two", "hello", result.Baseline))
	plan.Points = plan.Points[:1]
	plan.Rounds = 2
	runs, err := Run(context.Background(), plan, obs)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, r := range runs {
		order = append(order, fmt.Sprintf("%s@%d", r.Server, r.Round))
		if r.Error != "" {
			t.Errorf("run %+v", r)
		}
	}
	if got := strings.Join(order, ","); got != "one@1,two@1,one@2,two@2" {
		t.Errorf("order %s: want every server in round 1, then again in round 2", got)
	}
	if len(obs.addrs) != 4 {
		t.Errorf("%d servers started, want a fresh one per server and round", len(obs.addrs))
	}
	if fmt.Sprint(obs.rounds) != "[[1 2] [2 2]]" {
		t.Errorf("rounds heard: %v", obs.rounds)
	}
	assertStopped(t, obs.addrs)

	plan.Rounds = -1
	if _, err := Run(context.Background(), plan, nil); err == nil {
		t.Error("no error for -1 rounds")
	}
}

func TestFailingServer(t *testing.T) {
	_, err := Run(context.Background(), basePlan(helperTarget("bad", "fail", result.External)), nil)
	if !errors.Is(err, child.ErrExited) || !strings.Contains(err.Error(), "boom: cannot start") {
		t.Fatalf("err %v, want ErrExited with the server's output", err)
	}

	obs := &recorder{}
	plan := basePlan(helperTarget("bad", "fail", result.External), helperTarget("good", "hello", result.Backend))
	plan.KeepGoing = true
	runs, err := Run(context.Background(), plan, obs)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 4 || runs[0].Error == "" || runs[1].Error == "" || runs[2].Error != "" || runs[3].Error != "" {
		t.Errorf("keep-going runs: %+v", runs)
	}
	if len(obs.warnings) == 0 {
		t.Error("no warning for the failed server")
	}
}

func TestServerDiesDuringRun(t *testing.T) {
	plan := basePlan(helperTarget("dies", "dies", result.External))
	plan.Duration = 600 * time.Millisecond
	_, err := Run(context.Background(), plan, nil)
	if !errors.Is(err, child.ErrExited) && (err == nil || !strings.Contains(err.Error(), "no response")) {
		t.Fatalf("err %v, want the server's exit", err)
	}
}

func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	plan := basePlan(helperTarget("one", "hello", result.Backend))
	plan.Port = ln.Addr().(*net.TCPAddr).Port
	_, err = Run(context.Background(), plan, nil)
	if !errors.Is(err, ErrPortInUse) {
		t.Fatalf("err %v, want ErrPortInUse", err)
	}
}

func TestCancelStopsAndReaps(t *testing.T) {
	obs := &recorder{}
	plan := basePlan(helperTarget("one", "hello", result.Backend))
	plan.Duration = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Run(ctx, plan, obs)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the context's", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %v to stop", took)
	}
	assertStopped(t, obs.addrs)
}

func TestRunWithWrk(t *testing.T) {
	bin, err := exec.LookPath("wrk")
	if err != nil {
		t.Skip("wrk is not installed")
	}
	if testing.Short() {
		t.Skip("wrk runs for a whole second")
	}
	plan := basePlan(helperTarget("one", "hello", result.Backend))
	plan.Points = plan.Points[1:]
	plan.Wrk = &WrkPlan{Binary: bin, Threads: 1}
	runs, err := Run(context.Background(), plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := runs[0].Wrk; w == nil || w.Error != "" || w.RequestsPerSec <= 0 {
		t.Errorf("wrk result %+v", w)
	}
}
