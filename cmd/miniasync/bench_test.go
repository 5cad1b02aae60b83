package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miniasync/miniasync/internal/bench/result"
)

// buildMiniasync builds this command into a temporary directory: the bench
// runs its servers as child processes of a real binary.
func buildMiniasync(t *testing.T) string {
	t.Helper()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	bin := filepath.Join(t.TempDir(), "miniasync")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runBench runs the bench command in this process with args and returns
// its stdout, stderr and error.
func runBench(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	root := newRootCommand()
	var stdout, stderr bytes.Buffer
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetArgs(append([]string{"bench"}, args...))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := root.ExecuteContext(ctx)
	return stdout.String(), stderr.String(), err
}

// TestBenchEndToEnd runs the whole path: a miniasync backend, the net/http
// baseline and an external server, each a real child process, under a
// two-point sweep of 200 ms runs, writing the table, JSON and chart.
func TestBenchEndToEnd(t *testing.T) {
	bin := buildMiniasync(t)
	dir := t.TempDir()
	jsonPath, chartPath := filepath.Join(dir, "bench.json"), filepath.Join(dir, "bench.svg")
	stdout, stderr, err := runBench(t,
		"--server-binary", bin,
		"--backends", "epoll", "--baseline",
		"--external", "ext="+bin+" baseline-nethttp --addr {addr}",
		"--conns", "2,4", "--pipeline", "2",
		"--duration", "300ms", "--warmup", "100ms",
		"--format", "markdown", "--json", jsonPath, "--chart", chartPath,
	)
	if err != nil {
		t.Fatalf("bench: %v\nstderr:\n%s", err, stderr)
	}
	checkTable(t, stdout, "| epoll | 2 | 2 |", "| net/http (baseline) | 4 | 2 |", "| ext | 2 | 2 |", "vs net/http", "Ratios compare with net/http")
	if !strings.Contains(stderr, "epoll conns=2 pipeline=2:") {
		t.Errorf("no progress line on stderr:\n%s", stderr)
	}
	rep := readReport(t, jsonPath)
	if len(rep.Runs) != 6 || rep.Reference != "net/http" || rep.Settings.Handler != "hello" {
		t.Fatalf("report: %d runs, reference %q, settings %+v", len(rep.Runs), rep.Reference, rep.Settings)
	}
	// Other work on the machine may starve one short window; every run
	// must succeed and the servers must have answered.
	var total int64
	for _, r := range rep.Runs {
		total += r.Requests
		if r.Error != "" || r.Errors.Total() != 0 || r.Non2xx != 0 {
			t.Errorf("run %+v", r)
		}
		if runtime.GOOS == "linux" && (!r.ServerCPUKnown || r.PeakRSSBytes == 0) {
			t.Errorf("run without /proc figures: %+v", r)
		}
	}
	if total == 0 {
		t.Error("no request completed")
	}
	svg, err := os.ReadFile(chartPath)
	if err != nil || !bytes.Contains(svg, []byte("<svg")) {
		t.Errorf("chart: %v", err)
	}
}

// TestBenchIdle measures idle connections only, on epoll and the
// baseline, and checks the idle table, JSON and chart.
func TestBenchIdle(t *testing.T) {
	bin := buildMiniasync(t)
	dir := t.TempDir()
	jsonPath, chartPath := filepath.Join(dir, "idle.json"), filepath.Join(dir, "idle.svg")
	stdout, stderr, err := runBench(t,
		"--server-binary", bin, "--backends", "epoll", "--baseline",
		"--idle", "50", "--idle-settle", "100ms", "--conns", "none",
		"--format", "markdown", "--json", jsonPath, "--chart", chartPath,
	)
	if err != nil {
		t.Fatalf("bench: %v\nstderr:\n%s", err, stderr)
	}
	checkTable(t, stdout, "RSS per idle conn B", "| epoll | 50 |", "| net/http (baseline) | 50 |")
	if !strings.Contains(stderr, "epoll with 50 idle connections") {
		t.Errorf("no progress line on stderr:\n%s", stderr)
	}
	rep := readReport(t, jsonPath)
	if len(rep.Runs) != 2 || rep.Settings.Idle != 50 {
		t.Fatalf("report: %d runs, settings %+v", len(rep.Runs), rep.Settings)
	}
	for _, r := range rep.Runs {
		if r.Error != "" || r.IdleConns != 50 || (runtime.GOOS == "linux" && r.IdleRSSAfterBytes <= 0) {
			t.Errorf("idle run %+v", r)
		}
	}
	if svg, err := os.ReadFile(chartPath); err != nil || !bytes.Contains(svg, []byte("idle keep-alive")) {
		t.Errorf("chart: %v", err)
	}
}

// TestBenchHTTPHello benches the http-hello handler, as serve runs it,
// against net/http serving the same net/http handler.
func TestBenchHTTPHello(t *testing.T) {
	bin := buildMiniasync(t)
	stdout, stderr, err := runBench(t,
		"--server-binary", bin, "--backends", "epoll", "--baseline", "--handler", "http-hello",
		"--conns", "2", "--duration", "300ms", "--warmup", "100ms", "--quiet",
	)
	if err != nil {
		t.Fatalf("bench: %v\nstderr:\n%s", err, stderr)
	}
	checkTable(t, stdout, "\nepoll ", "\nnet/http (baseline) ", "Ratios compare with net/http")
	if strings.Contains(stdout, "failed") {
		t.Errorf("a run failed:\n%s", stdout)
	}
}

// TestBenchRounds runs two short rounds of a backend and the baseline and
// checks the merged rows, every round's runs, and that the progress says
// which round runs.
func TestBenchRounds(t *testing.T) {
	bin := buildMiniasync(t)
	jsonPath := filepath.Join(t.TempDir(), "bench.json")
	stdout, stderr, err := runBench(t,
		"--server-binary", bin,
		"--backends", "epoll", "--baseline",
		"--conns", "2", "--pipeline", "2",
		"--duration", "300ms", "--warmup", "100ms", "--rounds", "2",
		"--json", jsonPath,
	)
	if err != nil {
		t.Fatalf("bench: %v\nstderr:\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "medians of 2 rounds") || !strings.Contains(stdout, "\nepoll ") {
		t.Errorf("table and note:\n%s", stdout)
	}
	for _, want := range []string{"round 1 of 2\n", "round 2 of 2\n", "round 2/2: epoll conns=2 pipeline=2:"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("progress lacks %q:\n%s", want, stderr)
		}
	}
	rep := readReport(t, jsonPath)
	if rep.Settings.Rounds != 2 || len(rep.Runs) != 2 || len(rep.RoundRuns) != 4 || rep.Reference != "net/http" {
		t.Fatalf("report: settings %+v, %d runs, %d round runs, reference %q", rep.Settings, len(rep.Runs), len(rep.RoundRuns), rep.Reference)
	}
	var order []string
	for _, r := range rep.RoundRuns {
		order = append(order, r.Server+"@"+strconv.Itoa(r.Round))
		if r.Error != "" || r.Rounds != 0 {
			t.Errorf("round run %+v", r)
		}
	}
	if got := strings.Join(order, ","); got != "epoll@1,net/http@1,epoll@2,net/http@2" {
		t.Errorf("round runs in order %s", got)
	}
	for _, m := range rep.Runs {
		if m.Rounds != 2 || m.Round != 0 || m.FailedRounds != 0 || m.Error != "" {
			t.Errorf("merged run %+v", m)
		}
		var mine []result.Run
		for _, r := range rep.RoundRuns {
			if r.Server == m.Server && r.Conns == m.Conns && r.Pipeline == m.Pipeline {
				mine = append(mine, r)
			}
		}
		if len(mine) != 2 {
			t.Errorf("%s: %d round runs, want 2", m.Server, len(mine))
			continue
		}
		// Two rounds: the median is the mean of the two.
		if want := (mine[0].RequestsPerSec + mine[1].RequestsPerSec) / 2; math.Abs(m.RequestsPerSec-want) > 1e-6*want {
			t.Errorf("%s: merged %v req/s, rounds %v and %v", m.Server, m.RequestsPerSec, mine[0].RequestsPerSec, mine[1].RequestsPerSec)
		}
	}
}

// TestBenchBinary runs the built binary the way CI does, in a child
// process with its own os.Executable.
func TestBenchBinary(t *testing.T) {
	bin := buildMiniasync(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "bench", "--backends", "epoll", "--conns", "4", "--duration", "300ms", "--warmup", "100ms", "--quiet")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "server ") || !strings.Contains(stdout.String(), "\nepoll ") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("--quiet wrote to stderr:\n%s", stderr.String())
	}
}

func TestBenchFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--backends", "nope"}, []string{"unknown backend", `"nope"`, "available:", "epoll"}},
		{[]string{"--backends", "epoll,epoll"}, []string{"listed twice"}},
		{[]string{"--conns", "0"}, []string{"--conns", "out of range"}},
		{[]string{"--pipeline", "1,x"}, []string{"--pipeline", "not a whole number"}},
		{[]string{"--duration", "0s"}, []string{"--duration"}},
		{[]string{"--rounds", "0"}, []string{"--rounds 0", "out of range", "1 to 50"}},
		{[]string{"--rounds", "-2"}, []string{"--rounds -2", "out of range"}},
		{[]string{"--rounds", "51"}, []string{"--rounds 51", "out of range"}},
		{[]string{"--handler", "nope"}, []string{"unknown --handler"}},
		{[]string{"--baseline", "--handler", "echo"}, []string{"--baseline serves only"}},
		{[]string{"--chart", "out.pdf"}, []string{".svg or .png"}},
		{[]string{"--format", "html"}, []string{"--format"}},
		{[]string{"--method", "G T"}, []string{"invalid method"}},
		{[]string{"--external", "oops"}, []string{"NAME=COMMAND"}},
		{[]string{"--external", "epoll=./x"}, []string{"two servers are named"}},
		{[]string{"--backends", "none"}, []string{"nothing to bench: --backends none needs --baseline or --external"}},
		{[]string{"--cpu-pin=0:0"}, []string{"--cpu-pin"}},
		{[]string{"--wrk-servers", "epoll"}, []string{"needs --wrk"}},
		{[]string{"--conns", "none"}, []string{"--conns none", "--idle"}},
		{[]string{"--idle", "-1"}, []string{"--idle -1", "out of range"}},
		{[]string{"--wrk", "wrk", "--wrk-servers", "nope"}, []string{"no server is named"}},
		{[]string{"--workers", "-5", "--server-binary", "/nonexistent/miniasync"}, []string{"--workers must not be negative", "-5"}},
		{[]string{"--wrk-threads", "-3", "--server-binary", "/nonexistent/miniasync"}, []string{"--wrk-threads must not be negative"}},
		{[]string{"--idle-settle", "-1s", "--server-binary", "/nonexistent/miniasync"}, []string{"--idle-settle must not be negative"}},
		{[]string{"--start-timeout", "-1s", "--server-binary", "/nonexistent/miniasync"}, []string{"--start-timeout must be positive"}},
		{[]string{"--start-timeout", "0s", "--server-binary", "/nonexistent/miniasync"}, []string{"--start-timeout must be positive"}},
		{[]string{"--stop-timeout", "-1s", "--server-binary", "/nonexistent/miniasync"}, []string{"--stop-timeout must not be negative"}},
		{[]string{"--serve-flags", "--queue 64 --addr 127.0.0.1:1", "--server-binary", "/nonexistent/miniasync"}, []string{"--serve-flags must not set --addr", "--host and --port"}},
		{[]string{"--serve-flags", "--backend=epoll", "--server-binary", "/nonexistent/miniasync"}, []string{"--serve-flags must not set --backend", "--backends"}},
		{[]string{"--serve-flags", "--handler counter", "--server-binary", "/nonexistent/miniasync"}, []string{"--serve-flags must not set --handler"}},
		{[]string{"--serve-flags", "--workers 8", "--server-binary", "/nonexistent/miniasync"}, []string{"--serve-flags must not set --workers", "bench's --workers"}},
		{[]string{"--wrk", "/nonexistent/wrk", "--server-binary", "/nonexistent/miniasync"}, []string{"--wrk", "/nonexistent/wrk", "no such file"}},
		{[]string{"--wrk", "no-such-wrk-here", "--server-binary", "/nonexistent/miniasync"}, []string{"--wrk", `"no-such-wrk-here"`, "not found"}},
	}
	for _, tt := range tests {
		_, _, err := runBench(t, tt.args...)
		if err == nil {
			t.Errorf("%v: no error", tt.args)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %q lacks %q", tt.args, err, w)
			}
		}
	}
}

