package suite

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/miniasync/miniasync/server"
)

// fdLimitEnv, set to a backend name, turns a test binary into the child of
// the descriptor-exhaustion test (see RunChildIfAsked).
const fdLimitEnv = "MINIASYNC_SUITE_FDLIMIT_BACKEND"

// childFDLimit is the child's RLIMIT_NOFILE: a few dozen connections.
const childFDLimit = 64

// RunChildIfAsked makes the test binary act as the descriptor-exhaustion
// child when the parent test started it so: it serves with a low
// RLIMIT_NOFILE until its standard input closes, then exits. Call it first
// in TestMain; otherwise it returns at once.
func RunChildIfAsked() {
	backend := os.Getenv(fdLimitEnv)
	if backend == "" {
		return
	}
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err == nil {
		lim.Cur = childFDLimit
		err = unix.Setrlimit(unix.RLIMIT_NOFILE, &lim)
		if err != nil {
			fmt.Fprintln(os.Stderr, "setrlimit:", err)
			os.Exit(2)
		}
	}
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", Backend: backend, Workers: 2}, server.HandlerFunc(Handler))
	if err == nil {
		err = srv.Listen()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	fmt.Println(srv.Addr())
	go func() { _ = srv.Serve() }()
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = srv.Close()
	os.Exit(0)
}

// cpuTime returns a process's user+system CPU time from /proc.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses.
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond, nil
}

// testFDExhaustion runs a server whose descriptor table fills up: it must
// keep serving the connections it has, not spin on accept, and accept again
// once descriptors free up.
func testFDExhaustion(t *testing.T, tg Target) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc to measure the child's CPU time")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fdLimitEnv+"="+tg.Backend)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("child did not exit; stderr:\n%s", stderr.String())
		}
	}()
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("child gave no address: %v; stderr:\n%s", err, stderr.String())
	}
	addr = strings.TrimSpace(addr)

	// A kept-alive connection opened before the table fills.
	first := Dial(t, addr)
	firstR := bufio.NewReader(first)
	io.WriteString(first, get("/hello"))
	if _, err := ReadResponse(firstR, false); err != nil {
		t.Fatal(err)
	}
	// Far more connections than the child has descriptors: the kernel
	// completes the handshakes and queues them.
	var flood []net.Conn
	for range 3 * childFDLimit {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		flood = append(flood, c)
	}
	time.Sleep(300 * time.Millisecond) // the child hits EMFILE
	before, err := cpuTime(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	after, _ := cpuTime(cmd.Process.Pid)
	if spent := after - before; spent > 300*time.Millisecond {
		t.Fatalf("child used %v of CPU in 1s with its descriptor table full: the accept loop spins", spent)
	}
	// The connection it has is still served.
	io.WriteString(first, get("/hello"))
	if res, err := ReadResponse(firstR, false); err != nil || string(res.Body) != "Hello" {
		t.Fatalf("existing connection not served while descriptors are exhausted: %v", err)
	}
	// Free descriptors: queued connections get accepted and served.
	for _, c := range flood {
		_ = c.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.SetDeadline(time.Now().Add(2 * time.Second))
			io.WriteString(c, get("/hello"))
			res, rerr := ReadResponse(bufio.NewReader(c), false)
			_ = c.Close()
			if rerr == nil && string(res.Body) == "Hello" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new connection served after descriptors were freed; child stderr:\n%s", stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
