package protocol

import (
	"bytes"
	"encoding/binary"
	"unsafe"
)

// Continue is the interim response written when NeedsContinue reports true.
var Continue = []byte("HTTP/1.1 100 Continue\r\n\r\n")

type parseState uint8

const (
	stateRequestLine parseState = iota
	stateHeaders
	stateBody         // Content-Length body
	stateChunkSize    // expecting a chunk-size line
	stateChunkData    // inside chunk-data
	stateChunkDataEnd // expecting the CRLF after chunk-data
	stateTrailers     // trailer field lines after the last chunk
	stateDone
)

// span locates bytes in the buffer by offset, so that it survives the caller
// reallocating the buffer between two Parse calls.
type span struct{ off, n int }

func (s span) str(buf []byte) string {
	if s.n == 0 {
		return ""
	}
	return unsafe.String(&buf[s.off], s.n)
}

// field is a field line by offsets.
type field struct{ name, value span }

// Parser parses HTTP/1.1 and HTTP/1.0 requests from a connection's input
// buffer. It keeps the state of a partially received request between calls,
// so every byte is examined a bounded number of times however the request is
// split. A Parser serves one connection at a time and is not safe for
// concurrent use. The zero Parser is ready to use with DefaultLimits.
type Parser struct {
	limits       Limits
	ready        bool // limits normalized
	streamBodies bool // StreamBodies setting; survives Reset
	seen         int  // len(buf) at the last ErrIncomplete

	fields, trailers []field // reused; swapped with the Request's on completion

	reqState
}

// reqState is the state of the request being parsed; it is zeroed for every
// request.
type reqState struct {
	state parseState
	pos   int // start of the line or element being parsed
	scan  int // buf[pos:scan] was already examined and needs no rescan
	colon int // field lines: offset of the ':' once found, 0 before

	method, target, path, query, host span
	methodID                          uint8 // a standard method, from the fast path; methodOther otherwise
	pathSlash                         bool  // absolute-form with empty path: Path is "/"
	hostFromTarget                    bool
	minor                             int

	hdrStart, hdrBytes int
	headEnd            int // end of the header section's final CRLF
	hdrCount           int // header fields, for the trailer count limit
	trailerStart       int
	nTrailers          int // trailer fields so far (also counted when discarded)

	hostCount                      int
	clSeen                         bool
	cl                             int64
	teSeen, teLastChunked, teOther bool
	connClose, connKeepAlive       bool
	expect, expectBad, contSent    bool

	bodyStart, w   int   // chunked: decoded bytes are written to buf[bodyStart:w]
	remaining      int64 // bytes left in the current chunk
	decoded        int64 // decoded body bytes so far (chunked)
	chunkLineBytes int64 // bytes of chunk-size lines so far (CVE-2023-39326)

	// streamed is set when Parse returned the request at header-complete
	// time: the body is read with ReadBody, whose every call starts its
	// offsets (pos, scan, colon, bodyStart, w, trailerStart) at the first
	// unconsumed body byte. For a Content-Length body, remaining counts the
	// body bytes not yet returned.
	streamed bool
}

// NewParser returns a Parser enforcing l (zero fields mean the default).
func NewParser(l Limits) *Parser {
	return &Parser{limits: l.Normalized(), ready: true}
}

// Reset forgets any partially parsed request (including a streamed body
// still pending), e.g. when the Parser is reused for a new connection. The
// limits and the StreamBodies setting are kept.
func (p *Parser) Reset() {
	p.reqState = reqState{}
	p.seen = 0
	p.fields = p.fields[:0]
	p.trailers = p.trailers[:0]
}

// NeedsContinue reports, after Parse returned ErrIncomplete, that the header
// section is complete and valid, the HTTP/1.1 request said
// "Expect: 100-continue", its body is still pending, and the interim response
// has not been acknowledged with ContinueSent yet. The server then writes
// Continue once and calls ContinueSent.
//
// It also reports true for a streamed request (Request.BodyStreamed) whose
// body is pending (InBody) until ContinueSent is called: the server writes
// Continue when the handler first reads the body, before waiting for body
// bytes.
func (p *Parser) NeedsContinue() bool {
	return p.expect && !p.contSent && p.state > stateHeaders && p.state < stateDone
}