// TestBenchSpacedOptionalValue: --cpu-pin (and a bool flag) take a value
// only after "=", so a spaced value is a stray argument; the error says how
// to write it, and bare --cpu-pin still parses.
func TestBenchSpacedOptionalValue(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--cpu-pin", "0:1"}, `unexpected argument "0:1"`},
		{[]string{"--cpu-pin", "0:1"}, "write --cpu-pin=0:1"},
		{[]string{"--keep-going", "false"}, "write --keep-going=false"},
		{[]string{"--keep-going", "--cpu-pin", "0:1"}, `"0:1": a value for a flag that may stand alone follows "=": write --cpu-pin=0:1`},
		{[]string{"extra"}, `unexpected argument "extra": "miniasync bench" takes flags only`},
	} {
		_, _, err := runBench(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want %q", tt.args, err, tt.want)
		}
	}
	// Bare --cpu-pin is "auto": the bench goes on to check the other flags.
	_, _, err := runBench(t, "--cpu-pin", "--rounds", "0")
	if err == nil || !strings.Contains(err.Error(), "--rounds 0") {
		t.Errorf("bare --cpu-pin: error %v, want the --rounds error", err)
	}
}

// TestBenchOutputPathsCheckedFirst: a --json or --chart file that cannot be
// written is an error before any server starts (here the server binary does
// not even exist, so a started bench would fail otherwise).
func TestBenchOutputPathsCheckedFirst(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--json", filepath.Join(missing, "b.json")}, "--json " + filepath.Join(missing, "b.json") + ": its directory " + missing + " does not exist"},
		{[]string{"--chart", filepath.Join(missing, "b.svg")}, "--chart " + filepath.Join(missing, "b.svg") + ": its directory " + missing + " does not exist"},
		{[]string{"--json", dir}, "is a directory"},
		{[]string{"--json", filepath.Join(file, "sub", "b.json")}, "not a directory"}, // not "does not exist"
	} {
		args := append([]string{"--server-binary", filepath.Join(missing, "miniasync"), "--backends", "epoll", "--duration", "100ms", "--quiet"}, tt.args...)
		_, _, err := runBench(t, args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want %q", tt.args, err, tt.want)
		}
	}
}

