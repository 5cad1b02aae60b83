package worker

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunsEveryJob(t *testing.T) {
	var sum atomic.Int64
	p, err := New(Config{Workers: 3, Queue: 8}, func(n int) { sum.Add(int64(n)) })
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 100; i++ {
		if err := p.Submit(i); err != nil {
			t.Fatal(err)
		}
	}
	p.Close()
	if got := sum.Load(); got != 5050 {
		t.Fatalf("sum of jobs = %d, want 5050", got)
	}
}

// TestFullQueueBlocksSubmit documents the backpressure rule: with every
// worker busy and the queue full, Submit waits (no drop, no spin) and
// returns as soon as a worker frees a slot.
func TestFullQueueBlocksSubmit(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 4)
	p, err := New(Config{Workers: 1, Queue: 1}, func(int) { started <- struct{}{}; <-release })
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_ = p.Submit(1) // taken by the worker
	<-started
	_ = p.Submit(2) // fills the queue
	if ok, _ := p.TrySubmit(3); ok {
		t.Fatal("TrySubmit succeeded on a full queue")
	}
	submitted := make(chan struct{})
	go func() { _ = p.Submit(3); close(submitted) }()
	select {
	case <-submitted:
		t.Fatal("Submit returned while the queue was full")
	case <-time.After(50 * time.Millisecond):
	}
	release <- struct{}{} // job 1 ends; the worker takes job 2, freeing a slot
	select {
	case <-submitted:
	case <-time.After(5 * time.Second):
		t.Fatal("Submit still blocked after a slot was freed")
	}
	close(release)
}

// reports collects what a pool's OnPanic receives.
type reports struct {
	t   *testing.T
	mu  sync.Mutex
	got []any
}

func (r *reports) add(v any, stack []byte) {
	r.mu.Lock()
	r.got = append(r.got, v)
	r.mu.Unlock()
	if len(stack) == 0 {
		r.t.Error("empty stack")
	}
}

func TestPanicIsReportedAndWorkerGoesOn(t *testing.T) {
	rep := &reports{t: t}
	var ran atomic.Int32
	p, err := New(Config{Workers: 1, Queue: 4, OnPanic: rep.add}, func(n int) {
		if n == 1 {
			panic("boom")
		}
		ran.Add(1)
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = p.Submit(1)
	_ = p.Submit(2)
	p.Close()
	if len(rep.got) != 1 || rep.got[0] != "boom" || ran.Load() != 1 {
		t.Fatalf("panics %v, jobs after the panic %d; want [boom] and 1", rep.got, ran.Load())
	}
}

// TestGoexitWorkerIsReplaced: a job that calls runtime.Goexit ends its
// worker's goroutine; it is reported as ErrGoexit and a new worker takes
// its place, so a one-worker pool still runs the jobs after it, and Close
// still waits for every worker (goleak checks none is left).
func TestGoexitWorkerIsReplaced(t *testing.T) {
	rep := &reports{t: t}
	var ran atomic.Int32
	p, err := New(Config{Workers: 1, Queue: 8, OnPanic: rep.add}, func(n int) {
		if n%2 == 1 {
			runtime.Goexit()
		}
		ran.Add(1)
	})
	if err != nil {
		t.Fatal(err)
	}
	for n := range 6 {
		_ = p.Submit(n)
	}
	p.Close()
	if len(rep.got) != 3 || rep.got[0] != ErrGoexit || ran.Load() != 3 {
		t.Fatalf("reported %v, jobs run %d; want 3 x ErrGoexit and 3", rep.got, ran.Load())
	}
}

func TestClosedPool(t *testing.T) {
	p, err := New(Config{Workers: 1, Queue: 1}, func(int) {})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	p.Close() // idempotent
	if err := p.Submit(1); err != ErrClosed {
		t.Fatalf("Submit after Close: %v, want ErrClosed", err)
	}
	if _, err := p.TrySubmit(1); err != ErrClosed {
		t.Fatalf("TrySubmit after Close: %v, want ErrClosed", err)
	}
}

func TestNewRejectsBadArguments(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		run  func(int)
	}{
		{"no workers", Config{Workers: 0, Queue: 1}, func(int) {}},
		{"negative queue", Config{Workers: 1, Queue: -1}, func(int) {}},
		{"max below workers", Config{Workers: 2, MaxWorkers: 1}, func(int) {}},
		{"nil run", Config{Workers: 1, Queue: 1}, nil},
	} {
		if _, err := New(tc.cfg, tc.run); err == nil {
			t.Errorf("%s: New succeeded", tc.name)
		}
	}
}

// TestElasticPoolRunsPastBlockedWorkers: with both fixed workers blocked,
// an elastic pool still runs new jobs on extra workers, never more than
// MaxWorkers in all, and the extras exit once idle.
func TestElasticPoolRunsPastBlockedWorkers(t *testing.T) {
	block := make(chan struct{})
	done := make(chan int, 16)
	p, err := New(Config{Workers: 2, Queue: 4, MaxWorkers: 4, ExtraIdle: 20 * time.Millisecond}, func(n int) {
		if n < 0 {
			<-block
			return
		}
		done <- n
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_ = p.Submit(-1)
	_ = p.Submit(-2)
	time.Sleep(20 * time.Millisecond) // both fixed workers are blocked
	_ = p.Submit(1)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a job waited behind blocked workers in an elastic pool")
	}
	if e := p.Extra(); e < 1 || e > 2 {
		t.Fatalf("%d extra workers, want 1 or 2 (cap 4 in all)", e)
	}
	close(block)
	deadline := time.Now().Add(5 * time.Second)
	for p.Extra() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("extra workers did not exit when idle: %d left", p.Extra())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestFixedPoolWaitsBehindBlockedWorkers is the contrast: a fixed pool runs
// nothing while its workers are blocked.
func TestFixedPoolWaitsBehindBlockedWorkers(t *testing.T) {
	block := make(chan struct{})
	done := make(chan int, 1)
	p, err := New(Config{Workers: 1, Queue: 4}, func(n int) {
		if n < 0 {
			<-block
			return
		}
		done <- n
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = p.Submit(-1)
	_ = p.Submit(1)
	select {
	case <-done:
		t.Fatal("a fixed pool ran a job past its only, blocked worker")
	case <-time.After(50 * time.Millisecond):
	}
	close(block)
	<-done
	p.Close()
}

// TestPerWorkerState: each worker calls start once and runs every job it
// takes with what start returned, so state in that closure is never shared
// between goroutines (the race detector checks the unguarded counter).
func TestPerWorkerState(t *testing.T) {
	var starts atomic.Int32
	var total atomic.Int64
	p, err := NewPerWorker(Config{Workers: 3, Queue: 4}, func() func(int) {
		starts.Add(1)
		ran := 0 // touched by this worker only
		return func(n int) {
			ran++
			total.Add(int64(n))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 200; i++ {
		if err := p.Submit(i); err != nil {
			t.Fatal(err)
		}
	}
	p.Close()
	if got := starts.Load(); got != 3 {
		t.Fatalf("start called %d times, want once per worker (3)", got)
	}
	if got := total.Load(); got != 20100 {
		t.Fatalf("sum of jobs = %d, want 20100", got)
	}
	if _, err := NewPerWorker[int](Config{Workers: 1}, nil); err == nil {
		t.Fatal("NewPerWorker accepted a nil start function")
	}
}