// ContinueSent records that the server wrote Continue for the current request.
func (p *Parser) ContinueSent() { p.contSent = true }

// Parse parses one request from buf, which starts at the first byte of the
// request.
//
//   - (n, nil): a complete request occupies buf[:n] and req describes it.
//     The Parser is ready for the next request, which the caller passes as
//     buf[n:] (pipelining).
//   - (0, ErrIncomplete): call again once more bytes were appended to buf.
//     Between calls the caller may only append (reallocating is fine if the
//     content, including in-place changes made by Parse, is preserved), or
//     replace buf with what Compact returns.
//   - (0, *Error): the request is malformed or over a limit; answer with
//     AppendError and close the connection. The Parser is reset.
//
// req is only written when a request is complete; its strings reference buf
// (see Request for the lifetime rule). Chunked bodies are decoded in place,
// so Parse writes to buf[:n].
//
// With StreamBodies on, a request announcing a body is returned as soon as
// its header section is complete: buf[:n] is the header section and req
// reports BodyStreamed. The Parser then stays in the body (InBody) and Parse
// must not be called again until ReadBody returned io.EOF; doing so is a
// server bug and yields a 500 *Error (the Parser is reset).
func (p *Parser) Parse(buf []byte, req *Request) (int, error) {
	if !p.ready {
		p.limits = p.limits.Normalized()
		p.ready = true
	}
	if p.streamed {
		p.Reset()
		return 0, errBodyPending
	}
	if len(buf) < p.seen {
		// The caller broke the append-only contract; start over rather
		// than index out of range.
		p.Reset()
	}
	var err error
	for err == nil {
		switch p.state {
		case stateRequestLine:
			err = p.requestLine(buf)
		case stateHeaders:
			err = p.headerLines(buf)
			if err == nil && p.streamBodies && p.state != stateDone {
				return p.startStream(buf, req), nil
			}
		case stateBody:
			err = p.fixedBody(buf)
		case stateChunkSize:
			err = p.chunkSize(buf)
		case stateChunkData:
			err = p.chunkData(buf)
		case stateChunkDataEnd:
			err = p.chunkDataEnd(buf)
		case stateTrailers:
			err = p.trailerLines(buf)
		default: // stateDone
			n := p.pos
			if req != nil {
				p.fill(buf, req)
			}
			p.Reset()
			return n, nil
		}
	}
	if err == ErrIncomplete {
		p.seen = len(buf)
	} else {
		p.Reset()
	}
	return 0, err
}

// nextLine finds the CRLF-terminated line starting at p.pos and returns its
// bounds without the CRLF. The LF must lie before limit (an absolute offset),
// otherwise tooLong is returned, as soon as limit bytes arrived without one.
// A line ending in a bare LF is rejected with bareLF: accepting it is a
// request smuggling vector when a front end treats it differently.
func (p *Parser) nextLine(buf []byte, limit int, tooLong, bareLF *Error) (start, end int, err error) {
	i := bytes.IndexByte(buf[p.scan:], '\n')
	if i < 0 {
		p.scan = len(buf)
		if len(buf) >= limit {
			return 0, 0, tooLong
		}
		return 0, 0, ErrIncomplete
	}
	lf := p.scan + i
	if lf >= limit {
		return 0, 0, tooLong
	}
	start = p.pos
	p.pos, p.scan = lf+1, lf+1
	if lf == start || buf[lf-1] != '\r' {
		return 0, 0, bareLF
	}
	return start, lf - 1, nil
}

func (p *Parser) requestLine(buf []byte) error {
	if p.scan == p.pos && p.requestLineFast(buf, p.pos+p.limits.MaxRequestLine+2) {
		return nil
	}
	return p.requestLineGeneral(buf)
}