// TestBenchWriteKeepsTable: when a file cannot be written at the end, the
// table and note are still printed, and the error follows.
func TestBenchWriteKeepsTable(t *testing.T) {
	o := &benchOptions{format: "text", jsonFile: filepath.Join(t.TempDir(), "gone", "b.json")}
	rep := newReport(time.Now(), result.Settings{Rounds: 1, Handler: "hello"}, []result.Run{
		{Server: "epoll", Kind: result.Backend, Conns: 2, Pipeline: 1, Requests: 100, RequestsPerSec: 1000},
	})
	var stdout bytes.Buffer
	err := o.write(&stdout, rep)
	if err == nil || !strings.Contains(err.Error(), "--json") {
		t.Errorf("error %v, want the --json failure", err)
	}
	checkTable(t, stdout.String(), "\nepoll ", "Ratios compare with epoll")
}

func TestBenchPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	_, _, err = runBench(t, "--backends", "epoll", "--port", port, "--duration", "100ms", "--quiet")
	if err == nil || !strings.Contains(err.Error(), "port in use") || !strings.Contains(err.Error(), port) {
		t.Fatalf("err %v, want port in use", err)
	}
}

func TestBenchServerFailsToStart(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	_, _, err := runBench(t, "--backends", "none",
		"--external", `bad=sh -c "echo listen: cannot bind $ADDR >&2; exit 7"`,
		"--duration", "100ms", "--quiet")
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"server exited", "bad", "exit status 7", "listen: cannot bind 127.0.0.1:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// TestBenchKeepGoingAllFailed: with --keep-going the failures are printed,
// but a bench in which no server succeeded still exits non-zero.
func TestBenchKeepGoingAllFailed(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	stdout, _, err := runBench(t, "--backends", "none", "--keep-going",
		"--external", `bad=sh -c "exit 7"`, "--duration", "100ms", "--quiet")
	if err == nil || !strings.Contains(err.Error(), "every server failed") {
		t.Errorf("error %v, want every server failed", err)
	}
	if !strings.Contains(stdout, "bad at conns=64 pipeline=1 failed") {
		t.Errorf("the failure is not in the notes:\n%s", stdout)
	}
}

func TestBaselineHandler(t *testing.T) {
	h, err := baselineHandler("hello")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/anything")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body := new(bytes.Buffer)
	_, _ = body.ReadFrom(res.Body)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/plain" || res.Header.Get("Content-Length") != "5" ||
		res.Header.Get("Date") == "" || body.String() != "Hello" {
		t.Errorf("got %d %v %q", res.StatusCode, res.Header, body.String())
	}

	c, err := baselineHandler("counter")
	if err != nil {
		t.Fatal(err)
	}
	for want := 1; want <= 2; want++ {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if rec.Body.String() != strconv.Itoa(want) {
			t.Errorf("counter: %q, want %d", rec.Body.String(), want)
		}
	}
	hh, err := baselineHandler("http-hello")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	hh.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 200 || rec.Body.String() != "Hello" || rec.Header().Get("Content-Type") != "text/plain" {
		t.Errorf("http-hello: %d %v %q", rec.Code, rec.Header(), rec.Body.String())
	}
	if _, err := baselineHandler("echo"); err == nil {
		t.Error("echo: no error")
	}
}

func TestCommandLine(t *testing.T) {
	got := commandLine([]string{"/tmp/x/miniasync", "bench", "--external", "a=./srv --addr {addr}", "--path", "it's"})
	want := `miniasync bench --external 'a=./srv --addr {addr}' --path 'it'\''s'`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestBenchInterrupted sends SIGINT (Ctrl-C) or SIGHUP (a closed terminal)
// to a running bench and checks that it stops its server before exiting.
func TestBenchInterrupted(t *testing.T) {
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) { benchInterruptedBy(t, sig) })
	}
}

