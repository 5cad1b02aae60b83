package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miniasync/miniasync/poller"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the miniasync command once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "miniasync-cmd-test-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "miniasync")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("building the command: %v", buildErr)
	}
	return binPath
}

var addrLine = regexp.MustCompile(`"addr": "([^"]+)"`)

// served is a running `miniasync serve` process.
type served struct {
	addr string
	cmd  *exec.Cmd
	// stop sends SIGTERM and returns the exit error and everything the
	// process logged.
	stop func() (error, string)
}

// startServe runs `miniasync serve` with args on a free loopback port.
func startServe(t *testing.T, args ...string) served {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	cmd := exec.CommandContext(ctx, binary(t), append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	lines := bufio.NewScanner(stderr)
	addr := ""
	for addr == "" && lines.Scan() {
		logged.WriteString(lines.Text() + "\n")
		if m := addrLine.FindStringSubmatch(lines.Text()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		cancel()
		_ = cmd.Wait()
		t.Fatalf("serve did not report its address; it logged:\n%s", logged.String())
	}
	rest := make(chan string, 1)
	go func() { b, _ := io.ReadAll(stderr); rest <- string(b) }()
	stopped := false
	stop := func() (error, string) {
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		err := cmd.Wait()
		cancel()
		return err, logged.String() + <-rest
	}
	t.Cleanup(func() {
		if !stopped {
			stop()
		}
	})
	return served{addr: addr, cmd: cmd, stop: stop}
}

func fetch(t *testing.T, url string, body string) (string, *http.Response) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var res *http.Response
	var err error
	if body == "" {
		res, err = client.Get(url)
	} else {
		res, err = client.Post(url, "text/plain", strings.NewReader(body))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), res
}

func TestServeHelloAndGracefulStop(t *testing.T) {
	srv := startServe(t)
	body, res := fetch(t, "http://"+srv.addr+"/", "")
	if body != "Hello" || res.Header.Get("Content-Type") != "text/plain" {
		t.Fatalf("GET /: %q %q", body, res.Header.Get("Content-Type"))
	}
	err, logged := srv.stop()
	if err != nil {
		t.Fatalf("serve exited with %v after SIGTERM, want 0; log:\n%s", err, logged)
	}
	for _, want := range []string{`"backend": "epoll"`, `"workers": 3`, "shutting down", "stopped"} {
		if !strings.Contains(logged, want) {
			t.Errorf("log lacks %s:\n%s", want, logged)
		}
	}
}

// TestServeInlineSaysSo: --inline serves, and the start-up line says
// that handlers run on the event loop rather than naming a worker count.
func TestServeInlineSaysSo(t *testing.T) {
	srv := startServe(t, "--inline")
	if body, _ := fetch(t, "http://"+srv.addr+"/", ""); body != "Hello" {
		t.Fatalf("GET /: %q", body)
	}
	err, logged := srv.stop()
	if err != nil {
		t.Fatalf("serve exited with %v; log:\n%s", err, logged)
	}
	if !strings.Contains(logged, `"handlers": "inline, on the event loop"`) || strings.Contains(logged, `"workers"`) {
		t.Errorf("the log does not say inline, or names workers:\n%s", logged)
	}
}

// TestServeNetpollWithItsSettings: --backend netpoll serves, with the
// netpoll flags applied.
func TestServeNetpollWithItsSettings(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the netpoll backend registers on Linux only")
	}
	srv := startServe(t, "--backend", "netpoll", "--netpoll-pollers", "2", "--netpoll-runner", "go")
	body, res := fetch(t, "http://"+srv.addr+"/", "")
	if body != "Hello" || res.Header.Get("Content-Type") != "text/plain" {
		t.Fatalf("GET /: %q %q", body, res.Header.Get("Content-Type"))
	}
	if err, logged := srv.stop(); err != nil || !strings.Contains(logged, `"backend": "netpoll"`) {
		t.Fatalf("serve exited with %v; log:\n%s", err, logged)
	}
}