// requestLineGeneral parses the request line however it is split and gives
// every verdict on it.
func (p *Parser) requestLineGeneral(buf []byte) error {
	if p.pos == 0 && len(buf) > 0 {
		// RFC 9112 §2.2: one empty line before the request line is
		// ignored (some clients send CRLF after a POST body).
		switch buf[0] {
		case '\r':
			if len(buf) < 2 {
				return ErrIncomplete
			}
			if buf[1] != '\n' {
				return errBadRequestLine
			}
			p.pos, p.scan = 2, 2
		case '\n':
			return errBareLFRequestLine
		}
	}
	scanned := p.scan
	limit := p.pos + p.limits.MaxRequestLine + 2
	start, end, err := p.nextLine(buf, limit, errURITooLong, errBareLFRequestLine)
	if err == ErrIncomplete || err == errURITooLong {
		// Reject garbage (binary data, TLS handshakes) without waiting for
		// MaxRequestLine bytes; only bytes not examined before (and below
		// the limit, so the verdict does not depend on how the bytes were
		// split) are checked.
		if hi := min(len(buf), limit); scanned < hi {
			for _, c := range buf[scanned:hi] {
				if !lineTable[c] {
					return errBadRequestLine
				}
			}
		}
	}
	if err != nil {
		return err
	}
	if err := p.parseRequestLine(buf, start, end); err != nil {
		return err
	}
	p.hdrStart = p.pos
	p.state = stateHeaders
	return nil
}

// parseRequestLine parses request-line = method SP request-target SP
// HTTP-version (RFC 9112 §3) in buf[start:end]. Exactly one SP separates the
// parts; anything else is 400 (lenient whitespace parsing is a smuggling
// vector, RFC 9112 §3).
func (p *Parser) parseRequestLine(buf []byte, start, end int) error {
	line := buf[start:end]

	// method = token
	i := 0
	for i < len(line) && tokenTable[line[i]] {
		i++
	}
	if i == 0 || i == len(line) || line[i] != ' ' {
		return errBadMethod
	}
	method := line[:i]

	// request-target: validated byte by byte against RFC 3986.
	ts := i + 1
	j := ts
	query := -1
	brackets := false
loop:
	for {
		for j < len(line) && pathTable[line[j]] {
			j++
		}
		if j == len(line) {
			break
		}
		switch line[j] {
		case '?':
			// The query runs to the SP before the version (see queryTable).
			query = j
			j++
			for j < len(line) && queryTable[line[j]] {
				j++
			}
			if j < len(line) && line[j] != ' ' {
				return errBadTarget
			}
			break loop
		case '%':
			// pct-encoded = "%" HEXDIG HEXDIG
			if j+2 >= len(line) || !isHex(line[j+1]) || !isHex(line[j+2]) {
				return errBadTarget
			}
			j += 3
		case '[', ']':
			brackets = true // only valid in an IP-literal authority
			j++
		case ' ':
			break loop
		default:
			return errBadTarget
		}
	}
	if j == ts || j == len(line) {
		return errBadTarget
	}
	target := line[ts:j]

	// HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive.
	v := line[j+1:]
	if len(v) != 8 || string(v[:5]) != "HTTP/" || v[6] != '.' ||
		v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9' {
		return errBadVersion
	}
	if v[5] != '1' || v[7] > '1' {
		return errVersion // well-formed but not 1.0/1.1: 505
	}
	p.minor = int(v[7] - '0')

	if string(method) == "CONNECT" {
		// This is an origin server, not a proxy: tunnelling is out of scope
		// by design, and RFC 9110 §15.6.2 answers a method the server does
		// not support with 501.
		return errConnect
	}

	p.method = span{start, i}
	p.target = span{start + ts, len(target)}
	switch {
	case target[0] == '/':
		// origin-form = absolute-path [ "?" query ]
		if brackets {
			return errBadTarget
		}
		if query < 0 {
			p.path = p.target
		} else {
			p.path = span{start + ts, query - ts}
			p.query = span{start + query + 1, j - query - 1}
		}
	case len(target) == 1 && target[0] == '*':
		// asterisk-form, only for a server-wide OPTIONS (RFC 9112 §3.2.4).
		if string(method) != "OPTIONS" {
			return errAsterisk
		}
		p.path = p.target
	default:
		return p.absoluteForm(buf, start+ts, target, query >= 0, brackets)
	}
	return nil
}

