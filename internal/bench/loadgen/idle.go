package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// IdleConfig describes a set of idle keep-alive connections.
type IdleConfig struct {
	// Addr is the server's TCP address (host:port).
	Addr string
	// Request is the request each connection sends once. Its Host
	// defaults to Addr.
	Request RequestSpec
	// Conns is how many connections to open.
	Conns int
	// Parallel is how many connections are being opened at once; 0 means
	// 64.
	Parallel int
	// Timeout bounds each connection's dial, request and response; 0
	// means 5 s.
	Timeout time.Duration
}

// IdleSet is a set of open keep-alive connections that each made one
// request and got its response, and now send nothing. Close it when done.
type IdleSet struct {
	conns []net.Conn
}

// Len returns how many connections are open.
func (s *IdleSet) Len() int { return len(s.conns) }

// Close closes every connection.
func (s *IdleSet) Close() {
	for _, c := range s.conns {
		_ = c.Close()
	}
	s.conns = nil
}

// OpenIdle opens cfg.Conns connections, has each make one request and read
// its whole response, and leaves them open and silent: the idle
// connections whose memory a server is measured for. On the first failure
// it closes everything it opened and returns the error.
func OpenIdle(ctx context.Context, cfg IdleConfig) (*IdleSet, error) {
	if cfg.Addr == "" {
		return nil, errors.New("loadgen: no address")
	}
	if cfg.Conns < 1 {
		return nil, fmt.Errorf("loadgen: idle conns must be at least 1, not %d", cfg.Conns)
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 64
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Request.Host == "" {
		cfg.Request.Host = cfg.Addr
	}
	req, err := cfg.Request.Build()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	set := &IdleSet{conns: make([]net.Conn, cfg.Conns)}
	next := make(chan int)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range min(cfg.Parallel, cfg.Conns) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 4096)
			for i := range next {
				c, err := openOne(ctx, cfg, req, buf)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("idle connection %d: %w", i+1, err)
					}
					mu.Unlock()
					cancel()
					continue
				}
				set.conns[i] = c
			}
		}()
	}
	for i := range cfg.Conns {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		for _, c := range set.conns {
			if c != nil {
				_ = c.Close()
			}
		}
		return nil, firstErr
	}
	return set, nil
}

// openOne dials, sends req and reads one whole response.
func openOne(ctx context.Context, cfg IdleConfig, req, buf []byte) (net.Conn, error) {
	d := net.Dialer{Timeout: cfg.Timeout}
	c, err := d.DialContext(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(cfg.Timeout))
	if _, err := c.Write(req); err != nil {
		_ = c.Close()
		return nil, err
	}
	p := Parser{Head: cfg.Request.IsHead()}
	have := 0
	for {
		n, err := c.Read(buf[have:])
		if err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("reading the response: %w", err)
		}
		have += n
		r, done := 0, false
		for r < have && !done {
			used, fin, perr := p.Parse(buf[r:have])
			if perr != nil {
				_ = c.Close()
				return nil, perr
			}
			r += used
			done = fin
			if used == 0 {
				break
			}
		}
		have = copy(buf, buf[r:have])
		if done {
			break
		}
		if have == len(buf) {
			_ = c.Close()
			return nil, errors.New("response line longer than the buffer")
		}
	}
	if p.Close() {
		_ = c.Close()
		return nil, errors.New("the server closed the connection after one response")
	}
	_ = c.SetDeadline(time.Time{})
	return c, nil
}
