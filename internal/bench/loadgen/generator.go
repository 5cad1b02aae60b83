package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Config describes one load run.
type Config struct {
	// Addr is the server's TCP address (host:port).
	Addr string
	// Request is the request every connection sends. Its Host defaults
	// to Addr.
	Request RequestSpec
	// Conns is the number of connections, each with its own goroutine.
	Conns int
	// Pipeline is the number of requests each connection keeps in flight
	// (1: no pipelining).
	Pipeline int
	// Warmup runs load that is not counted before the measured window.
	Warmup time.Duration
	// Duration is the measured window's length.
	Duration time.Duration
	// DialTimeout bounds each dial; 0 means 2 s.
	DialTimeout time.Duration
	// ReadBuffer is each connection's read buffer in bytes; 0 means
	// 16 KiB. It must hold at least MaxLine bytes plus a few responses.
	ReadBuffer int
	// OnMeasureStart, if set, is called when the measured window opens,
	// from the generator's own goroutine, for example to sample the
	// server's CPU time. The window does not wait for it.
	OnMeasureStart func()
	// OnMeasureEnd, if set, is called as soon as every connection has
	// stopped at the end of the window, before the counts are merged.
	OnMeasureEnd func()
}

// Generator runs one load run. Create it with New, then call Run once;
// Completed may be called from other goroutines meanwhile.
type Generator struct {
	cfg   Config
	req   []byte // one request
	batch []byte // Pipeline requests back to back; writes take a prefix

	base      time.Time // the clock's origin for the int64 times below
	measureNs int64     // when the measured window opens
	endNs     int64     // when the run ends
	end       time.Time

	conns []*conn
}

// New checks cfg and prepares a generator with its request bytes and
// per-connection buffers.
func New(cfg Config) (*Generator, error) {
	if cfg.Addr == "" {
		return nil, errors.New("loadgen: no address")
	}
	if cfg.Conns < 1 {
		return nil, fmt.Errorf("loadgen: conns must be at least 1, not %d", cfg.Conns)
	}
	if cfg.Pipeline < 1 {
		return nil, fmt.Errorf("loadgen: pipeline must be at least 1, not %d", cfg.Pipeline)
	}
	if cfg.Duration <= 0 {
		return nil, fmt.Errorf("loadgen: duration must be positive, not %v", cfg.Duration)
	}
	if cfg.Warmup < 0 {
		return nil, fmt.Errorf("loadgen: negative warmup %v", cfg.Warmup)
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 2 * time.Second
	}
	if cfg.ReadBuffer <= 0 {
		cfg.ReadBuffer = 16 << 10
	}
	if cfg.ReadBuffer < MaxLine+1024 {
		return nil, fmt.Errorf("loadgen: read buffer of %d bytes is under %d", cfg.ReadBuffer, MaxLine+1024)
	}
	if cfg.Request.Host == "" {
		cfg.Request.Host = cfg.Addr
	}
	req, err := cfg.Request.Build()
	if err != nil {
		return nil, err
	}
	g := &Generator{cfg: cfg, req: req}
	g.batch = make([]byte, 0, len(req)*cfg.Pipeline)
	for range cfg.Pipeline {
		g.batch = append(g.batch, req...)
	}
	g.conns = make([]*conn, cfg.Conns)
	for i := range g.conns {
		g.conns[i] = newConn(g)
	}
	return g, nil
}

// Request returns the bytes of the request the generator sends.
func (g *Generator) Request() []byte { return g.req }

// Completed returns the responses completed so far in both phases.
func (g *Generator) Completed() int64 {
	var n int64
	for _, c := range g.conns {
		n += c.completed.Load()
	}
	return n
}

// now returns the time since the run's base in nanoseconds (monotonic).
func (g *Generator) now() int64 { return int64(time.Since(g.base)) }

// Run drives the load: warmup, then the measured window, then it closes
// every connection and merges their counts. Cancelling ctx stops it early
// with an error wrapping ctx.Err().
func (g *Generator) Run(ctx context.Context) (*Result, error) {
	if !g.base.IsZero() {
		return nil, errors.New("loadgen: Run called twice")
	}
	g.base = time.Now()
	g.measureNs = int64(g.cfg.Warmup)
	g.endNs = g.measureNs + int64(g.cfg.Duration)
	g.end = g.base.Add(time.Duration(g.endNs))

	var wg sync.WaitGroup
	for _, c := range g.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.run()
		}()
	}
	finished := make(chan struct{})
	go func() {
		wg.Wait()
		close(finished)
	}()

	measure := time.NewTimer(time.Duration(g.measureNs))
	defer measure.Stop()
	var cancelled error
	for done := false; !done; {
		select {
		case <-measure.C:
			if g.cfg.OnMeasureStart != nil {
				g.cfg.OnMeasureStart()
			}
		case <-ctx.Done():
			cancelled = ctx.Err()
			for _, c := range g.conns {
				c.abort()
			}
			<-finished
			done = true
		case <-finished:
			done = true
			if g.cfg.OnMeasureEnd != nil {
				g.cfg.OnMeasureEnd()
			}
		}
	}
	if cancelled != nil {
		return nil, fmt.Errorf("loadgen: run stopped: %w", cancelled)
	}
	return g.merge(), nil
}

// merge adds up every connection's counts.
func (g *Generator) merge() *Result {
	res := &Result{
		Conns:    g.cfg.Conns,
		Pipeline: g.cfg.Pipeline,
		Elapsed:  g.cfg.Duration,
		Latency:  newHistogram(g.cfg.Conns),
	}
	for _, c := range g.conns {
		res.Requests += c.requests
		res.BytesRead += c.bytesRead
		for i, n := range c.status {
			res.Status[i] += n
		}
		res.Errors.add(c.errs)
		res.Reconnects += c.reconnects
		res.Latency.Merge(c.hist)
	}
	return res
}
