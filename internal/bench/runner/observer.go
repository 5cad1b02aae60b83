package runner

import (
	"time"

	"github.com/miniasync/miniasync/internal/bench/result"
	"github.com/miniasync/miniasync/internal/bench/sweep"
)

// Observer hears what the runner is doing, to show progress. Its methods
// are called from Run's goroutine, except that progress may be called from
// any goroutine.
type Observer interface {
	// RoundStarting says round (from 1) of rounds begins; it is called
	// only when there are several.
	RoundStarting(round, rounds int)
	// ServerStarted says a server is up and accepting on addr.
	ServerStarted(t Target, addr string)
	// RunStarting says a load run begins; it lasts about total, and
	// progress returns the responses completed so far.
	RunStarting(t Target, p sweep.Point, total time.Duration, progress func() int64)
	// RunFinished says a load run ended (Error set if it failed).
	RunFinished(r result.Run)
	// WrkStarting says wrk is about to load the same server for d.
	WrkStarting(t Target, p sweep.Point, d time.Duration)
	// Warning reports a problem that does not stop the bench, such as a
	// server that had to be killed.
	Warning(msg string)
}

// Quiet is an Observer that shows nothing.
type Quiet struct{}

// RoundStarting does nothing.
func (Quiet) RoundStarting(int, int) {}

// ServerStarted does nothing.
func (Quiet) ServerStarted(Target, string) {}

// RunStarting does nothing.
func (Quiet) RunStarting(Target, sweep.Point, time.Duration, func() int64) {}

// RunFinished does nothing.
func (Quiet) RunFinished(result.Run) {}

// WrkStarting does nothing.
func (Quiet) WrkStarting(Target, sweep.Point, time.Duration) {}

// Warning does nothing.
func (Quiet) Warning(string) {}
