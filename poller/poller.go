// Package poller is the I/O readiness layer under the miniasync server core.
//
// A Poller accepts connections on one listening address and reports events
// on them to a single goroutine, the server's event loop, which calls Wait in
// a loop. Three kinds of backend fit behind the same contract without faking
// file descriptors:
//
//   - readiness backends (epoll, kqueue) report that a socket can be read and
//     leave the read(2) to whoever owns the connection;
//   - connection-level backends (the cloudwego/netpoll adapter) have already
//     read the bytes into their own buffers;
//   - completion backends (io_uring) have completed a receive into a buffer.
//
// What they share is the connection (a Conn), not the file descriptor.
//
// # Ownership
//
// Every connection has exactly one owner at a time: either the Poller or the
// code that received the connection's last event. Every event hands the
// connection to the receiver, and the Poller reports nothing more for it
// until the owner hands it back with Conn.Arm, or ends it with Conn.Close.
// The owner may pass the connection to another goroutine (a worker) as long
// as only one goroutine uses it at a time. This is what EPOLLONESHOT and
// EV_DISPATCH give the native backends, and what the netpoll adapter
// enforces itself; it is why no per-connection lock is needed above this
// package.
//
// A new connection is reported with EventOpened. It is already armed for
// reading: the receiver owns only the right to attach its state with
// Conn.SetContext before the next call to Wait, and must not call Arm for it.
// That single exception saves a system call per connection.
//
// # Input
//
// EventReadable says there is input. Readiness backends leave Event.Data nil:
// the owner calls Conn.Read. Backends that already hold the bytes put them in
// Event.Data; they stay valid until the owner calls Arm or Close, so the
// owner consumes or copies them before that. Conn.Read works on every
// backend and returns ErrWouldBlock when nothing more is available now.
// Read returns io.EOF once the peer has closed its side and every byte sent
// before that has been read.
//
// # Spurious events
//
// An event is a hint, not a promise: Read may return ErrWouldBlock after an
// EventReadable, and Write may accept nothing after an EventWritable. The
// owner then simply arms the connection again.
//
// # Output
//
// Conn.Write never blocks. It writes what the socket takes now and returns
// ErrWouldBlock with the count written so far when the rest does not fit. The
// owner keeps the rest, arms with Writable, and writes again on
// EventWritable. A backend never buffers output without bound on the
// owner's behalf.
//
// # Closing
//
// Only the owner closes a connection, with Conn.Close, exactly once; the
// Poller releases everything it held for it, and no event for it is reported
// afterwards, even if the operating system reuses its file descriptor (events
// carry a generation for that). When a backend learns that a connection
// failed while it owned it (a reset, an error on the socket), it reports
// EventClosed with the cause in Event.Err; the receiver owns the connection
// and must Close it. A peer's orderly close is reported as EventReadable, and
// Read returns io.EOF after the last byte.
//
// # Wake-ups
//
// Wake may be called from any goroutine; it makes the current or the next
// Wait return promptly, with zero events if nothing else happened. Native
// backends use the operating system's own mechanism (eventfd, EVFILT_USER).
//
// # Shutdown
//
// StopAccepting closes the listener and leaves existing connections alone.
// Close releases the Poller itself; the caller closes its connections first.
// Both are called by the goroutine that calls Wait, between calls to Wait.
package poller

import (
	"errors"
	"net"
	"time"
)

// Interest says which readiness the owner of a connection waits for when it
// hands the connection back to the Poller with Conn.Arm.
type Interest uint8

const (
	// Readable asks for EventReadable when input arrives (or is already
	// buffered) or the peer closes.
	Readable Interest = 1 << iota
	// Writable asks for EventWritable when the socket can take more output.
	Writable
)

// String returns "readable", "writable" or both joined by "|".
func (i Interest) String() string {
	switch i {
	case Readable:
		return "readable"
	case Writable:
		return "writable"
	case Readable | Writable:
		return "readable|writable"
	}
	return "none"
}

// EventKind says what an Event reports.
type EventKind uint8

const (
	// EventOpened reports a newly accepted connection, already armed for
	// reading.
	EventOpened EventKind = iota + 1
	// EventReadable reports input, or the peer's orderly close.
	EventReadable
	// EventWritable reports that the socket can take more output.
	EventWritable
	// EventClosed reports that the connection failed; Event.Err holds the
	// cause. The receiver must Close it.
	EventClosed
)

