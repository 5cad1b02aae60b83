package cpupin

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// Allowed returns the CPUs this process may run on.
func Allowed() ([]int, error) { return Of(0) }

// cpuSet builds a unix.CPUSet from CPU numbers.
func cpuSet(cpus []int) unix.CPUSet {
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	return set
}

// PinSelf moves every thread of this process to the load CPUs. Threads
// the Go runtime starts later inherit the mask of the thread that starts
// them, so they follow.
func (p Plan) PinSelf() error {
	set := cpuSet(p.Load)
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return fmt.Errorf("cpupin: %w", err)
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil && err != unix.ESRCH {
			return fmt.Errorf("cpupin: pin thread %d to %s: %w", tid, FormatList(p.Load), err)
		}
	}
	return nil
}

// StartServer starts cmd on the server CPUs: the child inherits the
// affinity of the thread that forks it, so that thread is locked, given
// the server mask for the fork, and set back; every thread is pinned to
// the load CPUs again afterwards in case the runtime started one from it
// meanwhile.
func (p Plan) StartServer(cmd *exec.Cmd) error {
	server, load := cpuSet(p.Server), cpuSet(p.Load)
	err := func() error {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := unix.SchedSetaffinity(0, &server); err != nil {
			return fmt.Errorf("cpupin: pin to %s: %w", FormatList(p.Server), err)
		}
		startErr := cmd.Start()
		if err := unix.SchedSetaffinity(0, &load); err != nil && startErr == nil {
			return fmt.Errorf("cpupin: pin back to %s: %w", FormatList(p.Load), err)
		}
		return startErr
	}()
	if err != nil {
		return err
	}
	return p.PinSelf()
}

// Of returns the CPUs the process or thread pid may run on.
func Of(pid int) ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(pid, &set); err != nil {
		return nil, fmt.Errorf("cpupin: sched_getaffinity(%d): %w", pid, err)
	}
	var out []int
	for c := range 1024 {
		if set.IsSet(c) {
			out = append(out, c)
		}
	}
	return out, nil
}
