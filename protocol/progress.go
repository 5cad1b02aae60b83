package protocol

// HeaderComplete reports, after Parse returned ErrIncomplete, that the
// request's header section is complete and valid and only its body is still
// pending. The server uses it to switch from the header timeout to the body
// timeout. It is also true while a streamed body is pending (InBody).
func (p *Parser) HeaderComplete() bool {
	return p.state > stateHeaders && p.state < stateDone
}
