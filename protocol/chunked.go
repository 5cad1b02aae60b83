package protocol

// Chunked transfer coding (RFC 9112 §7.1):
//
//	chunked-body   = *chunk last-chunk trailer-section CRLF
//	chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//	chunk-size     = 1*HEXDIG
//	last-chunk     = 1*("0") [ chunk-ext ] CRLF
//	chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//	chunk-ext-name = token
//	chunk-ext-val  = token / quoted-string
//
// The body is decoded in place: chunk-data is moved down over the chunk-size
// lines so the decoded body is contiguous from the first byte of the first
// chunk's data (which therefore never moves). The write position never passes
// the read position, and the caller preserves in-place changes when it
// reallocates the buffer, so a request split across many Parse calls decodes
// exactly like one received at once.

const (
	// maxChunkLine caps one chunk-size line (size, extensions), excluding
	// CRLF. Real clients send a few hex digits and no extensions.
	maxChunkLine = 4096

	// chunkLineAllowance is the number of chunk-size line bytes accepted on
	// top of one byte per decoded body byte. Without a proportional cap a
	// client can make the server read unbounded chunk extensions (or
	// leading zeros) that produce no data (CVE-2023-39326).
	chunkLineAllowance = 4096

	// maxChunkDigits bounds the significant hex digits of a chunk size
	// (15 digits < 2^60), so the size cannot overflow an int64.
	maxChunkDigits = 15
)

func (p *Parser) chunkSize(buf []byte) error {
	// Fast path for the common line: 1 to 15 hex digits and CRLF, all in
	// buf. Anything else (extensions, more digits, an incomplete or
	// malformed line) takes the general path below, which reaches the same
	// verdict for lines the fast path accepts.
	if p.scan == p.pos {
		line := buf[p.pos:]
		k := 0
		var size int64
		for k < len(line) && k < 16 {
			d := unhex(line[k])
			if d < 0 {
				break
			}
			size = size<<4 | d
			k++
		}
		if k > 0 && k <= maxChunkDigits && k+1 < len(line) && line[k] == '\r' && line[k+1] == '\n' {
			p.pos += k + 2
			p.scan = p.pos
			return p.gotChunkSize(int64(k), size)
		}
	}

	// A chunk-size line ending in a bare LF is rejected (CVE-2025-22871:
	// a front end that accepts it and one that does not disagree on where
	// the chunk data starts).
	start, end, err := p.nextLine(buf, p.pos+maxChunkLine+2, errChunkLineLong, errBareLFChunk)
	if err != nil {
		return err
	}
	line := buf[start:end]
	var size int64
	i, sig := 0, 0
	for ; i < len(line); i++ {
		d := unhex(line[i])
		if d < 0 {
			break
		}
		if size != 0 || d != 0 {
			sig++
			if sig > maxChunkDigits {
				return errChunkOverflow
			}
		}
		size = size<<4 | d
	}
	if i == 0 {
		return errBadChunkSize
	}
	if err := checkChunkExt(line[i:]); err != nil {
		return err
	}
	return p.gotChunkSize(int64(len(line)), size)
}

// gotChunkSize accounts for a valid chunk-size line of lineLen bytes
// (excluding CRLF) announcing size bytes; p.pos is after its CRLF.
func (p *Parser) gotChunkSize(lineLen, size int64) error {
	p.chunkLineBytes += lineLen
	if p.chunkLineBytes > chunkLineAllowance+p.decoded {
		return errChunkExtExcess // CVE-2023-39326
	}
	if size > p.limits.MaxBodySize-p.decoded {
		return errBodyTooLarge // before any chunk data is read
	}
	if size == 0 {
		p.trailerStart = p.pos
		p.state = stateTrailers
		return nil
	}
	if p.w == p.bodyStart {
		// Nothing decoded yet: the body starts where the first chunk's
		// data is, so the first chunk needs no move.
		p.bodyStart, p.w = p.pos, p.pos
	}
	p.decoded += size
	p.remaining = size
	p.state = stateChunkData
	return nil
}

