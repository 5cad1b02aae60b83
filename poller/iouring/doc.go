// Package iouring is the io_uring backend of miniasync's poller,
// hand-written over golang.org/x/sys/unix: raw io_uring_setup,
// io_uring_enter and io_uring_register, and the rings mapped with mmap. No
// cgo, no liburing. Select it with --backend iouring, or
// server.Config{Backend: "iouring"}; tune it with a Config in
// server.Config.BackendOptions.
//
// It is a completion backend: its EventReadable carries the bytes already
// received in Event.Data, the path the netpoll adapter uses too, so the
// server core needs no io_uring-specific code.
//
// # Kernel
//
// It needs Linux 6.0 or later: multishot accept (5.19), a provided-buffer
// ring (5.19) and multishot receive (6.0). Detect checks at start-up, once
// per process, and names what is missing; without it the backend is not
// listed by poller.Available, and selecting it fails with that reason
// (ENOSYS: no io_uring; EPERM: disabled by the sysctl
// kernel.io_uring_disabled or a seccomp filter, as many container runtimes
// install). The default backend stays epoll.
//
// # How it works
//
// One ring per Poller, used only by the goroutine that calls Wait:
//
//   - a multishot accept on the listener reports every new connection;
//   - each connection has a multishot receive that selects buffers from a
//     provided-buffer ring. The event loop copies each completion's bytes
//     out and gives the buffer back at once, so an idle connection holds no
//     buffer and the ring's memory is a fixed cost, resident (MAP_POPULATE)
//     from the moment the ring is set up. What arrives while the
//     connection's owner has not armed it is kept (up to
//     Config.MaxPendingInput; past it the receive is cancelled, so TCP flow
//     control holds the client back) and reported at its next Arm. When
//     the ring runs out of buffers (ENOBUFS) or the kernel ends the
//     multishot, the receive is submitted again after the batch.
//   - Conn.Write copies the output (up to Config.MaxPendingOutput) into the
//     connection's send buffer and posts it to the loop, which submits an
//     asynchronous IORING_OP_SEND with the rest of its batch and resubmits
//     after partial completions; until the send is done, Write returns
//     ErrWouldBlock and Arm(Writable) reports when it is. Config.DirectWrites
//     writes to the socket on the owner's goroutine first instead, like the
//     netpoll adapter, and queues only the rest; it measured 3-11% fewer
//     requests per CPU-second here (see the README).
//   - Owners never touch the submission queue. Arm, Close and queued
//     writes post small requests to a mutex-guarded list that the loop
//     runs at the top of Wait; Arm for a connection with nothing waiting
//     costs nothing at all (see state_linux.go). With
//     poller.Options.Inline (server.Config.Inline), where every owner
//     call runs on the loop's goroutine, the list needs no lock and the
//     loop keeps a small stock of buffers of its own (up to 64, 256 KiB)
//     instead of going through the shared pool: about 9% less user time
//     per request at 64 connections (perf samples, six alternating runs),
//     under 1% of a request's CPU, most of which is the kernel's.
//   - Wake-ups come through the ring itself: a read of an eventfd is kept
//     in flight, and Wake (or an owner's request) writes the eventfd only
//     while the loop is blocked in io_uring_enter.
//
// Before it blocks in io_uring_enter, Wait submits and reaps without
// waiting, yields, and does that once more, like the epoll backend: a
// goroutine blocked in a system call keeps its P, and on two cores the
// workers the loop has just fed would wait for it.
//
// # Closing
//
// Close marks the connection closed for both sides at once (no event for
// it is built afterwards); the loop cancels what is in flight on the
// descriptor (IORING_OP_ASYNC_CANCEL by descriptor) and closes it only
// when the last completion for it has been reaped, so no completion, and
// no request, can reach a new connection that the kernel gives the same
// descriptor number. user_data carries a generation as well. Output that
// Write accepted may drain for Config.CloseGrace first, unless the owner
// closed while waiting for Writable (it gave up on the client). CloseWrite
// shuts the socket down at once, or after the send in flight.
//
// # Threads
//
// By default the ring is set up at the first Wait, on the event loop's
// goroutine, which is locked to its OS thread until Close, with
// IORING_SETUP_SINGLE_ISSUER|DEFER_TASKRUN: completion work then runs only
// inside the loop's own io_uring_enter. Without them (Config.SharedThreads)
// the kernel runs each completion's work on the thread that submitted the
// request, waking whichever Go thread that was; that measured about half
// the requests per CPU-second. Wait, StopAccepting and Close must therefore
// be called from one goroutine, as package poller requires. COOP_TASKRUN
// (Config.CoopTaskrun) only matters with SharedThreads, and can delay a
// completion until a sleeping Go thread wakes.
package iouring