// benchInterruptedBy stops a bench with sig and checks it says so, exits
// 1 and leaves no server behind (a closed terminal sends SIGHUP).
func benchInterruptedBy(t *testing.T, sig os.Signal) {
	bin := buildMiniasync(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "bench", "--backends", "epoll", "--conns", "2", "--duration", "30s", "--warmup", "0s")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// "epoll: serving on 127.0.0.1:PORT" tells where the server is.
	var addr string
	var seen bytes.Buffer
	buf := make([]byte, 4096)
	for addr == "" {
		n, err := stderr.Read(buf)
		seen.Write(buf[:n])
		if err != nil {
			t.Fatalf("bench ended before serving: %v\n%s", err, seen.String())
		}
		for _, line := range strings.Split(seen.String(), "\n") {
			if a, ok := strings.CutPrefix(line, "epoll: serving on "); ok {
				addr = strings.TrimSpace(a)
			}
		}
	}
	time.Sleep(200 * time.Millisecond)
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	rest := new(bytes.Buffer)
	_, _ = rest.ReadFrom(stderr)
	err = cmd.Wait()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
		t.Errorf("exit: %v, want status 1", err)
	}
	if !strings.Contains(rest.String(), "interrupted") {
		t.Errorf("stderr lacks the interruption:\n%s", rest.String())
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		_ = c.Close()
		t.Errorf("the server on %s still accepts after the bench exited", addr)
	}
}

// readReport loads the JSON report a bench run wrote.
func readReport(t *testing.T, path string) result.Report {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep result.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// checkTable fails for every expected cell missing from the table output.
func checkTable(t *testing.T, stdout string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
}
