// Package worker runs jobs on a set of goroutines fed by a bounded queue:
// the worker pool between miniasync's event loop and the handlers.
//
// # When the queue is full
//
// Submit blocks until a worker frees a slot. For the event loop that is the
// intended backpressure: it stops taking events from the poller, the kernel
// keeps buffering readiness and pending connections, and nothing is dropped
// or spun on. It cannot deadlock as long as jobs never wait for the
// submitter, which is the rule for every job the server submits (workers
// re-arm and close connections themselves). TrySubmit is the non-blocking
// form for callers that prefer to shed load.
//
// # Slow jobs
//
// A fixed pool of N workers is stalled by N jobs that block (a handler
// waiting on a slow database): every other job waits behind them. With
// Config.MaxWorkers above Workers the pool is elastic: when a job is
// submitted while no worker is idle, the pool starts an extra worker, up to
// MaxWorkers in all; an extra worker exits after ExtraIdle without a job.
package worker

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by Submit and TrySubmit after Close.
var ErrClosed = errors.New("worker: pool closed")

// DefaultExtraIdle is how long an extra worker of an elastic pool waits for
// a job before it exits.
const DefaultExtraIdle = time.Second

// PanicHandler receives the value and stack of a job that panicked. The
// worker then goes on with the next job. A job that called runtime.Goexit
// is reported with ErrGoexit; its worker's goroutine ends, and another
// takes its place.
type PanicHandler func(value any, stack []byte)

// ErrGoexit is the value a PanicHandler receives for a job that called
// runtime.Goexit instead of returning.
var ErrGoexit = errors.New("worker: job called runtime.Goexit")

// Config sizes a Pool.
type Config struct {
	// Workers is the number of goroutines that always run. At least 1.
	Workers int
	// Queue is how many jobs may wait for a worker. At least 0.
	Queue int
	// MaxWorkers, when above Workers, makes the pool elastic: extra
	// workers start while every worker is busy, up to this many in all.
	// Zero means Workers (a fixed pool).
	MaxWorkers int
	// ExtraIdle is how long an extra worker waits for a job before it
	// exits. Zero means DefaultExtraIdle.
	ExtraIdle time.Duration
	// OnPanic, if not nil, is called when a job panics.
	OnPanic PanicHandler
}

// Pool runs jobs of type T.
//
// Submit, TrySubmit and Close are called by one goroutine (the owner, the
// event loop); that is what lets Submit check for a closed pool without a
// lock.
type Pool[T any] struct {
	queue  chan T
	start  func() func(T)
	cfg    Config
	wg     sync.WaitGroup
	idle   atomic.Int32 // workers waiting for a job (counted by elastic pools only)
	extra  atomic.Int32 // extra workers running
	closed bool
}

// New starts cfg.Workers goroutines that call run for each submitted job.
func New[T any](cfg Config, run func(T)) (*Pool[T], error) {
	if run == nil {
		return nil, errors.New("worker: run function is nil")
	}
	return NewPerWorker(cfg, func() func(T) { return run })
}

// NewPerWorker is New for jobs that keep state per worker: every worker
// goroutine calls start once and runs its jobs with the function start
// returned, so whatever that function's closure holds is only ever touched
// by that one goroutine (a cache of buffers needs no lock and no sync.Pool).
func NewPerWorker[T any](cfg Config, start func() func(T)) (*Pool[T], error) {
	if cfg.Workers < 1 {
		return nil, fmt.Errorf("worker: need at least 1 worker, got %d", cfg.Workers)
	}
	if cfg.Queue < 0 {
		return nil, fmt.Errorf("worker: queue size must not be negative, got %d", cfg.Queue)
	}
	if cfg.MaxWorkers == 0 {
		cfg.MaxWorkers = cfg.Workers
	}
	if cfg.MaxWorkers < cfg.Workers {
		return nil, fmt.Errorf("worker: MaxWorkers (%d) is below Workers (%d)", cfg.MaxWorkers, cfg.Workers)
	}
	if cfg.ExtraIdle <= 0 {
		cfg.ExtraIdle = DefaultExtraIdle
	}
	if start == nil {
		return nil, errors.New("worker: start function is nil")
	}
	p := &Pool[T]{queue: make(chan T, cfg.Queue), start: start, cfg: cfg}
	p.wg.Add(cfg.Workers)
	for range cfg.Workers {
		go p.work()
	}
	return p, nil
}