// absoluteForm parses an absolute-form target (RFC 9112 §3.2.2), which a
// server must accept. Only the http and https schemes are accepted; this is
// an origin server, not a proxy. The authority must be a valid non-empty host
// (RFC 9110 §4.2.1) without userinfo.
func (p *Parser) absoluteForm(buf []byte, off int, t []byte, hasQuery, brackets bool) error {
	var rest int
	switch {
	case len(t) >= 7 && equalFold(t[:7], "http://"):
		rest = 7
	case len(t) >= 8 && equalFold(t[:8], "https://"):
		rest = 8
	default:
		if len(t) > 0 && tokenTable[t[0]] && bytes.IndexByte(t, ':') > 0 {
			return errScheme
		}
		return errBadTarget // e.g. authority-form with a method other than CONNECT
	}
	a := rest
	for a < len(t) && t[a] != '/' && t[a] != '?' {
		a++
	}
	auth := t[rest:a]
	if len(auth) == 0 {
		return errBadHost
	}
	if bytes.IndexByte(auth, '@') >= 0 {
		return errUserinfo
	}
	if !validHost(auth) {
		return errBadHost
	}
	q := len(t)
	if hasQuery {
		q = a + bytes.IndexByte(t[a:], '?')
	}
	// Brackets belong to an IP literal; in the path they are not allowed
	// (in the query they are, see queryTable).
	if brackets && (bytes.IndexByte(t[a:q], '[') >= 0 || bytes.IndexByte(t[a:q], ']') >= 0) {
		return errBadTarget
	}
	p.host = span{off + rest, len(auth)}
	p.hostFromTarget = true
	if hasQuery {
		p.query = span{off + q + 1, len(t) - q - 1}
	}
	if q == a {
		p.pathSlash = true
	} else {
		p.path = span{off + a, q - a}
	}
	return nil
}

func (p *Parser) headerLines(buf []byte) error {
	limit := p.hdrStart + p.limits.MaxHeaderBytes
	if p.scan == p.pos && p.colon == 0 {
		if done, err := p.headerLinesFast(buf, limit); done || err != nil {
			return err
		}
	}
	for {
		f, last, err := p.fieldLine(buf, limit, errHeaderTooBig, errBareLFField)
		if err != nil {
			return err
		}
		if last {
			return p.endHeaders()
		}
		if len(p.fields) >= p.limits.MaxHeaderCount {
			return errTooManyFields
		}
		p.fields = append(p.fields, f)
		if err := p.inspect(buf, f); err != nil {
			return err
		}
	}
}

// hostName is "host" as a little-endian 32-bit load.
const hostName = 'h' | 'o'<<8 | 's'<<16 | 't'<<24

// headerLinesFast parses complete, well-formed field lines with local state
// only. It stops at the first line that is incomplete, malformed or reaches
// the limits, leaving it to the general path (fieldLine), which therefore
// gives every verdict. It reports done when the header section ended.
func (p *Parser) headerLinesFast(buf []byte, limit int) (done bool, err error) {
	stop := min(len(buf), limit)
	pos := p.pos
	// Host comes in nearly every request, and first from every common
	// client: there one load recognises its name in any case (OR 0x20
	// lowers the four letters and maps no other byte to them), sparing the
	// token scan and inspect's lookup.
	if pos == p.hdrStart && pos+5 < stop && binary.LittleEndian.Uint32(buf[pos:])|0x20202020 == hostName && buf[pos+4] == ':' {
		f, next, ok := fastValue(buf, pos, pos+4, stop)
		if !ok {
			return false, nil
		}
		// No count check: this is the first field, and MaxHeaderCount is
		// at least 1 once normalized.
		p.fields = append(p.fields, f)
		if err := p.hostField(buf, f.value); err != nil {
			return false, err
		}
		pos = next
	}
	for pos+1 < stop {
		if buf[pos] == '\r' && buf[pos+1] == '\n' {
			p.pos, p.scan = pos+2, pos+2
			return true, p.endHeaders()
		}
		name := buf[pos:stop]
		k := 0
		for k < len(name) && tokenTable[name[k]] {
			k++
		}
		if k == 0 || k == len(name) || name[k] != ':' {
			break
		}
		f, next, ok := fastValue(buf, pos, pos+k, stop)
		if !ok || len(p.fields) >= p.limits.MaxHeaderCount {
			break
		}
		pos = next
		p.fields = append(p.fields, f)
		if err := p.inspect(buf, f); err != nil {
			return false, err
		}
	}
	p.pos, p.scan = pos, pos
	return false, nil
}

