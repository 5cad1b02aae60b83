// Package result holds the types miniasync bench measures into and reports
// from: one Run per server and load point, gathered in a Report. They are
// plain data with JSON names, shared by the runner, the table, the JSON
// file and the chart.
package result

import "time"

// Kind says what sort of server a run measured.
type Kind string

const (
	// Backend is miniasync serve with one poller backend.
	Backend Kind = "backend"
	// Baseline is Go's net/http serving the same handler.
	Baseline Kind = "baseline"
	// External is a server given with --external.
	External Kind = "external"
)

// Latency holds latency percentiles in microseconds.
type Latency struct {
	P50  float64 `json:"p50_us"`
	P90  float64 `json:"p90_us"`
	P99  float64 `json:"p99_us"`
	P999 float64 `json:"p99_9_us"`
	Max  float64 `json:"max_us"`
	Mean float64 `json:"mean_us"`
}

// Errors counts the load generator's failures by kind.
type Errors struct {
	Connect int64 `json:"connect"`
	Read    int64 `json:"read"`
	Write   int64 `json:"write"`
	Parse   int64 `json:"parse"`
}

// Total returns the sum of every kind.
func (e Errors) Total() int64 { return e.Connect + e.Read + e.Write + e.Parse }

// Run is one measured run: one server under one load point.
type Run struct {
	// Server names the server: the backend, "net/http", or the external
	// server's name.
	Server string `json:"server"`
	// Kind says what sort of server it is.
	Kind Kind `json:"kind"`
	// Command is the server's command line.
	Command string `json:"command"`
	// Conns and Pipeline are the load point.
	Conns    int `json:"conns"`
	Pipeline int `json:"pipeline"`
	// Seconds is the measured window's length.
	Seconds float64 `json:"seconds"`
	// Requests counts responses in the window.
	Requests int64 `json:"requests"`
	// RequestsPerSec is Requests per second.
	RequestsPerSec float64 `json:"requests_per_sec"`
	// BytesPerSec is response bytes read per second.
	BytesPerSec float64 `json:"bytes_per_sec"`
	// Latency holds the percentiles, from an HdrHistogram.
	Latency Latency `json:"latency"`
	// Errors counts failures; Non2xx counts responses not 2xx.
	Errors Errors `json:"errors"`
	Non2xx int64  `json:"non_2xx"`
	// Reconnects counts connections the server closed by saying so.
	Reconnects int64 `json:"reconnects"`
	// ServerCPUSeconds is the server's CPU time (user and system) in the
	// window, from /proc; ServerCPUKnown is false where that could not
	// be read.
	ServerCPUSeconds float64 `json:"server_cpu_seconds"`
	ServerCPUKnown   bool    `json:"server_cpu_known"`
	// RequestsPerCPUSec is Requests per server CPU-second, the ranking
	// metric on a small shared machine (0 when unknown).
	RequestsPerCPUSec float64 `json:"requests_per_server_cpu_sec"`
	// RequestsPerCPUSecSpread is set only in a row merged from rounds
	// (Median): how far RequestsPerCPUSec moved between them, as
	// (max - min) / median over the rounds where it was known; 0 with
	// fewer than two. Rows closer than their spread are within the
	// machine's noise.
	RequestsPerCPUSecSpread float64 `json:"requests_per_server_cpu_sec_spread,omitempty"`
	// PeakRSSBytes is the server's peak resident set (VmHWM) since it
	// started (0 when unknown).
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
	// ClientCPUSeconds is the bench process's own CPU time in the window:
	// what the load generator cost.
	ClientCPUSeconds float64 `json:"client_cpu_seconds"`
	// Wrk holds wrk's measurement of the same server and load point, when
	// it was asked for.
	Wrk *Wrk `json:"wrk,omitempty"`
	// Error says why the run failed, when --keep-going went on after it.
	// In a row merged from rounds it is set only when every round failed.
	Error string `json:"error,omitempty"`
	// IdleConns is set only for an idle run (--idle; Pipeline 0, Conns
	// the same count): how many keep-alive connections, each after one
	// request and its response, the server held open and silent while
	// its resident set was measured.
	IdleConns int `json:"idle_conns,omitempty"`
	// IdleRSSBeforeBytes and IdleRSSAfterBytes are the server's resident
	// set (VmRSS) before the idle connections opened (after one warm-up
	// request) and once they were all open and settled.
	IdleRSSBeforeBytes int64 `json:"idle_rss_before_bytes,omitempty"`
	IdleRSSAfterBytes  int64 `json:"idle_rss_after_bytes,omitempty"`
	// IdleRSSPerConn is the growth of the resident set per idle
	// connection, in bytes: (after - before) / IdleConns.
	IdleRSSPerConn float64 `json:"idle_rss_per_conn_bytes,omitempty"`
	// Round is the round (from 1) that measured this run, in a bench of
	// several rounds; 0 otherwise.
	Round int `json:"round,omitempty"`
	// Rounds is how many rounds a row merged by Median or MergeRounds
	// stands for, failed ones included; 0 for a run measured once.
	Rounds int `json:"rounds,omitempty"`
	// FailedRounds is how many of those rounds failed and were left out
	// of the medians.
	FailedRounds int `json:"failed_rounds,omitempty"`
}