func (p *Pool[T]) work() {
	defer p.wg.Done()
	run := p.start()
	elastic := p.cfg.MaxWorkers > p.cfg.Workers
	for {
		if elastic { // only an elastic pool asks how many are idle
			p.idle.Add(1)
		}
		job, ok := <-p.queue
		if elastic {
			p.idle.Add(-1)
		}
		if !ok {
			return
		}
		p.runOne(run, job, true)
	}
}

// workExtra is an elastic pool's extra worker: it runs first, then jobs
// from the queue until it has waited ExtraIdle for one.
func (p *Pool[T]) workExtra(first T) {
	defer p.wg.Done()
	defer p.extra.Add(-1)
	run := p.start()
	p.runOne(run, first, false)
	idle := time.NewTimer(p.cfg.ExtraIdle)
	defer idle.Stop()
	for {
		p.idle.Add(1)
		select {
		case job, ok := <-p.queue:
			p.idle.Add(-1)
			if !ok {
				return
			}
			p.runOne(run, job, false)
			idle.Reset(p.cfg.ExtraIdle)
		case <-idle.C:
			p.idle.Add(-1)
			return
		}
	}
}

// runOne runs one job. A job that calls runtime.Goexit (a handler's
// t.FailNow, say) ends its worker's goroutine, which no recover can stop; a
// core worker lost that way is replaced, so the pool keeps its size.
func (p *Pool[T]) runOne(run func(T), job T, core bool) {
	returned := false
	defer func() {
		if returned {
			return
		}
		if v := recover(); v != nil {
			if p.cfg.OnPanic != nil {
				p.cfg.OnPanic(v, debug.Stack())
			}
			return
		}
		if p.cfg.OnPanic != nil {
			p.cfg.OnPanic(ErrGoexit, debug.Stack())
		}
		if core {
			p.wg.Add(1) // before this goroutine's Done: Close's Wait cannot end in between
			go p.work()
		}
	}()
	run(job)
	returned = true
}

// startExtra starts an extra worker for job when the pool is elastic, no
// worker is idle, and the cap allows. It reports whether it did.
func (p *Pool[T]) startExtra(job T) bool {
	if p.idle.Load() > 0 {
		return false
	}
	for {
		n := p.extra.Load()
		if int(n)+p.cfg.Workers >= p.cfg.MaxWorkers {
			return false
		}
		if p.extra.CompareAndSwap(n, n+1) {
			break
		}
	}
	p.wg.Add(1)
	go p.workExtra(job)
	return true
}

// Submit queues job, waiting while the queue is full (see the package doc).
func (p *Pool[T]) Submit(job T) error {
	if p.closed {
		return ErrClosed
	}
	if p.cfg.MaxWorkers > p.cfg.Workers && p.startExtra(job) {
		return nil
	}
	p.queue <- job
	return nil
}

// TrySubmit queues job if there is room and reports whether it did.
func (p *Pool[T]) TrySubmit(job T) (bool, error) {
	if p.closed {
		return false, ErrClosed
	}
	if p.cfg.MaxWorkers > p.cfg.Workers && p.startExtra(job) {
		return true, nil
	}
	select {
	case p.queue <- job:
		return true, nil
	default:
		return false, nil
	}
}

// Queued returns the number of jobs waiting for a worker.
func (p *Pool[T]) Queued() int { return len(p.queue) }

// Extra returns the number of extra workers an elastic pool is running.
func (p *Pool[T]) Extra() int { return int(p.extra.Load()) }

// Close stops taking jobs, lets the workers finish every queued job, and
// returns when they have exited. Calling it again does nothing.
func (p *Pool[T]) Close() {
	if p.closed {
		return
	}
	p.closed = true
	close(p.queue)
	p.wg.Wait()
}
