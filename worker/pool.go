// Package worker runs jobs on a fixed set of goroutines fed by a bounded
// queue: the worker pool between miniasync's event loop and the handlers.
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
package worker

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
)

// ErrClosed is returned by Submit and TrySubmit after Close.
var ErrClosed = errors.New("worker: pool closed")

// PanicHandler receives the value and stack of a job that panicked. The
// worker then goes on with the next job.
type PanicHandler func(value any, stack []byte)

// Pool runs jobs of type T with a fixed number of goroutines.
//
// Submit, TrySubmit and Close are called by one goroutine (the owner, the
// event loop); that is what lets Submit check for a closed pool without a
// lock.
type Pool[T any] struct {
	queue   chan T
	run     func(T)
	onPanic PanicHandler
	wg      sync.WaitGroup
	closed  bool
}

// New starts workers goroutines that call run for each submitted job, with
// room for queue jobs waiting. onPanic, if not nil, is called when run panics.
func New[T any](workers, queue int, run func(T), onPanic PanicHandler) (*Pool[T], error) {
	if workers < 1 {
		return nil, fmt.Errorf("worker: need at least 1 worker, got %d", workers)
	}
	if queue < 0 {
		return nil, fmt.Errorf("worker: queue size must not be negative, got %d", queue)
	}
	if run == nil {
		return nil, errors.New("worker: run function is nil")
	}
	p := &Pool[T]{queue: make(chan T, queue), run: run, onPanic: onPanic}
	p.wg.Add(workers)
	for range workers {
		go p.work()
	}
	return p, nil
}

func (p *Pool[T]) work() {
	defer p.wg.Done()
	for job := range p.queue {
		p.runOne(job)
	}
}

func (p *Pool[T]) runOne(job T) {
	defer func() {
		if v := recover(); v != nil && p.onPanic != nil {
			p.onPanic(v, debug.Stack())
		}
	}()
	p.run(job)
}

// Submit queues job, waiting while the queue is full.
func (p *Pool[T]) Submit(job T) error {
	if p.closed {
		return ErrClosed
	}
	p.queue <- job
	return nil
}

// TrySubmit queues job if there is room and reports whether it did.
func (p *Pool[T]) TrySubmit(job T) (bool, error) {
	if p.closed {
		return false, ErrClosed
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
