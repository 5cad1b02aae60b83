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
	pc    localAddrer // asked for the local address on first use
	start int64       // loop clock when the handler started

	local     net.Addr
	localDone bool // looked up, or the handler returned
	mu        sync.Mutex
	done      chan struct{}
	err       error
	after     []*afterFunc
}

// afterFunc is one function registered with AfterFunc, at index i of
// requestContext.after while it is registered.
type afterFunc struct {
	f func()
	i int
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
//
// The local address costs a system call, so it is looked up on first use,
// which must be while the handler runs (later it is nil unless it was
// asked for before).
func (x *requestContext) Value(key any) any {
	if key != http.LocalAddrContextKey {
		return nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.localDone {
		x.local, x.localDone = x.pc.LocalAddr(), true
	}
	return x.local
}

// localAddrer is the part of poller.Conn the context needs.
type localAddrer interface{ LocalAddr() net.Addr }

// AfterFunc lets context.AfterFunc and context.WithCancel register without
// starting a goroutine per derived context (the context package looks for
// this method).
func (x *requestContext) AfterFunc(f func()) (stop func() bool) {
	x.mu.Lock()
	if x.err != nil {
		x.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	a := &afterFunc{f: f, i: len(x.after)}
	x.after = append(x.after, a)
	x.mu.Unlock()
	return func() bool {
		x.mu.Lock()
		defer x.mu.Unlock()
		if x.err != nil || a.i < 0 {
			return false
		}
		// Unregistered at once, as context's own parents drop a cancelled
		// child: a handler deriving a context per call does not pile
		// them up until it returns.
		last := x.after[len(x.after)-1]
		x.after[a.i], last.i = last, a.i
		x.after[len(x.after)-1] = nil
		x.after = x.after[:len(x.after)-1]
		a.i = -1
		return true
	}
}

// handlerReturned cancels the context and stops later local-address
// lookups: the connection may be closed and its descriptor reused.
func (x *requestContext) handlerReturned() {
	x.mu.Lock()
	x.localDone = true
	x.mu.Unlock()
	x.cancel(context.Canceled)
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
		go a.f()
	}
}
