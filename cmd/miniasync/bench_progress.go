package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/miniasync/miniasync/internal/bench/report"
	"github.com/miniasync/miniasync/internal/bench/result"
	"github.com/miniasync/miniasync/internal/bench/runner"
	"github.com/miniasync/miniasync/internal/bench/sweep"
)

// progress shows the bench's progress on stderr: a progress bar per run
// on a terminal, a line per run otherwise, nothing but warnings when quiet.
type progress struct {
	w     io.Writer
	quiet bool
	tty   bool

	// round and rounds say which round runs, when there are several;
	// they are set and read on the runner's goroutine only.
	round, rounds int

	mu   sync.Mutex // serialises writes to w
	stop chan struct{}
	done chan struct{}
}

var _ runner.Observer = (*progress)(nil)

// newProgress returns an observer writing to w.
func newProgress(w io.Writer, quiet, tty bool) *progress {
	return &progress{w: w, quiet: quiet, tty: tty}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (p *progress) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, args...)
}

// RoundStarting notes that a new round begins.
func (p *progress) RoundStarting(round, rounds int) {
	p.round, p.rounds = round, rounds
	if !p.quiet {
		p.endBar()
		p.printf("round %d of %d\n", round, rounds)
	}
}

// roundPrefix returns "round 2/3: " while a bench of several rounds runs,
// and "" otherwise.
func (p *progress) roundPrefix() string {
	if p.rounds <= 1 {
		return ""
	}
	return fmt.Sprintf("round %d/%d: ", p.round, p.rounds)
}

// ServerStarted notes the server's address.
func (p *progress) ServerStarted(t runner.Target, addr string) {
	if !p.quiet {
		p.printf("%s: serving on %s\n", t.Name, addr)
	}
}

// RunStarting starts the progress bar for one run, on a terminal.
func (p *progress) RunStarting(t runner.Target, pt sweep.Point, total time.Duration, completed func() int64) {
	if p.quiet || !p.tty {
		return
	}
	p.endBar()
	label := fmt.Sprintf("%s%s %s", p.roundPrefix(), t.Name, pt)
	bar := progressbar.NewOptions64(total.Milliseconds(),
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(label),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetPredictTime(false),
	)
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go p.drive(bar, label, total, completed, p.stop, p.done)
}

// drive moves the bar with the clock and shows the current request rate.
func (p *progress) drive(bar *progressbar.ProgressBar, label string, total time.Duration, completed func() int64, stop, done chan struct{}) {
	defer close(done)
	start := time.Now()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	last, lastAt := completed(), start
	for {
		select {
		case <-stop:
			p.mu.Lock()
			_ = bar.Finish()
			p.mu.Unlock()
			return
		case now := <-tick.C:
			n := completed()
			rate := float64(n-last) / now.Sub(lastAt).Seconds()
			last, lastAt = n, now
			p.mu.Lock()
			bar.Describe(fmt.Sprintf("%s  %s req/s", label, report.Count(rate)))
			_ = bar.Set64(min(now.Sub(start), total).Milliseconds())
			p.mu.Unlock()
		}
	}
}

// endBar stops the running bar, if any, and waits for it.
func (p *progress) endBar() {
	if p.stop != nil {
		close(p.stop)
		<-p.done
		p.stop, p.done = nil, nil
	}
}

// RunFinished ends the bar and prints the run's summary line.
func (p *progress) RunFinished(r result.Run) {
	p.endBar()
	if p.quiet {
		return
	}
	if r.Error != "" {
		p.printf("%s%s conns=%d pipeline=%d: failed\n", p.roundPrefix(), r.Server, r.Conns, r.Pipeline)
		return
	}
	if r.Idle() {
		p.printf("%s%s with %d idle connections: RSS %s -> %s MiB, %.0f B per idle connection\n",
			p.roundPrefix(), r.Server, r.IdleConns, report.MiB(float64(r.IdleRSSBeforeBytes)), report.MiB(float64(r.IdleRSSAfterBytes)), r.IdleRSSPerConn)
		return
	}
	cpu := "server CPU unknown"
	if r.ServerCPUKnown {
		cpu = fmt.Sprintf("server CPU %.2f s (%s req/CPU-s)", r.ServerCPUSeconds, report.Count(r.RequestsPerCPUSec))
	}
	p.printf("%s%s conns=%d pipeline=%d: %s req/s, p99 %s, %s, %d errors, %d non-2xx\n",
		p.roundPrefix(), r.Server, r.Conns, r.Pipeline, report.Count(r.RequestsPerSec), report.Micros(r.Latency.P99),
		cpu, r.Errors.Total(), r.Non2xx)
}

// WrkStarting notes that wrk runs next.
func (p *progress) WrkStarting(t runner.Target, pt sweep.Point, d time.Duration) {
	if !p.quiet {
		p.printf("%s %s: wrk for %v\n", t.Name, pt, d)
	}
}

// Warning prints msg, even when quiet.
func (p *progress) Warning(msg string) {
	p.endBar()
	p.printf("warning: %s\n", msg)
}

// close stops any bar still running.
func (p *progress) close() { p.endBar() }
