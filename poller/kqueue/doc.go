// Package kqueue is the macOS and BSD backend of miniasync's poller,
// hand-written over kqueue(2) through golang.org/x/sys/unix. It is built for
// darwin, freebsd, netbsd, openbsd and dragonfly, registers as "kqueue" and
// is the default backend there. Importing it (package server does) is what
// makes it selectable.
//
// # One owner per connection
//
// A connection has two filters on its descriptor, EVFILT_READ and
// EVFILT_WRITE, and Conn.Arm enables only the one it asks for (both for
// poller.Readable|poller.Writable) with EV_DISPATCH: a filter that reports
// is disabled by the kernel until the owner arms it again, which is what
// gives each connection a single owner (see package poller). The filters
// are level-triggered, so an owner may stop reading before it has drained
// the socket: the next Arm reports the rest at once. NetBSD uses EV_ONESHOT
// instead (the filter is deleted after it reports, and Arm adds it again),
// because EV_DISPATCH arrived only in NetBSD 10. An arming for both
// interests reports once too: the event loop delivers the first filter's
// event and disables (or deletes) the other before handing the connection
// over, after waiting for the Arm that registers both to finish its system
// call (the kernel applies the two changes one at a time).
//
// # Generations in udata
//
// Every registration of a connection carries a token in its udata: the low
// 19 bits of the connection's generation and one bit saying the arming was
// for both interests. The kernel hands the udata back with each event, and
// the loop drops an event whose token does not match the connection now
// registered under that descriptor, or whose connection was closed, so an
// event for a closed connection never reaches a new connection that got
// the same descriptor number. udata is a pointer on every system but
// NetBSD, and the collector scans it; so the token is stored as the address
// of a byte of a package-level array, never as a made-up address.
//
// # Events
//
// EVFILT_READ reports poller.EventReadable, also with EV_EOF (the peer's
// orderly close: Read returns the buffered input, then io.EOF). EVFILT_WRITE
// reports poller.EventWritable. EV_EOF with an error number in fflags (a
// reset, for instance) and EV_ERROR (error number in data) report
// poller.EventClosed with that error, which errors.Is matches against
// unix.ECONNRESET and the like. The listener is level-triggered and is
// disabled for 100ms after accept fails for lack of descriptors or memory
// (EMFILE, ENFILE, ENOBUFS, ENOMEM), so a full descriptor table cannot make
// the loop spin.
//
// # Wake-ups
//
// Wake triggers an EVFILT_USER event (NOTE_TRIGGER, registered with
// EV_CLEAR) on macOS, FreeBSD, DragonFly BSD and NetBSD 10 and later. Where
// the system has no user filter, OpenBSD and NetBSD before 10 (detected when
// the kernel refuses to register it), Wake writes a byte to a non-blocking
// pipe whose read end the kqueue watches. A Wake while a wake-up is already
// pending makes no system call.
//
// # System calls
//
// kevent is retried when a signal interrupts it (EINTR), with the time left
// of the caller's timeout. Every descriptor the Poller opens (the kqueue,
// the listener, the pipe) and every connection's descriptor is closed
// exactly once. The decisions above live in a file without build
// constraints (core.go), tested on Linux; the build-tagged files hold only
// the system calls.
package kqueue