// checkChunkExt validates chunk-ext. BWS (SP / HTAB) is accepted exactly where
// the grammar puts it: before ';', after ';', and around '='. Whitespace after
// the size that is not followed by ';' (e.g. "5 ") is rejected, as is a
// missing extension name or an unterminated quoted string. Extension values
// are ignored.
func checkChunkExt(ext []byte) error {
	i := 0
	for i < len(ext) {
		for i < len(ext) && isOWS(ext[i]) {
			i++
		}
		if i == len(ext) || ext[i] != ';' {
			return errBadChunkExt
		}
		i++
		for i < len(ext) && isOWS(ext[i]) {
			i++
		}
		n := i
		for i < len(ext) && tokenTable[ext[i]] {
			i++
		}
		if i == n {
			return errBadChunkExt // chunk-ext-name is required
		}
		j := i
		for j < len(ext) && isOWS(ext[j]) {
			j++
		}
		if j == len(ext) || ext[j] != '=' {
			continue // no value; the loop requires ';' next
		}
		i = j + 1
		for i < len(ext) && isOWS(ext[i]) {
			i++
		}
		if i < len(ext) && ext[i] == '"' {
			i++
			closed := false
			for i < len(ext) {
				c := ext[i]
				if c == '"' {
					closed = true
					i++
					break
				}
				if c == '\\' {
					// quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
					if i+1 == len(ext) || !valueTable[ext[i+1]] {
						return errBadChunkExt
					}
					i += 2
					continue
				}
				if !qdtextTable[c] {
					return errBadChunkExt
				}
				i++
			}
			if !closed {
				return errBadChunkExt // unterminated quoted-string
			}
			continue
		}
		v := i
		for i < len(ext) && tokenTable[ext[i]] {
			i++
		}
		if i == v {
			return errBadChunkExt
		}
	}
	return nil
}

func (p *Parser) chunkData(buf []byte) error {
	avail := int64(len(buf) - p.pos)
	if avail == 0 {
		return ErrIncomplete
	}
	n := min(p.remaining, avail)
	if p.w != p.pos {
		copy(buf[p.w:], buf[p.pos:p.pos+int(n)])
	}
	p.w += int(n)
	p.pos += int(n)
	p.remaining -= n
	if p.remaining > 0 {
		return ErrIncomplete
	}
	p.state = stateChunkDataEnd
	return nil
}

// chunkDataEnd requires the CRLF after chunk-data. Anything else (data longer
// than announced, a bare LF) is 400: the size is the only framing.
func (p *Parser) chunkDataEnd(buf []byte) error {
	avail := len(buf) - p.pos
	if avail == 0 {
		return ErrIncomplete
	}
	if buf[p.pos] != '\r' {
		return errChunkDataCRLF
	}
	if avail == 1 {
		return ErrIncomplete
	}
	if buf[p.pos+1] != '\n' {
		return errChunkDataCRLF
	}
	p.pos += 2
	p.scan = p.pos
	p.state = stateChunkSize
	return nil
}

// trailerLines parses the trailer section with the same rules as header
// fields. Trailer fields share the header limits: the header and trailer
// sections together may hold MaxHeaderBytes bytes (not counting the CRLF that
// ends the chunked body) and MaxHeaderCount fields.
func (p *Parser) trailerLines(buf []byte) error {
	limit := p.trailerStart + 2 + p.limits.MaxHeaderBytes - p.hdrBytes
	for {
		f, last, err := p.fieldLine(buf, limit, errTrailerTooBig, errBareLFTrailer)
		if err != nil {
			return err
		}
		if last {
			p.state = stateDone
			return nil
		}
		if p.hdrCount+p.nTrailers >= p.limits.MaxHeaderCount {
			return errTooManyTrailers
		}
		p.nTrailers++
		if !p.streamed {
			p.trailers = append(p.trailers, f)
		} // streamed bodies: validated and counted, then discarded

	}
}