// fastValue finishes a field line whose name spans buf[start:colon]: it
// scans the value and reports ok when the line is complete and well-formed
// before stop, with the field and the offset of the next line.
func fastValue(buf []byte, start, colon, stop int) (f field, next int, ok bool) {
	e := scanValue(buf, colon+1, stop)
	if e+1 >= stop || buf[e] != '\r' || buf[e+1] != '\n' {
		return field{}, 0, false
	}
	v := colon + 1
	for v < e && isOWS(buf[v]) {
		v++
	}
	end := e
	for end > v && isOWS(buf[end-1]) {
		end--
	}
	return field{span{start, colon - start}, span{v, end - v}}, e + 2, true
}

// fieldLine scans one field-line = field-name ":" OWS field-value OWS CRLF
// (RFC 9112 §5) starting at p.pos, or the empty line ending the section
// (last is true). It examines each byte once, left to right, and can stop at
// the end of buf and resume at p.scan on the next call (p.colon remembers
// where the name ended). The line's LF must lie before limit, otherwise
// tooLong is returned as soon as limit bytes are in buf.
func (p *Parser) fieldLine(buf []byte, limit int, tooLong, bareLF *Error) (f field, last bool, err error) {
	start := p.pos
	stop := min(len(buf), limit)
	i := p.scan
	if i == start {
		if i >= stop {
			goto more
		}
		switch buf[i] {
		case '\r':
			if i+1 >= stop {
				goto more
			}
			if buf[i+1] != '\n' {
				return field{}, false, bareLF
			}
			p.pos, p.scan = i+2, i+2
			return field{}, true, nil
		case '\n':
			// Lines end in CRLF only (bare LF: see the package doc).
			return field{}, false, bareLF
		case ' ', '\t':
			// obs-fold (RFC 9112 §5.2) or whitespace before the first
			// field (§2.2): rejected, as folding lets a proxy and a server
			// disagree about where a value ends.
			return field{}, false, errObsFold
		}
	}
	if p.colon == 0 {
		name := buf[i:stop]
		k := 0
		for k < len(name) && tokenTable[name[k]] {
			k++
		}
		i += k
		if i == stop {
			goto more
		}
		// No whitespace between name and colon (RFC 9112 §5.1,
		// CVE-2019-16276: "Transfer-Encoding : chunked" must not be taken
		// for a different field or silently accepted).
		if buf[i] != ':' || i == start {
			return field{}, false, errBadFieldName
		}
		p.colon = i
		i++
	}
	// field-value = *( field-vchar / SP / HTAB ): no CR, LF, NUL or other
	// controls (CVE-2022-1705: "Transfer-Encoding: \rchunked"); obs-text is
	// allowed.
	i = scanValue(buf, i, stop)
	if i == stop {
		goto more
	}
	if buf[i] != '\r' {
		if buf[i] == '\n' {
			return field{}, false, bareLF
		}
		return field{}, false, errBadFieldValue
	}
	if i+1 == stop {
		goto more
	}
	if buf[i+1] != '\n' {
		return field{}, false, errBadFieldValue // bare CR
	}
	{
		v, e := p.colon+1, i
		for v < e && isOWS(buf[v]) {
			v++
		}
		for e > v && isOWS(buf[e-1]) {
			e--
		}
		f = field{span{start, p.colon - start}, span{v, e - v}}
	}
	p.pos, p.scan, p.colon = i+2, i+2, 0
	return f, false, nil

more:
	p.scan = i
	if stop == limit {
		return field{}, false, tooLong
	}
	return field{}, false, ErrIncomplete
}

// inspect records the header fields that affect parsing.
func (p *Parser) inspect(buf []byte, f field) error {
	name := buf[f.name.off : f.name.off+f.name.n]
	value := buf[f.value.off : f.value.off+f.value.n]
	switch len(name) {
	case 4:
		if equalFold(name, "host") {
			return p.hostField(buf, f.value)
		}
	case 6:
		if equalFold(name, "expect") {
			// RFC 9110 §10.1.1: only 100-continue is defined.
			if equalFold(value, "100-continue") {
				p.expect = p.minor == 1
			} else {
				p.expectBad = true
			}
		}
	case 10:
		if equalFold(name, "connection") {
			p.connection(value)
		}
	case 14:
		if equalFold(name, "content-length") {
			return p.contentLength(value)
		}
	case 17:
		if equalFold(name, "transfer-encoding") {
			return p.transferEncoding(value)
		}
	}
	return nil
}

