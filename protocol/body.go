package protocol

import "io"

// Streaming request bodies.
//
// With StreamBodies on, Parse returns a request announcing a body as soon as
// its header section is complete, and the server reads the body with
// ReadBody from the bytes that follow. ReadBody reuses the in-place chunked
// decoder: every call treats its wire argument as a fresh buffer whose offset
// 0 is the first body wire byte not yet consumed. The offsets of the element
// being parsed when a call runs out of bytes (a partial chunk-size line, the
// CRLF after chunk data, the trailer section) are translated to that origin
// before returning, so the next call resumes where this one stopped and every
// byte is examined a bounded number of times. The counters that carry the
// body-wide limits (decoded bytes for MaxBodySize, chunk-size line bytes for
// CVE-2023-39326, trailer bytes and fields for the header limits) are kept
// across calls, so a streamed body meets exactly the verdicts Parse reaches
// when it buffers the whole request.

// StreamBodies sets whether Parse returns requests that announce a body
// (Content-Length > 0 or chunked) as soon as their header section is
// complete, leaving the body to ReadBody. The setting survives Reset, like
// the limits. It takes effect at the next request; a body already pending is
// unaffected. With the setting off (the default), Parse buffers every body.
//
// All header-time checks happen before a request is returned (framing,
// Transfer-Encoding with Content-Length, Content-Length over MaxBodySize,
// expectations), so a streamed request is one Parse would also have started
// to read a body for. Requests without a body are returned complete, exactly
// as with the setting off.
func (p *Parser) StreamBodies(on bool) { p.streamBodies = on }

// InBody reports whether a streamed body is pending: Parse returned a request
// with BodyStreamed, and ReadBody has not yet returned io.EOF or an error.
// While it is true, call ReadBody, not Parse.
func (p *Parser) InBody() bool { return p.streamed }

// startStream publishes the request whose header section ends at p.pos and
// leaves the Parser in the body state for ReadBody.
func (p *Parser) startStream(buf []byte, req *Request) int {
	n := p.pos
	p.streamed = true
	if req != nil {
		p.fill(buf, req)
	}
	p.seen = 0
	// Body offsets are relative to ReadBody's wire from now on.
	p.pos, p.scan, p.colon = 0, 0, 0
	p.bodyStart, p.w = 0, 0
	if p.state == stateBody {
		p.remaining = p.cl
	}
	return n
}

// ReadBody decodes the body of a streamed request (see StreamBodies) from
// wire, which must begin at the first body wire byte not yet consumed: after
// Parse returned n, the first call gets buf[n:]; after each call the caller
// drops the first consumed bytes, appends newly received ones and calls again
// with the result (which may live in a different buffer, as long as it holds
// the same unconsumed bytes followed by the new ones).
//
//   - body holds decoded body bytes (nil if none), a subslice of
//     wire[:consumed] with capacity equal to its length. Chunked data is
//     decoded in place (moved down over chunk-size lines), so ReadBody
//     writes to wire[:consumed]; it never modifies or consumes bytes after
//     consumed, such as a pipelined next request. Copy body out (or use it)
//     before dropping the consumed bytes.
//   - consumed is how many bytes at the front of wire are done with,
//     framing included. A partial chunk-size line, a partial CRLF after
//     chunk data and an incomplete trailer section are not consumed: they
//     must be passed again, with more bytes appended.
//   - err is nil when more wire bytes are needed (body may still hold
//     bytes); io.EOF when the body is complete (body may hold its last
//     bytes; consumed then covers everything up to and including the CRLF
//     ending the chunked body, and the next request starts at
//     wire[consumed:]); or an *Error when the body is malformed or over a
//     limit, with the status Parse would have given (400 for bad chunk
//     framing, 413 when the decoded body exceeds MaxBodySize, 431 for the
//     trailer limits). On io.EOF and on an *Error the Parser is reset; after
//     an *Error (consumed is 0 and wire may have been partly rewritten)
//     answer it with AppendError and close the connection.
//
// Calling ReadBody when InBody is false returns (nil, 0, io.EOF).
//
// Trailer fields of a streamed chunked body are parsed and validated with the
// same rules and limits as by Parse (they share the header section's byte
// and field budget), then discarded: they are not available for streamed
// bodies. Every other protection applies unchanged: chunk-size overflow, bare
// LF and bare CR, chunk extension syntax, the chunk-size line length cap and
// the proportional chunk-line allowance (CVE-2023-39326), data longer than
// the announced chunk, and MaxBodySize on the decoded total.
//
// ReadBody does not allocate.
func (p *Parser) ReadBody(wire []byte) (body []byte, consumed int, err error) {
	if !p.streamed {
		return nil, 0, io.EOF
	}
	if p.state == stateBody {
		// Content-Length: the length was checked against MaxBodySize
		// when the header section ended.
		n := int(min(int64(len(wire)), p.remaining))
		p.remaining -= int64(n)
		if n > 0 {
			body = wire[:n:n]
		}
		if p.remaining == 0 {
			p.Reset()
			return body, n, io.EOF
		}
		return body, n, nil
	}

	// Chunked. Offsets in wire: pos (and scan, colon, trailerStart in the
	// element being resumed) were translated to this origin by the
	// previous call. A caller that passed fewer bytes than it was told to
	// keep broke the contract; rescan the element from its start rather
	// than index out of range (the trailer section is then validated again
	// from its first line).
	if p.scan > len(wire) || p.pos > len(wire) {
		if p.state == stateTrailers {
			p.nTrailers = 0
		}
		p.pos, p.scan, p.colon, p.trailerStart = 0, 0, 0, 0
	}
	p.bodyStart, p.w = 0, 0
	for err == nil {
		switch p.state {
		case stateChunkSize:
			err = p.chunkSize(wire)
		case stateChunkData:
			err = p.chunkData(wire)
		case stateChunkDataEnd:
			err = p.chunkDataEnd(wire)
		case stateTrailers:
			err = p.trailerLines(wire)
		default: // stateDone: p.pos is just past the final CRLF
			body, consumed = p.decodedBody(wire), p.pos
			p.Reset()
			return body, consumed, io.EOF
		}
	}
	if err != ErrIncomplete {
		p.Reset()
		return nil, 0, err
	}
	body = p.decodedBody(wire)
	switch p.state {
	case stateChunkSize:
		// Keep the partial chunk-size line; its examined prefix needs no
		// rescan (scan stays relative to the line start).
		consumed = p.pos
		p.scan -= consumed
	case stateTrailers:
		// Keep the whole trailer section so far: the byte limit counts
		// from its start. Validated lines and the examined prefix of the
		// partial line are not examined again.
		consumed = p.trailerStart
		p.scan -= consumed
		if p.colon != 0 {
			p.colon -= consumed
		}
		p.trailerStart = 0
	default:
		// Inside chunk data (all of wire was used) or before the CRLF
		// after it (a lone CR is kept and checked again).
		consumed = p.pos
		p.scan = 0
	}
	p.pos -= consumed
	return body, consumed, nil
}

// decodedBody returns the bytes decoded into wire by this ReadBody call.
func (p *Parser) decodedBody(wire []byte) []byte {
	if p.w == p.bodyStart {
		return nil
	}
	return wire[p.bodyStart:p.w:p.w]
}
