package loadgen

import (
	"bytes"
	"errors"
	"fmt"
)

// ErrMalformed is wrapped by every error Parser returns for bytes that are
// not an HTTP/1.x response it can frame.
var ErrMalformed = errors.New("malformed response")

// MaxLine bounds a status, header or chunk-size line. A longer line is an
// error rather than a reason to grow the read buffer without bound.
const MaxLine = 8 << 10

// parseState is where a Parser is within a response.
type parseState uint8

const (
	stStatus     parseState = iota // expecting the status line
	stHeaders                      // within the header block
	stBody                         // skipping a Content-Length body
	stChunkSize                    // expecting a chunk-size line
	stChunkData                    // skipping chunk data
	stChunkEnd                     // expecting the CRLF after chunk data
	stTrailers                     // within the trailer section
	stUntilClose                   // body delimited by the connection's close
)

// Parser finds where each HTTP/1.x response ends in a byte stream, keeping
// only what framing needs: the status code, the body length or chunked
// coding, and whether the server will close. It never copies or allocates;
// body bytes are skipped as they arrive, so only a line (at most MaxLine)
// must ever be whole in the caller's buffer.
//
// The zero value is ready for responses to requests other than HEAD.
type Parser struct {
	// Head makes every response bodiless, as answers to HEAD are.
	Head bool

	state     parseState
	status    int
	length    int64 // Content-Length, or -1 when absent
	chunked   bool
	close     bool
	remaining int64 // body or chunk bytes still to skip
}

// Status returns the status code of the response Parse last completed (or
// is within).
func (p *Parser) Status() int { return p.status }

// Close reports whether the server closes the connection after the response
// Parse last completed (Connection: close, HTTP/1.0 without keep-alive, or
// a body delimited by the close).
func (p *Parser) Close() bool { return p.close }

// Pending reports whether Parse has consumed part of a response it has not
// completed yet.
func (p *Parser) Pending() bool { return p.state != stStatus }

// Parse consumes the bytes of at most one response from b. It returns how
// many bytes it consumed and whether that completed a response. When it
// returns done false, either it consumed everything (body bytes) or the
// rest of b is an incomplete line: the caller keeps b[n:] and calls again
// with more bytes after it. A 1xx interim response is consumed and not
// reported. Errors wrap ErrMalformed.
func (p *Parser) Parse(b []byte) (n int, done bool, err error) {
	for {
		switch p.state {
		case stBody, stChunkData:
			k := int64(len(b) - n)
			if k > p.remaining {
				k = p.remaining
			}
			n += int(k)
			p.remaining -= k
			if p.remaining > 0 {
				return n, false, nil
			}
			if p.state == stBody {
				p.state = stStatus
				return n, true, nil
			}
			p.state = stChunkEnd
			continue
		case stUntilClose:
			return len(b), false, nil
		}

		line, used, ok := nextLine(b[n:])
		if !ok {
			if len(b)-n > MaxLine {
				return n, false, fmt.Errorf("%w: line longer than %d bytes", ErrMalformed, MaxLine)
			}
			return n, false, nil
		}
		if len(line) > MaxLine {
			return n, false, fmt.Errorf("%w: line longer than %d bytes", ErrMalformed, MaxLine)
		}
		n += used
		switch p.state {
		case stStatus:
			if err := p.statusLine(line); err != nil {
				return n, false, err
			}
			p.state = stHeaders
		case stHeaders:
			if len(line) > 0 {
				if err := p.header(line); err != nil {
					return n, false, err
				}
				continue
			}
			if done := p.endHeaders(); done {
				return n, true, nil
			}
		case stChunkSize:
			size, err := chunkSize(line)
			if err != nil {
				return n, false, err
			}
			if size == 0 {
				p.state = stTrailers
			} else {
				p.remaining, p.state = size, stChunkData
			}
		case stChunkEnd:
			if len(line) != 0 {
				return n, false, fmt.Errorf("%w: chunk data longer than its size", ErrMalformed)
			}
			p.state = stChunkSize
		case stTrailers:
			if len(line) == 0 {
				p.state = stStatus
				return n, true, nil
			}
		}
	}
}

// EOF tells the parser that the server closed the connection. It reports
// whether that completed a response whose body is delimited by the close.
func (p *Parser) EOF() bool {
	if p.state == stUntilClose {
		p.state = stStatus
		return true
	}
	return false
}

