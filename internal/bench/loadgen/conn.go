package loadgen

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// conn is one client connection's state, owned by its goroutine except
// for the fields under mu and the progress counter.
type conn struct {
	g *Generator

	// mu guards nc and aborted against abort, called from the
	// coordinator; the request path never takes it.
	mu      sync.Mutex
	nc      net.Conn
	aborted bool

	// completed counts responses in both phases, for progress reports.
	completed atomic.Int64

	buf    []byte
	sent   []int64 // send times (ns since the run's base), a ring of depth entries
	parser Parser
	hist   *hdr.Histogram

	requests   int64
	bytesRead  int64
	status     [6]int64
	errs       Errors
	reconnects int64
}

// newConn prepares a connection's buffers; nothing is allocated after it.
func newConn(g *Generator) *conn {
	return &conn{
		g:      g,
		buf:    make([]byte, g.cfg.ReadBuffer),
		sent:   make([]int64, g.cfg.Pipeline),
		parser: Parser{Head: g.cfg.Request.IsHead()},
		hist:   newHistogram(g.cfg.Conns),
	}
}

// run dials and drives connections until the run ends or is aborted.
func (c *conn) run() {
	g := c.g
	dialer := net.Dialer{Timeout: g.cfg.DialTimeout}
	for {
		if c.isAborted() || g.now() >= g.endNs {
			return
		}
		ctx, cancel := context.WithDeadline(context.Background(), g.end)
		nc, err := dialer.DialContext(ctx, "tcp", g.cfg.Addr)
		cancel()
		if err != nil {
			now := g.now()
			if now >= g.endNs || c.isAborted() {
				return
			}
			if now >= g.measureNs {
				c.errs.Connect++
			}
			// Back off a little so a dead server is not dialled in a
			// tight loop, but never past the end.
			time.Sleep(min(10*time.Millisecond, time.Duration(g.endNs-now)))
			continue
		}
		if !c.attach(nc) {
			_ = nc.Close()
			return
		}
		_ = nc.SetDeadline(g.end)
		again := c.serve(nc)
		c.detach()
		_ = nc.Close()
		if !again {
			return
		}
	}
}

// serve runs the closed loop on one connection. It reports whether to
// dial again.
func (c *conn) serve(nc net.Conn) bool {
	g := c.g
	depth := g.cfg.Pipeline
	c.parser.Reset()
	head, inflight := 0, 0
	r, w := 0, 0

	send := func(k int) bool {
		at := g.now()
		if _, err := nc.Write(g.batch[:k*len(g.req)]); err != nil {
			return c.failed(err, &c.errs.Write)
		}
		for range k {
			c.sent[(head+inflight)%depth] = at
			inflight++
		}
		return true
	}
	if !send(depth) {
		return !c.ended()
	}
	for {
		m, rerr := nc.Read(c.buf[w:])
		now := g.now()
		measuring := now >= g.measureNs
		w += m
		if measuring {
			c.bytesRead += int64(m)
		}
		completed, closing := 0, false
		for r < w {
			n, done, perr := c.parser.Parse(c.buf[r:w])
			r += n
			if perr != nil {
				if measuring {
					c.errs.Parse++
				}
				return true
			}
			if !done {
				if n == 0 {
					break
				}
				continue
			}
			completed++
			if measuring {
				c.record(now-c.sent[head], c.parser.Status())
			}
			head = (head + 1) % depth
			inflight--
			if c.parser.Close() {
				closing = true
				break
			}
		}
		// Keep an incomplete line at the front; it is at most MaxLine
		// bytes and usually none.
		if r > 0 {
			w = copy(c.buf, c.buf[r:w])
			r = 0
		} else if w == len(c.buf) {
			if measuring {
				c.errs.Parse++ // a line longer than the buffer
			}
			return true
		}
		if rerr != nil {
			if errors.Is(rerr, io.EOF) && c.parser.EOF() {
				completed++
				if measuring {
					c.record(now-c.sent[head], c.parser.Status())
				}
				inflight--
				if measuring {
					c.reconnects++
				}
				closing = true
			}
			if completed > 0 {
				c.completed.Add(int64(completed))
			}
			if closing {
				return true
			}
			return c.failed(rerr, &c.errs.Read)
		}
		if completed > 0 {
			c.completed.Add(int64(completed))
		}
		if closing {
			if measuring {
				c.reconnects++
			}
			return true
		}
		if completed > 0 && !send(completed) {
			return !c.ended()
		}
	}
}

// record adds one response to the measured counts.
func (c *conn) record(latencyNs int64, status int) {
	us := latencyNs / 1000
	if us < LatencyLowest {
		us = LatencyLowest
	} else if us > LatencyHighest {
		us = LatencyHighest
	}
	_ = c.hist.RecordValue(us) // in range by construction
	c.requests++
	class := status / 100
	if class < 1 || class > 5 {
		class = 0
	}
	c.status[class]++
}

// failed classifies an I/O error: the run's end or an abort is no failure;
// anything else counts in counter when measuring. It reports whether to dial
// again.
func (c *conn) failed(err error, counter *int64) bool {
	if c.ended() || errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	if c.g.now() >= c.g.measureNs {
		*counter++
	}
	return true
}

// ended reports whether the run is over for this connection.
func (c *conn) ended() bool { return c.isAborted() || c.g.now() >= c.g.endNs }

// attach publishes nc for abort; false means the run was aborted.
func (c *conn) attach(nc net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aborted {
		return false
	}
	c.nc = nc
	return true
}

// detach forgets the current connection.
func (c *conn) detach() {
	c.mu.Lock()
	c.nc = nil
	c.mu.Unlock()
}

// isAborted reports whether abort was called.
func (c *conn) isAborted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.aborted
}

// abort ends the connection's loop at once: a blocked read or write
// returns with a deadline error.
func (c *conn) abort() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.aborted = true
	if c.nc != nil {
		_ = c.nc.SetDeadline(time.Unix(1, 0))
	}
}
