package fdconn

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/miniasync/miniasync/poller"
)

// Waker is the eventfd through which a Linux backend's event loop is woken
// (poller.Poller.Wake). Wake writes it at most once until the loop, having
// read it, calls Rearm, so a burst of wake-ups costs one system call. Wake
// may run on any goroutine, also during Close.
type Waker struct {
	woken atomic.Bool
	// mu keeps Close from closing the descriptor under a Wake that is
	// writing to it (the number could be reused).
	mu sync.RWMutex
	fd int
}

// NewWaker opens the eventfd; flags may add unix.EFD_NONBLOCK.
func NewWaker(flags int) (*Waker, error) {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|flags)
	if err != nil {
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	return &Waker{fd: fd}, nil
}

// FD returns the eventfd, for the loop to wait on or read; only the loop,
// which also calls Close, may use it.
func (w *Waker) FD() int { return w.fd }

// Wake writes the eventfd unless a wake-up is already pending. It returns
// poller.ErrClosed after Close.
func (w *Waker) Wake() error {
	if !w.woken.CompareAndSwap(false, true) {
		return nil
	}
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.fd < 0 {
		return poller.ErrClosed
	}
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	for {
		_, err := unix.Write(w.fd, one[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil && err != unix.EAGAIN { // EAGAIN: the counter is already non-zero
			return fmt.Errorf("eventfd write: %w", err)
		}
		return nil
	}
}

// Rearm lets the next Wake write again; the loop calls it once it has read
// the eventfd.
func (w *Waker) Rearm() { w.woken.Store(false) }

// Drain reads a non-blocking eventfd and rearms it.
func (w *Waker) Drain() {
	var buf [8]byte
	_, _ = unix.Read(w.fd, buf[:])
	w.Rearm()
}

// Close closes the eventfd; later Wakes return at once.
func (w *Waker) Close() error {
	w.woken.Store(true)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fd < 0 {
		return nil
	}
	err := unix.Close(w.fd)
	w.fd = -1
	if err != nil {
		return fmt.Errorf("close eventfd: %w", err)
	}
	return nil
}