// TestServeIouringWithItsSettings: --backend iouring serves where the
// kernel allows io_uring, with the iouring flags applied.
func TestServeIouringWithItsSettings(t *testing.T) {
	if _, err := poller.Lookup("iouring"); err != nil {
		t.Skipf("iouring unavailable here: %v", err)
	}
	srv := startServe(t, "--backend", "iouring", "--iouring-direct-writes", "--iouring-buffers", "64")
	for range 3 {
		if body, _ := fetch(t, "http://"+srv.addr+"/", ""); body != "Hello" {
			t.Fatalf("GET /: %q", body)
		}
	}
	if err, logged := srv.stop(); err != nil || !strings.Contains(logged, `"backend": "iouring"`) {
		t.Fatalf("serve exited with %v; log:\n%s", err, logged)
	}
}

func TestServeCounter(t *testing.T) {
	addr := startServe(t, "--handler", "counter", "--workers", "4").addr
	for want := 1; want <= 5; want++ {
		if body, _ := fetch(t, "http://"+addr+"/", ""); body != strconv.Itoa(want) {
			t.Fatalf("request %d: counter says %q", want, body)
		}
	}
}

func TestServeHTTPHello(t *testing.T) {
	addr := startServe(t, "--handler", "http-hello").addr
	body, res := fetch(t, "http://"+addr+"/", "")
	if body != "Hello" || res.Header.Get("Content-Type") != "text/plain" || res.Header.Get("Content-Length") != "5" {
		t.Fatalf("http-hello: %q %v", body, res.Header)
	}
}

func TestServeEcho(t *testing.T) {
	addr := startServe(t, "--handler", "echo").addr
	body, res := fetch(t, "http://"+addr+"/p?q=1", "payload")
	if res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("Content-Type %q", res.Header.Get("Content-Type"))
	}
	for _, want := range []string{`{"method": "POST", "target": "/p?q=1", "proto": "HTTP/1.1", "headers": [["Host","` + addr + `"]`, `"body": "payload"}`} {
		if !strings.Contains(body, want) {
			t.Fatalf("echo body %s lacks %s", body, want)
		}
	}
}

func TestServeFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--backend", "nope"}, `unknown backend "nope" (available: epoll`},
		{[]string{"serve", "--handler", "nope"}, `unknown --handler "nope" (choose from: hello, counter, echo, http-hello)`},
		{[]string{"serve", "--log-level", "loud"}, "--log-level"},
		{[]string{"serve", "--log-level", "fatal"}, `--log-level: unknown level "fatal" (choose from: debug, info, warn, error)`},
		{[]string{"serve", "--log-level", "dpanic"}, `--log-level: unknown level "dpanic"`},
		{[]string{"serve", "--workers", "-2"}, "--workers must not be negative, got -2"},
		{[]string{"serve", "--max-body", "-1"}, "--max-body must not be negative, got -1"},
		{[]string{"serve", "--queue", "-1"}, "--queue must not be negative"},
		{[]string{"serve", "--max-conns", "-1"}, "--max-conns must not be negative"},
		{[]string{"serve", "--max-pipelined", "-1"}, "--max-pipelined must not be negative"},
		{[]string{"serve", "--max-output", "-1"}, "--max-output must not be negative"},
		{[]string{"serve", "--workers", "4", "--max-workers", "2"}, "--max-workers 2 must not be below --workers (4)"},
		{[]string{"serve", "--workers", "2000000000"}, "--workers 2000000000 is too large (at most 65536)"},
		{[]string{"serve", "--workers", "4", "--max-workers", "70000"}, "--max-workers 70000 is too large"},
		{[]string{"serve", "--queue", "100000000"}, "--queue 100000000 is too large"},
		{[]string{"serve", "--idle-timeout", "0"}, "--idle-timeout must be positive (it cannot be turned off), got 0s"},
		{[]string{"serve", "--read-header-timeout", "-1s"}, "--read-header-timeout must be positive"},
		{[]string{"serve", "--read-body-timeout", "0s"}, "--read-body-timeout must be positive"},
		{[]string{"serve", "--write-timeout", "0s"}, "--write-timeout must be positive"},
		{[]string{"serve", "--shutdown-timeout", "-1s"}, "--shutdown-timeout must not be negative"},
		{[]string{"serve", "--inline", "--queue", "5"}, "--queue has no effect with --inline"},
		{[]string{"serve", "--inline", "--max-workers", "8"}, "--max-workers has no effect with --inline"},
		{[]string{"serve", "extra"}, `unexpected argument "extra": "miniasync serve" takes flags only (see --help)`},
		{[]string{"serve", "--inline", "false"}, `unexpected argument "false": a value for a flag that may stand alone follows "=": write --inline=false`},
		{[]string{"serve", "--backend", "epoll", "--netpoll-pollers", "2"}, "apply to --backend netpoll only"},
		{[]string{"serve", "--backend", "netpoll", "--netpoll-runner", "inline"}, `unknown runner "inline" (choose from: pool, go)`},
		{[]string{"serve", "--backend", "netpoll", "--netpoll-pollers", "-1"}, "--netpoll-pollers must not be negative"},
		{[]string{"serve", "--backend", "epoll", "--iouring-direct-writes"}, "apply to --backend iouring only"},
	} {
		// Bounded and on loopback, should a bad flag start a server.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, err := exec.CommandContext(ctx, binary(t), append(tc.args, "--addr", "127.0.0.1:0")...).CombinedOutput()
		cancel()
		if err == nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("%v: exit %v, output %q; want a failure mentioning %q", tc.args, err, out, tc.want)
		}
	}
}

