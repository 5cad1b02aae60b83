// Package fdconn holds what the file-descriptor backends (epoll, kqueue)
// share: a non-blocking TCP listener, accept with back-off classification,
// a poller.Conn over a socket descriptor with a generation counter, and the
// table that maps descriptors to connections on the event loop.
//
// Keeping this here leaves each OS backend with only its readiness system
// calls and their translation into poller events.
package fdconn
