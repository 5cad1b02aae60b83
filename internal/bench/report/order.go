package report

import (
	"cmp"
	"slices"

	"github.com/miniasync/miniasync/internal/bench/result"
	"github.com/miniasync/miniasync/internal/bench/sweep"
)

// Reference returns the name of the server ratios compare with: the first
// baseline server, or else the server of the first run; when that server
// has no successful run, the first server that has one, so that the ratios
// are not all blank (WriteNote then says so).
func Reference(runs []result.Run) string {
	want := intendedReference(runs)
	if succeeded(runs, want) {
		return want
	}
	for _, r := range runs {
		if r.Error == "" {
			return r.Server
		}
	}
	return want
}

// intendedReference returns the first baseline server, or else the server
// of the first run, whether or not it succeeded.
func intendedReference(runs []result.Run) string {
	for _, r := range runs {
		if r.Kind == result.Baseline {
			return r.Server
		}
	}
	if len(runs) > 0 {
		return runs[0].Server
	}
	return ""
}

// succeeded reports whether server has a run without an error.
func succeeded(runs []result.Run, server string) bool {
	return slices.ContainsFunc(runs, func(r result.Run) bool { return r.Server == server && r.Error == "" })
}

// Group is the runs of one load point.
type Group struct {
	// Point is the load point.
	Point sweep.Point
	// Runs are its runs, fastest first, failed runs last.
	Runs []result.Run
	// Ref is the reference server's run at this point, or nil when it
	// has none or it failed.
	Ref *result.Run
}

// Groups splits runs by load point, in the order the points first appear,
// and sorts each group by throughput.
func Groups(runs []result.Run, reference string) []Group {
	var groups []Group
	index := map[sweep.Point]int{}
	for _, r := range runs {
		p := sweep.Point{Conns: r.Conns, Pipeline: r.Pipeline}
		i, ok := index[p]
		if !ok {
			i = len(groups)
			index[p] = i
			groups = append(groups, Group{Point: p})
		}
		groups[i].Runs = append(groups[i].Runs, r)
	}
	for gi := range groups {
		g := &groups[gi]
		slices.SortStableFunc(g.Runs, func(a, b result.Run) int {
			if (a.Error == "") != (b.Error == "") {
				if a.Error == "" {
					return -1
				}
				return 1
			}
			return cmp.Compare(b.RequestsPerSec, a.RequestsPerSec)
		})
		for i := range g.Runs {
			if g.Runs[i].Server == reference && g.Runs[i].Error == "" {
				g.Ref = &g.Runs[i]
				break
			}
		}
	}
	return groups
}

// ratio returns v/ref, or 0 when either is unknown.
func ratio(v, ref float64) float64 {
	if v <= 0 || ref <= 0 {
		return 0
	}
	return v / ref
}
