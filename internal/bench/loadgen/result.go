package loadgen

import (
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Errors counts failures by kind within the measured window.
type Errors struct {
	// Connect counts failed dials.
	Connect int64 `json:"connect"`
	// Read counts failed reads, and connections the server closed while
	// requests were in flight without announcing it.
	Read int64 `json:"read"`
	// Write counts failed writes.
	Write int64 `json:"write"`
	// Parse counts responses that could not be framed.
	Parse int64 `json:"parse"`
}

// Total returns the sum of every kind.
func (e Errors) Total() int64 { return e.Connect + e.Read + e.Write + e.Parse }

// add adds o's counts to e.
func (e *Errors) add(o Errors) {
	e.Connect += o.Connect
	e.Read += o.Read
	e.Write += o.Write
	e.Parse += o.Parse
}

// Result is what one run measured in its measured window.
type Result struct {
	// Conns and Pipeline are the run's connection count and depth.
	Conns, Pipeline int
	// Elapsed is the length of the measured window.
	Elapsed time.Duration
	// Requests counts responses completed in the window.
	Requests int64
	// BytesRead counts response bytes received in the window.
	BytesRead int64
	// Status counts responses by class: Status[2] is 2xx, and so on;
	// Status[0] holds codes of 600 and above.
	Status [6]int64
	// Errors counts failures by kind.
	Errors Errors
	// Reconnects counts connections the server closed after a response
	// that said so (Connection: close), each followed by a new dial.
	Reconnects int64
	// Latency holds each response's latency in microseconds.
	Latency *hdr.Histogram
}

// RequestsPerSec returns the completed responses per second of the window.
func (r *Result) RequestsPerSec() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// BytesPerSec returns the response bytes received per second.
func (r *Result) BytesPerSec() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.BytesRead) / r.Elapsed.Seconds()
}

// Non2xx returns the number of responses whose status was not 2xx.
func (r *Result) Non2xx() int64 {
	var n int64
	for class, c := range r.Status {
		if class != 2 {
			n += c
		}
	}
	return n
}

// The latency histograms' range, in microseconds.
const (
	// LatencyLowest is the smallest latency the histograms tell apart, in
	// microseconds.
	LatencyLowest = 1
	// LatencyHighest is the largest latency recorded as such, in
	// microseconds (60 s); longer ones are recorded as this.
	LatencyHighest = 60_000_000
)

// newHistogram returns a latency histogram for one connection. Three
// significant digits take about 136 KiB each, so past 512 connections two
// digits (about 20 KiB, 1% resolution) keep the generator's memory bounded.
func newHistogram(conns int) *hdr.Histogram {
	digits := 3
	if conns > 512 {
		digits = 2
	}
	return hdr.New(LatencyLowest, LatencyHighest, digits)
}