// Idle reports whether r is an idle-connection run rather than a load run.
func (r Run) Idle() bool { return r.IdleConns > 0 }

// Wrk is what wrk measured against the same server and load point, to
// show how close the built-in load generator comes to it.
type Wrk struct {
	// Threads is wrk's -t.
	Threads int `json:"threads"`
	// Seconds is wrk's -d (whole seconds).
	Seconds float64 `json:"seconds"`
	// Requests and RequestsPerSec are wrk's counts.
	Requests       int64   `json:"requests"`
	RequestsPerSec float64 `json:"requests_per_sec"`
	// Latency holds wrk's percentiles (its max from Thread Stats; no
	// p99.9); with pipelining wrk times whole batches.
	Latency Latency `json:"latency"`
	// Errors adds up wrk's socket errors; Non2xx its "Non-2xx or 3xx".
	Errors int64 `json:"errors"`
	Non2xx int64 `json:"non_2xx"`
	// ClientCPUSeconds is wrk's own CPU time.
	ClientCPUSeconds float64 `json:"client_cpu_seconds"`
	// Error says why wrk failed, if it did.
	Error string `json:"error,omitempty"`
}

// Settings are the bench's inputs, recorded with its results.
type Settings struct {
	Handler   string   `json:"handler"`
	Method    string   `json:"method"`
	Path      string   `json:"path"`
	BodySize  int      `json:"body_size"`
	Duration  string   `json:"duration"`
	Warmup    string   `json:"warmup"`
	Conns     []int    `json:"conns"`
	Pipelines []int    `json:"pipelines"`
	Workers   int      `json:"workers,omitempty"`
	CPUPin    string   `json:"cpu_pin,omitempty"`
	Servers   []string `json:"servers"`
	// Idle is how many idle keep-alive connections each server was
	// measured with (0: no idle measurement).
	Idle int `json:"idle,omitempty"`
	// Rounds is how many times every server ran at every point; the
	// rows are the medians over the rounds when it is more than 1.
	Rounds int `json:"rounds,omitempty"`
}

// Report is a whole bench: where and how it ran, and every run.
type Report struct {
	// Date is when the bench started.
	Date time.Time `json:"date"`
	// Command is the bench's own command line.
	Command string `json:"command"`
	// GoVersion, OS, Arch and CPUs describe the machine and toolchain.
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPUs      int    `json:"cpus"`
	// Settings are the bench's inputs.
	Settings Settings `json:"settings"`
	// Reference names the server the ratios compare with: the baseline,
	// or else the first server; if that one failed at every point, the
	// first server that succeeded.
	Reference string `json:"reference"`
	// Runs holds every run in the order they ran; with several rounds,
	// one row per server and load point, merged by MergeRounds, in the
	// order of the first round.
	Runs []Run `json:"runs"`
	// RoundRuns holds, with several rounds, every round's own runs in
	// the order they ran, each with its Round; empty otherwise.
	RoundRuns []Run `json:"round_runs,omitempty"`
}