// hostField checks a Host field's value and records it unless the target
// named the host (RFC 9112 §3.2).
func (p *Parser) hostField(buf []byte, v span) error {
	p.hostCount++
	if p.hostCount > 1 {
		return errMultiHost
	}
	if !validHost(buf[v.off : v.off+v.n]) {
		return errBadHost
	}
	if !p.hostFromTarget {
		p.host = v
	}
	return nil
}

// connection records the close and keep-alive options (RFC 9110 §7.6.1).
func (p *Parser) connection(v []byte) {
	switch {
	case equalFold(v, "keep-alive"): // the common cases
		p.connKeepAlive = true
		return
	case equalFold(v, "close"):
		p.connClose = true
		return
	}
	for len(v) > 0 {
		i := bytes.IndexByte(v, ',')
		var opt []byte
		if i < 0 {
			opt, v = v, nil
		} else {
			opt, v = v[:i], v[i+1:]
		}
		opt = trimOWS(opt)
		if equalFold(opt, "close") {
			p.connClose = true
		} else if equalFold(opt, "keep-alive") {
			p.connKeepAlive = true
		}
	}
}

// contentLength parses Content-Length = 1*DIGIT (RFC 9112 §6.3), also as a
// list of identical values, which RFC 9110 §8.6 allows a recipient to accept.
// Signs, hex, inner whitespace, empty elements, overflow and differing values
// (in one field or several) are rejected: two parsers picking different values
// is the classic smuggling attack (CVE-2015-5740).
func (p *Parser) contentLength(v []byte) error {
	i := 0
	for {
		for i < len(v) && isOWS(v[i]) {
			i++
		}
		d := i
		var n int64
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			c := int64(v[i] - '0')
			if n > (1<<63-1-c)/10 {
				return errBadContentLength
			}
			n = n*10 + c
			i++
		}
		if i == d {
			return errBadContentLength
		}
		if p.clSeen && n != p.cl {
			return errMultiCL
		}
		p.cl, p.clSeen = n, true
		for i < len(v) && isOWS(v[i]) {
			i++
		}
		if i == len(v) {
			return nil
		}
		if v[i] != ',' {
			return errBadContentLength
		}
		i++
	}
}

// transferEncoding parses one Transfer-Encoding field (RFC 9112 §6.1). Several
// fields form one list.
func (p *Parser) transferEncoding(v []byte) error {
	if p.minor == 0 {
		// RFC 9112 §6.1: a server receiving Transfer-Encoding in an
		// HTTP/1.0 message MUST treat the framing as faulty (HTTP/1.0
		// intermediaries do not understand chunked), so we reject it.
		return errTEHTTP10
	}
	p.teSeen = true
	if len(v) == 7 && !p.teLastChunked && equalFold(v, "chunked") {
		p.teLastChunked = true // the common case
		return nil
	}
	for {
		i := bytes.IndexByte(v, ',')
		var elem []byte
		if i < 0 {
			elem = v
		} else {
			elem = v[:i]
		}
		elem = trimOWS(elem)
		params := false
		if k := bytes.IndexByte(elem, ';'); k >= 0 {
			elem, params = trimOWS(elem[:k]), true
		}
		if !isToken(elem) {
			return errBadTE // also catches empty list elements
		}
		if p.teLastChunked {
			// Something follows chunked: either chunked twice or chunked
			// not final. Both leave the body length undeterminable
			// (RFC 9112 §6.3) and are rejected.
			if equalFold(elem, "chunked") {
				return errTEChunkedTwice
			}
			return errTENotChunkedFinal
		}
		switch {
		case equalFold(elem, "chunked"):
			if params {
				return errBadTE // chunked takes no parameters
			}
			p.teLastChunked = true
		case equalFold(elem, "identity"):
			// "identity" was removed by RFC 7230; some old parsers read
			// it as "no body", so it is a smuggling vector: 400.
			return errTEIdentity
		default:
			p.teOther = true
		}
		if i < 0 {
			return nil
		}
		v = v[i+1:]
	}
}

