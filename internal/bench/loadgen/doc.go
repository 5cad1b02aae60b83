// Package loadgen is miniasync bench's closed-loop HTTP/1.1 load generator.
//
// Each connection is one goroutine with one reusable read buffer. It keeps
// a fixed number of requests in flight (the pipeline depth): it writes that
// many at once, and each time responses complete it writes as many new
// requests in one write, so the window stays full. Request bytes are built
// once; responses are parsed only as far as needed to find where each ends
// (status line, Content-Length or chunked framing); nothing is allocated per
// request. Latency, from the write that sent a request to the read that
// completed its response, goes into a per-connection HdrHistogram, merged
// when the run ends.
//
// A run has two phases on the same connections: a warmup, whose responses
// are not counted, and the measured window. Both end at fixed times, so a
// hook can sample the server at the exact start of the measured window.
package loadgen
