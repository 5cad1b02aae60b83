package procstat

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// ErrFormat is wrapped by the errors for /proc text that does not parse.
var ErrFormat = errors.New("procstat: unexpected format")

// Stat is the part of /proc/PID/stat that bench uses.
type Stat struct {
	// PID is the process id (field 1).
	PID int
	// Comm is the command name, without its parentheses (field 2).
	Comm string
	// State is the one-letter state, such as 'R' or 'Z' (field 3).
	State byte
	// PPID is the parent's process id (field 4).
	PPID int
	// PGRP is the process group id (field 5).
	PGRP int
	// UTime and STime are the user and system CPU time in clock ticks
	// (fields 14 and 15).
	UTime, STime uint64
}

// Ticks returns the process's CPU time, user and system, in clock ticks.
func (s Stat) Ticks() uint64 { return s.UTime + s.STime }

// ParseStat parses the contents of /proc/PID/stat. The command name may
// hold spaces and parentheses, so the fields after it are found from the
// last ')' (proc(5)).
func ParseStat(data []byte) (Stat, error) {
	open := bytes.IndexByte(data, '(')
	closing := bytes.LastIndexByte(data, ')')
	if open < 1 || closing < open {
		return Stat{}, fmt.Errorf("%w: stat %q", ErrFormat, clip(data))
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(data[:open])))
	if err != nil {
		return Stat{}, fmt.Errorf("%w: stat pid: %w", ErrFormat, err)
	}
	// Fields from 3 (state) on.
	rest := bytes.Fields(data[closing+1:])
	if len(rest) < 13 || len(rest[0]) != 1 {
		return Stat{}, fmt.Errorf("%w: stat has %d fields after the command", ErrFormat, len(rest))
	}
	s := Stat{PID: pid, Comm: string(data[open+1 : closing]), State: rest[0][0]}
	ints := []struct {
		field int // 1-based, as proc(5) numbers them
		dst   *int
	}{{4, &s.PPID}, {5, &s.PGRP}}
	for _, f := range ints {
		v, err := strconv.Atoi(string(rest[f.field-3]))
		if err != nil {
			return Stat{}, fmt.Errorf("%w: stat field %d: %w", ErrFormat, f.field, err)
		}
		*f.dst = v
	}
	ticks := []struct {
		field int
		dst   *uint64
	}{{14, &s.UTime}, {15, &s.STime}}
	for _, f := range ticks {
		v, err := strconv.ParseUint(string(rest[f.field-3]), 10, 64)
		if err != nil {
			return Stat{}, fmt.Errorf("%w: stat field %d: %w", ErrFormat, f.field, err)
		}
		*f.dst = v
	}
	return s, nil
}

// Status is the part of /proc/PID/status that bench uses.
type Status struct {
	// PeakRSS is VmHWM, the resident set's high-water mark, in bytes.
	PeakRSS int64
	// RSS is VmRSS, the resident set now, in bytes.
	RSS int64
}

// ParseStatus parses the contents of /proc/PID/status. A zombie or kernel
// thread has no Vm lines; its sizes are zero.
func ParseStatus(data []byte) (Status, error) {
	var s Status
	for line := range bytes.Lines(data) {
		var dst *int64
		switch {
		case bytes.HasPrefix(line, []byte("VmHWM:")):
			dst = &s.PeakRSS
		case bytes.HasPrefix(line, []byte("VmRSS:")):
			dst = &s.RSS
		default:
			continue
		}
		f := bytes.Fields(line[6:])
		if len(f) != 2 || !bytes.Equal(f[1], []byte("kB")) {
			return Status{}, fmt.Errorf("%w: status line %q", ErrFormat, clip(line))
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return Status{}, fmt.Errorf("%w: status line %q: %w", ErrFormat, clip(line), err)
		}
		*dst = kb << 10
	}
	return s, nil
}

// clip shortens b for an error message.
func clip(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}
