package protocol

// HeaderComplete reports, after Parse returned ErrIncomplete, that the
// request's header section is complete and valid and only its body is still
// pending. The server uses it to switch from the header timeout to the body
// timeout. It is also true while a streamed body is pending (InBody).
func (p *Parser) HeaderComplete() bool {
	return p.state > stateHeaders && p.state < stateDone
}

// Compact reclaims the spent framing of a chunked body being buffered.
// Parse decodes chunked bodies in place, moving each chunk's data down over
// the chunk-size lines before it, so after an ErrIncomplete the buffer
// holds a gap of framing bytes already parsed; a body sent in tiny chunks
// would hold several times its size until complete. Compact moves the bytes
// not parsed yet down over that gap and returns buf cut to its new length,
// which the caller must use from then on (buf = p.Compact(buf)): the next
// Parse continues from there, and the request parses exactly as it would
// have without the call. Call it with the buffer of the last Parse (the
// caller may have appended to it), typically before growing it. Outside a
// buffered chunked body, or with no gap, it returns buf unchanged.
func (p *Parser) Compact(buf []byte) []byte {
	if p.streamed || p.state < stateChunkSize || p.state > stateChunkDataEnd || len(buf) < p.seen {
		return buf
	}
	gap := p.pos - p.w
	if gap <= 0 {
		return buf
	}
	n := copy(buf[p.w:], buf[p.pos:])
	p.pos -= gap
	p.scan -= gap
	p.seen -= gap
	return buf[:p.w+n]
}
