package child

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

var (
	// ErrExited is wrapped by errors for a child that exited when it
	// should have been serving.
	ErrExited = errors.New("server exited")
	// ErrNotReady is wrapped by WaitReady's error when the child did not
	// accept connections in time.
	ErrNotReady = errors.New("server did not accept connections in time")
	// ErrKilled is wrapped by Stop's error when the child ignored SIGTERM
	// for the whole grace period and was killed.
	ErrKilled = errors.New("server killed after ignoring SIGTERM")
)

// Spec says how to start a child.
type Spec struct {
	// Name names the server in messages.
	Name string
	// Argv is the program and its arguments; Argv[0] is looked up in
	// PATH when it has no slash.
	Argv []string
	// Env holds extra NAME=value entries added to this process's
	// environment.
	Env []string
	// Start, if set, starts the command instead of cmd.Start, for example
	// on a thread with another CPU affinity.
	Start func(cmd *exec.Cmd) error
}

// Process is a running (or exited) child. Its methods are safe for
// concurrent use; Stop must be called once it is no longer needed, and is
// harmless to call again.
type Process struct {
	name string
	cmd  *exec.Cmd
	out  *Tail
	done chan struct{}
	err  error // cmd.Wait's result, set before done is closed

	stopOnce sync.Once
	stopErr  error
}

// outputTail is how much of a child's output is kept for messages.
const outputTail = 16 << 10

// Start starts the child with stdout and stderr captured into a tail
// buffer, and a goroutine that reaps it as soon as it exits.
func Start(spec Spec) (*Process, error) {
	if len(spec.Argv) == 0 || spec.Argv[0] == "" {
		return nil, fmt.Errorf("start %s: empty command", spec.Name)
	}
	cmd := exec.Command(spec.Argv[0], spec.Argv[1:]...)
	cmd.Env = append(os.Environ(), spec.Env...)
	out := NewTail(outputTail)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	// A grandchild holding the output pipe open must not block Wait.
	cmd.WaitDelay = time.Second
	start := spec.Start
	if start == nil {
		start = (*exec.Cmd).Start
	}
	if err := start(cmd); err != nil {
		return nil, fmt.Errorf("start %s (%s): %w", spec.Name, strings.Join(spec.Argv, " "), err)
	}
	p := &Process{name: spec.Name, cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// PID returns the child's process id, which is also its process group id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Done is closed once the child has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the child has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Output returns up to n of the last lines the child wrote.
func (p *Process) Output(n int) string { return p.out.Lines(n) }

// exitError describes how the child ended, with the tail of its output.
// Call only after done is closed.
func (p *Process) exitError() error {
	how := "exit status 0"
	if p.err != nil {
		how = p.err.Error()
	}
	return fmt.Errorf("%w: %s (%s)%s", ErrExited, p.name, how, p.outputNote())
}

// outputNote formats the output tail for an error message.
func (p *Process) outputNote() string {
	out := p.Output(15)
	if out == "" {
		return "; it wrote nothing"
	}
	return "; its last output:\n    " + strings.ReplaceAll(out, "\n", "\n    ")
}

// Alive returns nil while the child runs, or an error wrapping ErrExited
// that says how it ended.
func (p *Process) Alive() error {
	if p.Exited() {
		return p.exitError()
	}
	return nil
}

// WaitReady waits until a TCP connection to addr succeeds, the child exits
// (an error wrapping ErrExited, with its output), timeout passes (one
// wrapping ErrNotReady) or ctx ends.
func (p *Process) WaitReady(ctx context.Context, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		d := net.Dialer{Timeout: 200 * time.Millisecond}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			_ = c.Close()
			// The port may belong to someone else if the child died at
			// once; make sure it did not.
			return p.Alive()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %s on %s after %v: %w%s", ErrNotReady, p.name, addr, timeout, err, p.outputNote())
		}
		select {
		case <-p.done:
			return p.exitError()
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", p.name, ctx.Err())
		case <-tick.C:
		}
	}
}

// Stop sends SIGTERM to the child's process group, waits up to grace for
// the child to exit, then sends SIGKILL, and always reaps it; whatever is
// left of its group is killed too. It returns an error wrapping ErrKilled
// when SIGKILL was needed. Later calls return the first call's result.
func (p *Process) Stop(grace time.Duration) error {
	p.stopOnce.Do(func() { p.stopErr = p.stop(grace) })
	return p.stopErr
}

func (p *Process) stop(grace time.Duration) error {
	pgid := p.PID()
	defer func() {
		// Members of the group that outlived the leader. The group id
		// cannot name a stranger yet: Linux hands out pids in sequence, so
		// the one just freed comes back only after the whole pid space.
		_ = unix.Kill(-pgid, unix.SIGKILL)
	}()
	if p.Exited() {
		return nil
	}
	_ = unix.Kill(-pgid, unix.SIGTERM)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.done:
		return nil
	case <-timer.C:
	}
	_ = unix.Kill(-pgid, unix.SIGKILL)
	<-p.done
	return fmt.Errorf("%w: %s did not exit within %v", ErrKilled, p.name, grace)
}
