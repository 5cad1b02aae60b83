package protocol

// HeaderComplete reports, after Parse returned ErrIncomplete, that the
// request's header section is complete and valid and only its body is still
// pending. The server uses it to switch from the header timeout to the body
// timeout. It is also true while a streamed body is pending (InBody).
func (p *Parser) HeaderComplete() bool {
	return p.state > stateHeaders && p.state < stateDone
}

// BodyLeft returns, while the request's body is pending (HeaderComplete),
// the most body bytes still to arrive: the rest of a Content-Length body,
// or for a chunked body what MaxBodySize still allows (its framing aside).
// It is 0 otherwise. Backends that cannot stop reading a connection use it
// to tell a client sending its announced body from one flooding the
// server (poller.InputExpecter).
func (p *Parser) BodyLeft() int64 {
	switch {
	case p.state == stateBody && p.streamed:
		return p.remaining
	case p.state == stateBody:
		return max(p.cl-int64(p.seen-p.bodyStart), 0)
	case p.state > stateBody && p.state < stateDone:
		return max(p.limits.MaxBodySize-p.decoded, 0)
	}
	return 0
}
