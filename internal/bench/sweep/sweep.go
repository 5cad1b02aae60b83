// Package sweep turns miniasync bench's list flags (--conns 64,256
// --pipeline 1,16) into the load points a bench runs, every combination
// of the lists.
package sweep

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Point is one load setting of a sweep.
type Point struct {
	// Conns is the number of client connections.
	Conns int `json:"conns"`
	// Pipeline is the number of requests in flight per connection.
	Pipeline int `json:"pipeline"`
}

// String formats the point as "conns=64 pipeline=1".
func (p Point) String() string {
	return fmt.Sprintf("conns=%d pipeline=%d", p.Conns, p.Pipeline)
}

// ParseList parses a comma-separated list of positive integers, such as
// "64,256" or "1, 16", for the flag named name. Values must be unique and
// at most max.
func ParseList(name, s string, max int) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("--%s: empty list", name)
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		v, err := strconv.Atoi(part)
		if err != nil {
			return nil, fmt.Errorf("--%s: %q is not a whole number", name, part)
		}
		if v < 1 || v > max {
			return nil, fmt.Errorf("--%s: %d is out of range (1 to %d)", name, v, max)
		}
		if slices.Contains(out, v) {
			return nil, fmt.Errorf("--%s: %d is listed twice", name, v)
		}
		out = append(out, v)
	}
	return out, nil
}

// Points returns every combination of conns and pipelines, conns varying
// slowest, in the order given.
func Points(conns, pipelines []int) []Point {
	out := make([]Point, 0, len(conns)*len(pipelines))
	for _, c := range conns {
		for _, p := range pipelines {
			out = append(out, Point{Conns: c, Pipeline: p})
		}
	}
	return out
}
