package worker

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunsEveryJob(t *testing.T) {
	var sum atomic.Int64
	p, err := New(3, 8, func(n int) { sum.Add(int64(n)) }, nil)
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
	p, err := New(1, 1, func(int) { started <- struct{}{}; <-release }, nil)
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

func TestPanicIsReportedAndWorkerGoesOn(t *testing.T) {
	var mu sync.Mutex
	var got []any
	var ran atomic.Int32
	p, err := New(1, 4, func(n int) {
		if n == 1 {
			panic("boom")
		}
		ran.Add(1)
	}, func(v any, stack []byte) {
		mu.Lock()
		got = append(got, v)
		mu.Unlock()
		if len(stack) == 0 {
			t.Error("empty stack")
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = p.Submit(1)
	_ = p.Submit(2)
	p.Close()
	if len(got) != 1 || got[0] != "boom" || ran.Load() != 1 {
		t.Fatalf("panics %v, jobs after the panic %d; want [boom] and 1", got, ran.Load())
	}
}

func TestClosedPool(t *testing.T) {
	p, err := New(1, 1, func(int) {}, nil)
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
		name           string
		workers, queue int
		run            func(int)
	}{
		{"no workers", 0, 1, func(int) {}},
		{"negative queue", 1, -1, func(int) {}},
		{"nil run", 1, 1, nil},
	} {
		if _, err := New(tc.workers, tc.queue, tc.run, nil); err == nil {
			t.Errorf("%s: New succeeded", tc.name)
		}
	}
}
