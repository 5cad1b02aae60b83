package child

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// helperEnv makes the test binary act as a child server; see TestMain.
const helperEnv = "CHILD_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helper(mode))
	}
	os.Exit(m.Run())
}

// helper is the child's side: a tiny server in several bad moods.
func helper(mode string) int {
	addr := os.Getenv("ADDR")
	switch mode {
	case "fail":
		fmt.Fprintln(os.Stderr, "starting")
		fmt.Fprintln(os.Stderr, "listen tcp "+addr+": bind: address already in use")
		return 3
	case "silent":
		time.Sleep(time.Minute)
		return 0
	case "spawn":
		// A grandchild in the same process group, which the child does
		// not stop: Stop must kill it too.
		gc := exec.Command(os.Args[0], "-test.run=^$")
		gc.Env = append(os.Environ(), helperEnv+"=silent")
		if err := gc.Start(); err != nil {
			return 4
		}
		fmt.Println("grandchild", gc.Process.Pid)
	}
	// Signals are set up before listening: the parent sees the helper
	// ready once it accepts, and may send SIGTERM at once.
	sig := make(chan os.Signal, 1)
	if mode == "stubborn" {
		signal.Ignore(unix.SIGTERM)
	} else {
		signal.Notify(sig, unix.SIGTERM)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	<-sig
	return 0
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startHelper(t *testing.T, mode, addr string) *Process {
	t.Helper()
	p, err := Start(Spec{
		Name: mode,
		Argv: []string{os.Args[0], "-test.run=^$"},
		Env:  []string{helperEnv + "=" + mode, "ADDR=" + addr},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(time.Second) })
	return p
}

func TestStartReadyStop(t *testing.T) {
	addr := freeAddr(t)
	p := startHelper(t, "serve", addr)
	if err := p.WaitReady(context.Background(), addr, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := p.Alive(); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(5 * time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !p.Exited() {
		t.Fatal("not reaped after Stop")
	}
	if err := p.Stop(time.Second); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestFailingServerShowsItsOutput(t *testing.T) {
	addr := freeAddr(t)
	p := startHelper(t, "fail", addr)
	err := p.WaitReady(context.Background(), addr, 10*time.Second)
	if !errors.Is(err, ErrExited) {
		t.Fatalf("err %v, want ErrExited", err)
	}
	for _, want := range []string{"exit status 3", "address already in use", "starting"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestNotReadyInTime(t *testing.T) {
	addr := freeAddr(t)
	p := startHelper(t, "silent", addr)
	err := p.WaitReady(context.Background(), addr, 200*time.Millisecond)
	if !errors.Is(err, ErrNotReady) {
		t.Fatalf("err %v, want ErrNotReady", err)
	}
	if err := p.Stop(5 * time.Second); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

func TestStubbornServerIsKilled(t *testing.T) {
	addr := freeAddr(t)
	p := startHelper(t, "stubborn", addr)
	if err := p.WaitReady(context.Background(), addr, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(200 * time.Millisecond); !errors.Is(err, ErrKilled) {
		t.Fatalf("Stop: %v, want ErrKilled", err)
	}
	if !p.Exited() {
		t.Fatal("not reaped")
	}
}

func TestStopKillsTheWholeGroup(t *testing.T) {
	addr := freeAddr(t)
	p := startHelper(t, "spawn", addr)
	if err := p.WaitReady(context.Background(), addr, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	var pid int
	for _, line := range strings.Split(p.Output(10), "\n") {
		if s, ok := strings.CutPrefix(line, "grandchild "); ok {
			pid, _ = strconv.Atoi(s)
		}
	}
	if pid == 0 {
		t.Fatalf("no grandchild pid in %q", p.Output(10))
	}
	if err := p.Stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	// The grandchild is killed; its new parent reaps it soon after.
	for end := time.Now().Add(5 * time.Second); ; {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Contains(string(data), ") Z ") {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("grandchild %d still running", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStartErrors(t *testing.T) {
	if _, err := Start(Spec{Name: "empty"}); err == nil {
		t.Error("empty argv: no error")
	}
	if _, err := Start(Spec{Name: "missing", Argv: []string{"/nonexistent/server"}}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing program: %v", err)
	}
}

func TestTail(t *testing.T) {
	tl := NewTail(16)
	_, _ = tl.Write([]byte("first line\nsecond\n"))
	_, _ = tl.Write([]byte("third\n"))
	if got := tl.Lines(5); got != "second\nthird" {
		t.Errorf("got %q", got)
	}
	if got := tl.Lines(1); got != "third" {
		t.Errorf("got %q", got)
	}
	_, _ = tl.Write([]byte(strings.Repeat("x", 40) + "\nend\n"))
	if got := tl.Lines(5); got != "end" {
		t.Errorf("a line cut by the limit should be dropped, got %q", got)
	}
}