// endHeaders validates the header section as a whole and decides how the
// body is framed (RFC 9112 §6.3).
func (p *Parser) endHeaders() error {
	p.hdrBytes = p.pos - p.hdrStart
	p.headEnd = p.pos
	p.hdrCount = len(p.fields)
	if p.hostCount == 0 && p.minor == 1 {
		return errNoHost // RFC 9112 §3.2
	}
	if p.teSeen {
		if p.clSeen {
			// RFC 9112 §6.1 allows a server to reject this; it is the
			// CL.TE / TE.CL smuggling primitive, so we always do.
			return errTEAndCL
		}
		if !p.teLastChunked {
			return errTENotChunkedFinal // RFC 9112 §6.3: MUST 400
		}
		if p.teOther {
			return errTEUnsupported // RFC 9112 §6.1: unknown coding, 501
		}
	}
	// Limits and expectations are checked before any 100 Continue is sent.
	if p.clSeen && p.cl > p.limits.MaxBodySize {
		return errBodyTooLarge
	}
	if p.expectBad {
		return errExpectation
	}
	switch {
	case p.teSeen:
		p.bodyStart, p.w = p.pos, p.pos
		p.state = stateChunkSize
	case p.clSeen && p.cl > 0:
		p.bodyStart = p.pos
		p.state = stateBody
	default:
		p.state = stateDone
	}
	return nil
}

func (p *Parser) fixedBody(buf []byte) error {
	if int64(len(buf)-p.bodyStart) < p.cl {
		return ErrIncomplete
	}
	p.pos = p.bodyStart + int(p.cl)
	p.state = stateDone
	return nil
}

// methodString returns a static string for the standard methods, so Method
// does not reference the buffer for them, and the buffer bytes otherwise.
func methodString(buf []byte, s span) string {
	m := buf[s.off : s.off+s.n]
	switch len(m) {
	case 3:
		switch string(m) {
		case "GET":
			return "GET"
		case "PUT":
			return "PUT"
		}
	case 4:
		switch string(m) {
		case "POST":
			return "POST"
		case "HEAD":
			return "HEAD"
		}
	case 5:
		switch string(m) {
		case "PATCH":
			return "PATCH"
		case "TRACE":
			return "TRACE"
		}
	case 6:
		if string(m) == "DELETE" {
			return "DELETE"
		}
	case 7:
		switch string(m) {
		case "OPTIONS":
			return "OPTIONS"
		case "CONNECT":
			return "CONNECT"
		}
	}
	return s.str(buf)
}

// fill publishes the completed request into req. The field spans move to
// req by swapping slices (no copy); req builds []Header only if asked.
func (p *Parser) fill(buf []byte, req *Request) {
	req.buf = buf
	if p.methodID != methodOther {
		req.method = methodNames[p.methodID]
	} else {
		req.method = methodString(buf, p.method)
	}
	req.target = p.target.str(buf)
	if p.pathSlash {
		req.path = "/"
	} else {
		req.path = p.path.str(buf)
	}
	req.query = p.query.str(buf)
	req.host = p.host.str(buf)
	req.minor = p.minor
	req.fields, p.fields = p.fields, req.fields[:0]
	req.tfields, p.trailers = p.trailers, req.tfields[:0]
	req.headersBuilt, req.trailersBuilt = false, false
	req.chunked = p.teSeen
	req.body = nil
	req.contentLength = -1
	req.streamed = p.streamed
	switch {
	case p.teSeen:
		if !p.streamed && p.w > p.bodyStart {
			req.body = buf[p.bodyStart:p.w:p.w]
		}
	case p.clSeen:
		req.contentLength = p.cl
		if !p.streamed && p.cl > 0 {
			end := p.bodyStart + int(p.cl)
			req.body = buf[p.bodyStart:end:end]
		}
	}
	if p.minor == 1 {
		req.keepAlive = !p.connClose
	} else {
		req.keepAlive = p.connKeepAlive && !p.connClose
	}
	req.expect = p.expect
	req.head = buf[:p.headEnd:p.headEnd]
	req.stream = nil
}

func fillHeaders(buf []byte, dst []Header, fs []field) []Header {
	for _, f := range fs {
		dst = append(dst, Header{f.name.str(buf), f.value.str(buf)})
	}
	return dst
}
