package result

import (
	"cmp"
	"math"
	"slices"
)

// Median merges runs of one server at one load point, measured in
// different rounds, into one row. Each numeric metric is the median of its
// own values across the runs (for an even count, the mean of the two
// middle values), independently of the others, so the merged metrics need
// not agree with one another: RequestsPerSec is in general not
// Requests/Seconds, nor RequestsPerCPUSec Requests/ServerCPUSeconds.
// Requests and PeakRSSBytes are rounded to whole numbers.
//
// An idle run's figures (IdleRSSBeforeBytes, IdleRSSAfterBytes,
// IdleRSSPerConn) are medians too.
//
// Counts of failures are summed instead of taken the median of, so that
// none is hidden: Errors (kind by kind), Non2xx and Reconnects. The server
// figures (ServerCPUSeconds, RequestsPerCPUSec, PeakRSSBytes) are medians
// over the runs where /proc could be read, and ServerCPUKnown is true when
// there was one; RequestsPerCPUSecSpread says how far RequestsPerCPUSec
// moved between those runs. Wrk, when the runs have it, is merged the same way over
// the runs where wrk succeeded, or is the first failed wrk result if it
// never did.
//
// Runs that failed (Error set) are left out of everything above. Rounds is
// the number of runs given, failed ones included, and FailedRounds the
// number of failed ones; if every run failed, the result is the first run,
// Error and all. Server, Kind, Command, Conns and Pipeline come from the
// first successful run; Round is 0. Median of no runs is the zero Run.
func Median(runs []Run) Run {
	if len(runs) == 0 {
		return Run{}
	}
	ok := make([]Run, 0, len(runs))
	for _, r := range runs {
		if r.Error == "" {
			ok = append(ok, r)
		}
	}
	rounds, failed := len(runs), len(runs)-len(ok)
	if len(ok) == 0 {
		m := runs[0]
		m.Round, m.Rounds, m.FailedRounds = 0, rounds, failed
		return m
	}
	first := ok[0]
	m := Run{
		Server: first.Server, Kind: first.Kind, Command: first.Command,
		Conns: first.Conns, Pipeline: first.Pipeline,
		Rounds: rounds, FailedRounds: failed,
	}
	m.Seconds = medianOf(ok, func(r Run) float64 { return r.Seconds })
	m.Requests = int64(math.Round(medianOf(ok, func(r Run) float64 { return float64(r.Requests) })))
	m.RequestsPerSec = medianOf(ok, func(r Run) float64 { return r.RequestsPerSec })
	m.BytesPerSec = medianOf(ok, func(r Run) float64 { return r.BytesPerSec })
	m.Latency = medianLatency(ok, func(r Run) Latency { return r.Latency })
	m.ClientCPUSeconds = medianOf(ok, func(r Run) float64 { return r.ClientCPUSeconds })
	for _, r := range ok {
		m.Errors.Connect += r.Errors.Connect
		m.Errors.Read += r.Errors.Read
		m.Errors.Write += r.Errors.Write
		m.Errors.Parse += r.Errors.Parse
		m.Non2xx += r.Non2xx
		m.Reconnects += r.Reconnects
	}
	known := slices.DeleteFunc(slices.Clone(ok), func(r Run) bool { return !r.ServerCPUKnown })
	if len(known) > 0 {
		m.ServerCPUKnown = true
		m.ServerCPUSeconds = medianOf(known, func(r Run) float64 { return r.ServerCPUSeconds })
		m.RequestsPerCPUSec = medianOf(known, func(r Run) float64 { return r.RequestsPerCPUSec })
		m.RequestsPerCPUSecSpread = spreadOf(known, m.RequestsPerCPUSec, func(r Run) float64 { return r.RequestsPerCPUSec })
		m.PeakRSSBytes = int64(math.Round(medianOf(known, func(r Run) float64 { return float64(r.PeakRSSBytes) })))
	}
	m.Wrk = medianWrk(ok)
	if first.Idle() {
		m.IdleConns = first.IdleConns
		m.IdleRSSBeforeBytes = int64(math.Round(medianOf(ok, func(r Run) float64 { return float64(r.IdleRSSBeforeBytes) })))
		m.IdleRSSAfterBytes = int64(math.Round(medianOf(ok, func(r Run) float64 { return float64(r.IdleRSSAfterBytes) })))
		m.IdleRSSPerConn = medianOf(ok, func(r Run) float64 { return r.IdleRSSPerConn })
	}
	return m
}

