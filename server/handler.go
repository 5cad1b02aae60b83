package server

import "github.com/miniasync/miniasync/protocol"

// Handler answers requests. Serve fills res for req; the server writes it
// when Serve returns. Everything req returns references the connection's
// buffer and is valid only until Serve returns (see package protocol).
//
// Serve runs on a worker goroutine and may be called concurrently for
// different connections; for one connection, calls are sequential and in
// request order. A panic in Serve answers that request with 500 and closes
// the connection; the server goes on.
type Handler interface {
	Serve(req *protocol.Request, res *protocol.Response)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(req *protocol.Request, res *protocol.Response)

// Serve calls f(req, res).
func (f HandlerFunc) Serve(req *protocol.Request, res *protocol.Response) { f(req, res) }
