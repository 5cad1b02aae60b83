// Package cpupin keeps the server under test and the load generator on
// different CPUs (--cpu-pin), so they do not steal each other's cycles and
// a server's CPU use reads cleanly. It works on Linux, with
// sched_setaffinity(2); elsewhere Apply fails with ErrUnsupported.
package cpupin

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ErrUnsupported is returned where CPU affinity cannot be set.
var ErrUnsupported = errors.New("cpupin: CPU pinning needs Linux")

// Plan says which CPUs the servers and the load generator may use.
type Plan struct {
	// Server and Load are the two sets of CPU numbers; they do not
	// overlap.
	Server, Load []int
}

// String formats the plan as "server 0, load 1".
func (p Plan) String() string {
	return "server " + FormatList(p.Server) + ", load " + FormatList(p.Load)
}

// Parse reads a --cpu-pin value: "SERVER:LOAD" with CPU lists such as
// "0:1" or "0-1:2,3", or "auto", which splits allowed (the CPUs this
// process may run on) in two, the first half for the server.
func Parse(spec string, allowed []int) (Plan, error) {
	if spec == "auto" {
		if len(allowed) < 2 {
			return Plan{}, fmt.Errorf("--cpu-pin auto: needs at least 2 CPUs, this process may use %d", len(allowed))
		}
		half := len(allowed) / 2
		return Plan{Server: slices.Clone(allowed[:half]), Load: slices.Clone(allowed[half:])}, nil
	}
	server, load, ok := strings.Cut(spec, ":")
	if !ok {
		return Plan{}, fmt.Errorf("--cpu-pin %q: want SERVER_CPUS:LOAD_CPUS (such as 0:1) or auto", spec)
	}
	var p Plan
	var err error
	if p.Server, err = ParseList(server); err != nil {
		return Plan{}, fmt.Errorf("--cpu-pin server CPUs: %w", err)
	}
	if p.Load, err = ParseList(load); err != nil {
		return Plan{}, fmt.Errorf("--cpu-pin load CPUs: %w", err)
	}
	for _, c := range p.Server {
		if slices.Contains(p.Load, c) {
			return Plan{}, fmt.Errorf("--cpu-pin %q: CPU %d is in both sets", spec, c)
		}
	}
	for _, c := range append(slices.Clone(p.Server), p.Load...) {
		if allowed != nil && !slices.Contains(allowed, c) {
			return Plan{}, fmt.Errorf("--cpu-pin %q: CPU %d is not available (allowed: %s)", spec, c, FormatList(allowed))
		}
	}
	return p, nil
}

// ParseList parses a CPU list such as "0", "0,2" or "0-3,6", returning
// sorted unique CPU numbers.
func ParseList(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("%q is not a CPU number or range", part)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("%q is not a CPU range", part)
			}
		}
		if b >= 1024 {
			return nil, fmt.Errorf("CPU %d is out of range", b)
		}
		for c := a; c <= b; c++ {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// FormatList formats CPU numbers as a list with ranges, such as "0-3,6".
func FormatList(cpus []int) string {
	var b strings.Builder
	for i := 0; i < len(cpus); {
		j := i
		for j+1 < len(cpus) && cpus[j+1] == cpus[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(cpus[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(cpus[j]))
		}
		i = j + 1
	}
	return b.String()
}
