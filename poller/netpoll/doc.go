// Package netpoll is the miniasync poller backend over
// github.com/cloudwego/netpoll, so that netpoll can be compared with the
// hand-written backends under the same server core. Select it with
// --backend netpoll, or server.Config{Backend: "netpoll"}, and tune it with
// a Config in server.Config.BackendOptions.
//
// The backend registers on Linux only. netpoll itself builds on Linux,
// macOS, FreeBSD and Windows (where its NewEventLoop is a stub returning
// nil), not on NetBSD, OpenBSD or DragonFly; the adapter stops accepting
// with shutdown(2) on the listening socket, which wakes an epoll set with
// EPOLLHUP on Linux and is untested elsewhere. On every platform the
// package compiles and Config is defined, so programs that mention it build
// everywhere; Lookup("netpoll") reports an unknown backend where it is not
// registered.
//
// # How netpoll is driven
//
// netpoll is connection-level: it accepts, reads eagerly into its own
// buffers, and calls back. The adapter maps its callbacks onto the poller
// contract:
//
//   - OnPrepare (on netpoll's poller goroutine, before the socket is
//     registered) creates the connection, already armed for reading, and
//     queues EventOpened.
//   - OnRequest moves everything netpoll has buffered into the connection's
//     pending input (Reader().Next(Len()), copied, then Release) and returns
//     at once: netpoll calls OnRequest again while unread input remains, and
//     blocking there would turn its goroutine pool into a goroutine per
//     connection. If the connection is armed for reading it queues
//     EventReadable; otherwise the bytes wait for the owner's next Arm.
//   - OnDisconnect records that the peer is gone; an armed connection gets
//     EventReadable, and Read returns the pending bytes and then io.EOF.
//
// Events go through a mutex-guarded queue to the single goroutine that
// calls Wait, which sleeps on a one-slot channel with a reusable timer; Wake
// and every callback that queues an event while Wait sleeps post to that
// channel. (This is the one place the backend departs from the design's
// "native wake-ups": the event loop does not wait on a descriptor here,
// and netpoll's own eventfd is internal to its pollers.) EventReadable carries the pending input in Event.Data (the bytes
// are already here), so the server core takes all of it in one turn.
//
// # Ownership
//
// Every callback serialises with the owner through a small per-connection
// mutex (netpoll's callbacks run on its own goroutines, so some lock is
// unavoidable; it is uncontended on the hot path). The state it guards is
// written down on the conn type. One event is reported per Arm, as with
// EPOLLONESHOT: a callback that finds the connection unarmed only buffers or
// records what happened, and Arm reports it at once.
//
// # Writes and backpressure
//
// netpoll's Connection.Write (and Writer().Flush) blocks until a slow reader
// has drained the whole output, and after a write timeout netpoll cannot
// resume the output. Conn.Write must never block a worker, so:
//
//   - It first writes what the socket takes at once with a non-blocking
//     write(2) on the descriptor, on the owner's goroutine. For a client
//     that reads its answers that is everything: one system call, no
//     goroutine hand-off, nothing copied into netpoll. The descriptor is
//     safe to use because every such write holds the connection's mutex,
//     and a close callback registered in OnPrepare takes that mutex and
//     marks the descriptor gone; netpoll runs close callbacks newest
//     first, so ours runs before netpoll's own closes the descriptor,
//     whether the owner, netpoll (peer hang-up) or a failure closed it.
//     A write can therefore never land on a reused descriptor number.
//   - The rest, if any (up to Config.MaxPendingOutput bytes), is copied into
//     a buffer of the connection's own and handed to one flusher goroutine,
//     which gives it to netpoll's Connection.Write and waits until it is
//     sent. Until it is done, Write returns ErrWouldBlock; the owner arms
//     for Writable and gets EventWritable when it finishes. A client that
//     stops reading thus pins one parked goroutine, never a worker, and the
//     output held per connection is bounded by MaxPendingOutput (in the
//     adapter, and as much again in netpoll). The flusher is started
//     through a pre-bound function value, so it costs no allocation beyond
//     the goroutine.
//
// Two earlier designs were measured and dropped: handing every write to a
// flusher (same throughput, but the flushers queued behind the worker on
// its P and p99 latency at 64 connections quadrupled), and writing through
// netpoll on the owner's goroutine after asking the kernel whether the send
// queue was empty (an ioctl per response: one system call more than a
// direct write, for the same guarantee).
//
// Connection.Write holds netpoll's flushing lock while it copies, so a close
// by netpoll (when the peer hangs up) waits for it instead of freeing the
// buffer underneath; the adapter never uses Writer().Malloc, which does not.
//
// Write returning nil means netpoll has the bytes, as a socket's send buffer
// would. Close keeps that promise: when a flusher is still sending, it
// defers netpoll's close until the flusher is done, for at most
// Config.CloseGrace; a connection closed while armed for Writable (the owner
// gave up waiting, at a write timeout) closes at once.
//
// # Where netpoll forces a different behaviour
//
//   - Eager reads: netpoll reads whatever arrives, whether or not the server
//     wants it, and offers no way to pause a connection. An idle
//     connection's bytes sit in netpoll's buffers, not the kernel's, and TCP
//     flow control never holds a client back. Input limits are enforced by
//     the server core answering 431/413 and closing, after the bytes were
//     read. Input waits in the adapter until the server takes it, up to
//     Config.MaxPendingInput plus the server's largest buffered request,
//     so one upload within the server's limits arrives whole however
//     fast it comes (unless tiny chunks swell its framing past that). A
//     client that keeps sending while the server's answers wait for it
//     to read (a full socket: pipelining without reading, or behind a
//     response larger than the socket buffers) has its pending input
//     past Config.MaxPendingInput discarded, and is disconnected once
//     the requests before the limit are answered; epoll would instead
//     stop reading and let TCP hold the client back. An upload
//     read by a handler with server.Config.StreamBodies is not a buffered
//     request: the part the handler has not consumed yet must fit in
//     MaxPendingInput, so a client that uploads faster than the handler
//     reads is cut off; raise the limit or use another backend for large
//     streamed uploads.
//   - No half-close: netpoll closes a connection when the peer shuts down
//     its sending side, so a client that half-closes after its request
//     cannot be answered, and Conn.CloseWrite returns an error wrapping
//     errors.ErrUnsupported (the server core then closes the connection
//     after the last response; since netpoll has drained the kernel's
//     receive queue, that close normally sends a FIN, not a reset).
//   - Resets and orderly closes look alike: OnDisconnect does not say
//     which, so both are reported as EventReadable followed by io.EOF
//     (or as EventClosed, when a write in flight fails first).
//   - Process-wide state: netpoll's pollers, its goroutine pool and its
//     settings (Config.Pollers, Config.Runner, Config.BufferSize) belong to
//     the process, not to a Poller. The pollers start with the first Open
//     and outlive Close and the server's Shutdown; leak checks must ignore
//     github.com/cloudwego/netpoll.(*defaultPoll).Wait.
//   - netpoll logs a few errors itself, for example when accept fails with
//     EMFILE, after which it retries with its own back-off of up to a
//     second. Its logger is process-wide too: from the first Open on, its
//     lines go to the zap logger of the Poller opened last (a peer's reset
//     at debug level, the rest as warnings), not to standard error.
package netpoll