func TestServeHelpExplainsFlags(t *testing.T) {
	out, err := exec.Command(binary(t), "serve", "--help").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--addr", "--workers", "--backend", "available here: epoll", "--handler", "hello", "counter", "echo", "--log-level",
		"(0: one per CPU, GOMAXPROCS", "(0: the default, 64)", "(0: the default, 65536)", "(0: the default, 10 MiB)", "it cannot be turned off", "(0: no wait: connections close at once"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("serve --help lacks %q", want)
		}
	}
}

// TestServeSignals: the first SIGTERM waits for a request in flight (here a
// client stuck mid-request) up to --shutdown-timeout and exits 0; a second
// signal exits at once with status 1.
func TestServeSignals(t *testing.T) {
	for _, tc := range []struct {
		name       string
		second     bool
		wantExit   int
		atMost     time.Duration
		shutdownTO string
	}{
		{"deadline then exit 0", false, 0, 5 * time.Second, "500ms"},
		{"second signal exits 1", true, 1, 3 * time.Second, "60s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServe(t, "--shutdown-timeout", tc.shutdownTO)
			c, err := net.Dial("tcp", srv.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n") // never finished
			time.Sleep(100 * time.Millisecond)
			cmd := srv.cmd
			start := time.Now()
			_ = cmd.Process.Signal(syscall.SIGTERM)
			if tc.second {
				time.Sleep(200 * time.Millisecond)
				_ = cmd.Process.Signal(syscall.SIGTERM)
			}
			err = cmd.Wait()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			}
			if code != tc.wantExit || time.Since(start) > tc.atMost {
				t.Fatalf("exit %d after %v, want %d within %v", code, time.Since(start), tc.wantExit, tc.atMost)
			}
		})
	}
}

// TestServeProfileSurvivesSecondSignal: a second signal exits at once, and
// the CPU profile is still written out (os.Exit skips deferred calls).
func TestServeProfileSurvivesSecondSignal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.prof")
	srv := startServe(t, "--cpu-profile", path, "--shutdown-timeout", "60s")
	c, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n") // never finished: shutdown waits
	time.Sleep(100 * time.Millisecond)
	_ = srv.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(200 * time.Millisecond)
	_ = srv.cmd.Process.Signal(syscall.SIGTERM)
	_ = srv.cmd.Wait()
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b { // pprof profiles are gzipped
		t.Fatalf("profile after a second signal: %d bytes, %v; want a gzipped profile", len(b), err)
	}
}