// String returns the event kind's name.
func (k EventKind) String() string {
	switch k {
	case EventOpened:
		return "opened"
	case EventReadable:
		return "readable"
	case EventWritable:
		return "writable"
	case EventClosed:
		return "closed"
	}
	return "unknown"
}

// Event is one notification from a Poller. Each event except EventOpened
// hands its connection to the receiver (see the package doc).
type Event struct {
	// Conn is the connection the event is about.
	Conn Conn
	// Data, for EventReadable from a backend that already holds the input,
	// is that input. It stays valid until the owner calls Conn.Arm or
	// Conn.Close. It is nil on readiness backends.
	Data []byte
	// Err is the cause of an EventClosed.
	Err error
	// Kind says what happened.
	Kind EventKind
}

// Conn is a connection accepted by a Poller. Its methods other than Context
// may be called only by its current owner.
type Conn interface {
	// Read reads available input into p. It returns ErrWouldBlock when
	// nothing is available now and io.EOF after the peer's orderly close.
	Read(p []byte) (int, error)
	// Write writes as much of p as the socket takes now. When it cannot
	// take all of p it returns the count written and ErrWouldBlock.
	Write(p []byte) (int, error)
	// Arm hands the connection back to the Poller, which reports the next
	// event for the given interest.
	Arm(Interest) error
	// CloseWrite shuts down the sending side (a TCP FIN) and keeps the
	// connection open for reading.
	CloseWrite() error
	// Close closes the connection and releases what the Poller held for
	// it. It is called exactly once, by the owner.
	Close() error
	// SetContext attaches the owner's state to the connection.
	SetContext(v any)
	// Context returns what SetContext attached.
	Context() any
	// LocalAddr returns the local network address.
	LocalAddr() net.Addr
	// RemoteAddr returns the peer's network address.
	RemoteAddr() net.Addr
}

// Drainer is implemented by pollers that keep sending output Write
// accepted after the owner closed its connection, for a bounded grace, as
// the kernel sends a socket's buffered output after close(2) (iouring,
// netpoll). Draining reports whether any such output is still in flight;
// it is called by the goroutine that calls Wait. A server ending gracefully
// keeps calling Wait until it reports false (or its shutdown is forced), so
// that Close does not cut those bytes off.
type Drainer interface {
	Draining() bool
}

// PeerChecker is implemented by connections that can tell, without reading
// input and from any goroutine, that the peer has gone: it closed its
// sending side, reset the connection, or the socket failed. The server uses
// it to cancel the context of a handler whose client left. A false answer
// proves nothing (the check may be unsupported or racy); a true one is
// reliable while the connection is open.
type PeerChecker interface {
	PeerGone() bool
}

// Poller accepts connections and reports events on them. Wait, StopAccepting
// and Close are called by one goroutine, the event loop; Wake and Addr may be
// called from any goroutine.
type Poller interface {
	// Wait blocks until at least one event is ready, Wake is called, or
	// the timeout passes (a negative timeout waits without limit). It
	// fills events from the start and returns how many it filled.
	Wait(events []Event, timeout time.Duration) (int, error)
	// Wake makes the current or the next Wait return promptly.
	Wake() error
	// Addr returns the address the Poller listens on.
	Addr() net.Addr
	// StopAccepting closes the listener; existing connections stay open.
	StopAccepting() error
	// Close releases the Poller. Its connections must be closed first.
	Close() error
}

var (
	// ErrWouldBlock is returned by Conn.Read and Conn.Write when the
	// operation cannot make progress now.
	ErrWouldBlock = errors.New("poller: operation would block")
	// ErrClosed is returned by operations on a closed Poller or Conn.
	ErrClosed = errors.New("poller: closed")
	// ErrUnknownBackend is returned by Lookup for a name no backend on
	// this platform registered.
	ErrUnknownBackend = errors.New("poller: unknown backend")
	// ErrUnavailable is returned when a registered backend cannot run
	// here (for example a kernel feature is missing).
	ErrUnavailable = errors.New("poller: backend unavailable")
)
