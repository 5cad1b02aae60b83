package procstat

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// ErrNoProcess is wrapped by Group's error when no process is in the group.
var ErrNoProcess = errors.New("procstat: no such process")

// Usage is the resource use of a process group at one moment.
type Usage struct {
	// Ticks is the CPU time, user and system, of every member in clock
	// ticks.
	Ticks uint64
	// PeakRSS is the sum of the members' peak resident sets in bytes.
	// For the usual group of one server process it is that process's
	// VmHWM.
	PeakRSS int64
	// RSS is the sum of the members' resident sets (VmRSS) now, in bytes.
	RSS int64
	// Procs is the number of members found.
	Procs int
}

// CPU returns Ticks as a duration.
func (u Usage) CPU() time.Duration {
	return time.Duration(u.Ticks) * time.Second / time.Duration(ClockTicks())
}

// Group sums the usage of every live process whose process group is pgid,
// reading the proc file system mounted at root (normally "/proc"). The
// leader of a group started with Setpgid has pid == pgid, so a server
// started through a shell script is measured with the processes it starts.
// CPU time of members that already exited is not counted.
func Group(root string, pgid int) (Usage, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return Usage{}, fmt.Errorf("procstat: %w", err)
	}
	var u Usage
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		// Processes come and go while we look: a vanished one is skipped.
		data, err := os.ReadFile(filepath.Join(root, e.Name(), "stat"))
		if err != nil {
			continue
		}
		st, err := ParseStat(data)
		if err != nil {
			return Usage{}, fmt.Errorf("%s/%d/stat: %w", root, pid, err)
		}
		if st.PGRP != pgid || st.State == 'Z' {
			continue
		}
		data, err = os.ReadFile(filepath.Join(root, e.Name(), "status"))
		if err != nil {
			continue
		}
		status, err := ParseStatus(data)
		if err != nil {
			return Usage{}, fmt.Errorf("%s/%d/status: %w", root, pid, err)
		}
		u.Ticks += st.Ticks()
		u.PeakRSS += status.PeakRSS
		u.RSS += status.RSS
		u.Procs++
	}
	if u.Procs == 0 {
		return Usage{}, fmt.Errorf("%w: process group %d", ErrNoProcess, pgid)
	}
	return u, nil
}
