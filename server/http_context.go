package server

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// requestContext is the context of a request served through HTTPHandler. It
// is cancelled when the handler returns, when the client goes away while
// the handler runs (the event loop checks once per tick), when the
// connection fails under a streaming handler, and when the server closes
// (Close, or Shutdown whose context ended). It allocates its Done channel
// only when asked for.
type requestContext struct {
	local net.Addr
	start int64 // loop clock when the handler started

	mu    sync.Mutex
	done  chan struct{}
	err   error
	after []*afterFunc
}

// afterFunc is one function registered with AfterFunc.
type afterFunc struct {
	f       func()
	stopped bool
}

// closedChan is the Done channel of contexts cancelled before anyone asked.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

var _ context.Context = (*requestContext)(nil)

// Deadline implements context.Context: requests have no deadline.
func (x *requestContext) Deadline() (time.Time, bool) { return time.Time{}, false }

// Done implements context.Context.
func (x *requestContext) Done() <-chan struct{} {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.done == nil {
		if x.err != nil {
			x.done = closedChan
		} else {
			x.done = make(chan struct{})
		}
	}
	return x.done
}

// Err implements context.Context.
func (x *requestContext) Err() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.err
}

// Value implements context.Context with the keys net/http provides:
// http.LocalAddrContextKey. http.ServerContextKey has no *http.Server to
// return and yields nil.
func (x *requestContext) Value(key any) any {
	if key == http.LocalAddrContextKey {
		return x.local
	}
	return nil
}

// AfterFunc lets context.AfterFunc and context.WithCancel register without
// starting a goroutine per derived context (the context package looks for
// this method).
func (x *requestContext) AfterFunc(f func()) (stop func() bool) {
	a := &afterFunc{f: f}
	x.mu.Lock()
	if x.err != nil {
		x.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	x.after = append(x.after, a)
	x.mu.Unlock()
	return func() bool {
		x.mu.Lock()
		defer x.mu.Unlock()
		if x.err != nil || a.stopped {
			return false
		}
		a.stopped = true
		return true
	}
}

// cancel ends the context with err (the first call wins).
func (x *requestContext) cancel(err error) {
	x.mu.Lock()
	if x.err != nil {
		x.mu.Unlock()
		return
	}
	x.err = err
	if x.done == nil {
		x.done = closedChan
	} else {
		close(x.done)
	}
	after := x.after
	x.after = nil
	x.mu.Unlock()
	for _, a := range after {
		if !a.stopped {
			go a.f()
		}
	}
}