// MergeRounds groups runs by server and load point, in the order each
// group first appears, and merges every group with Median: the rows of a
// bench of several rounds.
func MergeRounds(runs []Run) []Run {
	type key struct {
		server          string
		conns, pipeline int
	}
	var order []key
	groups := map[key][]Run{}
	for _, r := range runs {
		k := key{r.Server, r.Conns, r.Pipeline}
		if _, seen := groups[k]; !seen {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	merged := make([]Run, 0, len(order))
	for _, k := range order {
		merged = append(merged, Median(groups[k]))
	}
	return merged
}

// medianWrk merges the wrk results of runs: nil when none has one, the
// first one when none succeeded, else the medians of the successful ones
// with their failure counts summed.
func medianWrk(runs []Run) *Wrk {
	var all, ok []Wrk
	for _, r := range runs {
		if r.Wrk == nil {
			continue
		}
		all = append(all, *r.Wrk)
		if r.Wrk.Error == "" {
			ok = append(ok, *r.Wrk)
		}
	}
	if len(all) == 0 {
		return nil
	}
	if len(ok) == 0 {
		w := all[0]
		return &w
	}
	w := Wrk{
		Threads:          ok[0].Threads,
		Seconds:          medianOf(ok, func(w Wrk) float64 { return w.Seconds }),
		Requests:         int64(math.Round(medianOf(ok, func(w Wrk) float64 { return float64(w.Requests) }))),
		RequestsPerSec:   medianOf(ok, func(w Wrk) float64 { return w.RequestsPerSec }),
		Latency:          medianLatency(ok, func(w Wrk) Latency { return w.Latency }),
		ClientCPUSeconds: medianOf(ok, func(w Wrk) float64 { return w.ClientCPUSeconds }),
	}
	for _, o := range ok {
		w.Errors += o.Errors
		w.Non2xx += o.Non2xx
	}
	return &w
}

// medianLatency returns each percentile's median across xs.
func medianLatency[T any](xs []T, lat func(T) Latency) Latency {
	pick := func(f func(Latency) float64) float64 {
		return medianOf(xs, func(x T) float64 { return f(lat(x)) })
	}
	return Latency{
		P50:  pick(func(l Latency) float64 { return l.P50 }),
		P90:  pick(func(l Latency) float64 { return l.P90 }),
		P99:  pick(func(l Latency) float64 { return l.P99 }),
		P999: pick(func(l Latency) float64 { return l.P999 }),
		Max:  pick(func(l Latency) float64 { return l.Max }),
		Mean: pick(func(l Latency) float64 { return l.Mean }),
	}
}

// medianOf returns the median of f over xs: the middle value, or the mean
// of the two middle values for an even count; 0 for none.
func medianOf[T any](xs []T, f func(T) float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = f(x)
	}
	slices.Sort(v)
	mid := len(v) / 2
	if len(v)%2 == 1 {
		return v[mid]
	}
	return (v[mid-1] + v[mid]) / 2
}

// spreadOf returns (max - min) / median of f over runs, 0 for fewer than
// two runs or a zero median.
func spreadOf(runs []Run, median float64, f func(Run) float64) float64 {
	if len(runs) < 2 || median == 0 {
		return 0
	}
	lo, hi := f(runs[0]), f(runs[0])
	for _, r := range runs[1:] {
		lo, hi = min(lo, f(r)), max(hi, f(r))
	}
	return (hi - lo) / median
}

// Spread sums up how far req/CPU-s moved between rounds over rows merged
// by MergeRounds: the median of their RequestsPerCPUSecSpread and the row
// that moved most, over the load rows that moved at all; ok is false when
// none did (one round, or idle runs only).
func Spread(rows []Run) (median float64, widest Run, ok bool) {
	moved := slices.DeleteFunc(slices.Clone(rows), func(r Run) bool { return r.Idle() || r.RequestsPerCPUSecSpread <= 0 })
	if len(moved) == 0 {
		return 0, Run{}, false
	}
	widest = slices.MaxFunc(moved, func(a, b Run) int { return cmp.Compare(a.RequestsPerCPUSecSpread, b.RequestsPerCPUSecSpread) })
	return medianOf(moved, func(r Run) float64 { return r.RequestsPerCPUSecSpread }), widest, true
}