// Reset forgets any partial response, for a new connection.
func (p *Parser) Reset() {
	head := p.Head
	*p = Parser{Head: head}
}

// statusLine parses "HTTP/1.x SSS reason" and starts a new response.
func (p *Parser) statusLine(line []byte) error {
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' ||
		(len(line) > 12 && line[12] != ' ') {
		return fmt.Errorf("%w: status line %q", ErrMalformed, clip(line))
	}
	code := 0
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return fmt.Errorf("%w: status code in %q", ErrMalformed, clip(line))
		}
		code = code*10 + int(c-'0')
	}
	if code < 100 {
		return fmt.Errorf("%w: status code %d", ErrMalformed, code)
	}
	p.status, p.length, p.chunked = code, -1, false
	p.close = line[7] == '0' // HTTP/1.0 closes unless it says keep-alive
	return nil
}

// header looks at the three header fields that matter for framing and
// ignores the others.
func (p *Parser) header(line []byte) error {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return fmt.Errorf("%w: header line %q", ErrMalformed, clip(line))
	}
	name, value := line[:colon], bytes.TrimSpace(line[colon+1:])
	switch {
	case equalFold(name, "content-length"):
		v, err := parseLength(value)
		if err != nil {
			return err
		}
		if p.length >= 0 && p.length != v {
			return fmt.Errorf("%w: conflicting Content-Length values", ErrMalformed)
		}
		p.length = v
	case equalFold(name, "transfer-encoding"):
		// Chunked must be the last coding; what comes before it is the
		// server's business, since the body is skipped, not decoded.
		last := value
		if i := bytes.LastIndexByte(value, ','); i >= 0 {
			last = bytes.TrimSpace(value[i+1:])
		}
		p.chunked = equalFold(last, "chunked")
		if !p.chunked {
			p.length = -1
			p.close = true
		}
	case equalFold(name, "connection"):
		if containsToken(value, "close") {
			p.close = true
		} else if containsToken(value, "keep-alive") {
			p.close = false
		}
	}
	return nil
}

// endHeaders decides how the body is framed (RFC 9112, section 6.3) and
// reports whether the response is already complete.
func (p *Parser) endHeaders() bool {
	switch {
	case p.status < 200:
		// An interim response: the real one follows.
		p.state = stStatus
		return false
	case p.Head || p.status == 204 || p.status == 304:
		p.state = stStatus
		return true
	case p.chunked:
		p.state = stChunkSize
		return false
	case p.length > 0:
		p.remaining, p.state = p.length, stBody
		return false
	case p.length == 0:
		p.state = stStatus
		return true
	default:
		p.close = true
		p.state = stUntilClose
		return false
	}
}

// nextLine returns the line at the start of b without its line ending,
// and how many bytes it used with the ending. ok is false when b holds no
// whole line yet.
func nextLine(b []byte) (line []byte, used int, ok bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return nil, 0, false
	}
	line = b[:i]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, i + 1, true
}

// parseLength parses a Content-Length value: digits only, no overflow.
func parseLength(v []byte) (int64, error) {
	if len(v) == 0 || len(v) > 18 {
		return 0, fmt.Errorf("%w: Content-Length %q", ErrMalformed, clip(v))
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: Content-Length %q", ErrMalformed, clip(v))
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

// chunkSize parses a chunk-size line, ignoring chunk extensions.
func chunkSize(line []byte) (int64, error) {
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimSpace(line)
	if len(line) == 0 || len(line) > 15 {
		return 0, fmt.Errorf("%w: chunk size %q", ErrMalformed, clip(line))
	}
	var n int64
	for _, c := range line {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, fmt.Errorf("%w: chunk size %q", ErrMalformed, clip(line))
		}
		n = n<<4 | int64(d)
	}
	return n, nil
}

// equalFold compares b with the lower-case ASCII string s, ignoring case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// containsToken reports whether the comma-separated list v holds token
// (lower-case), ignoring case.
func containsToken(v []byte, token string) bool {
	for len(v) > 0 {
		item := v
		if i := bytes.IndexByte(v, ','); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			v = nil
		}
		if equalFold(bytes.TrimSpace(item), token) {
			return true
		}
	}
	return false
}

// clip shortens b for an error message. It is only called on error paths,
// where allocating is fine.
func clip(b []byte) string {
	const max = 64
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
