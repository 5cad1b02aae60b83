package protocol

import "encoding/binary"

// Standard methods recognised by the request-line fast path, so that Method
// returns a static string without comparing the bytes again.
const (
	methodOther uint8 = iota // not recognised: Method is the buffer's bytes
	methodGET
	methodHEAD
	methodPOST
	methodPUT
	methodDELETE
)

var methodNames = [...]string{methodGET: "GET", methodHEAD: "HEAD", methodPOST: "POST", methodPUT: "PUT", methodDELETE: "DELETE"}

// Little-endian words of the first bytes of a request line.
var (
	wordGET    = binary.LittleEndian.Uint32([]byte("GET "))
	wordHEAD   = binary.LittleEndian.Uint32([]byte("HEAD"))
	wordPOST   = binary.LittleEndian.Uint32([]byte("POST"))
	wordPUT    = binary.LittleEndian.Uint32([]byte("PUT "))
	wordDELE   = binary.LittleEndian.Uint32([]byte("DELE"))
	wordHTTP11 = binary.LittleEndian.Uint64([]byte("HTTP/1.1"))
	wordHTTP10 = binary.LittleEndian.Uint64([]byte("HTTP/1.0"))
)

// requestLineFast parses, in one pass and with local state only, a request
// line of the usual shape: GET, HEAD, POST, PUT or DELETE, an origin-form
// target, "HTTP/1.1" or "HTTP/1.0" and CRLF, complete in buf and within the
// length limit. It reports false, changing nothing, for anything else (an
// incomplete line, another method or target form, a malformed or too long
// line): the general path then parses the line and gives every verdict.
// What it accepts, the general path accepts with the same result.
func (p *Parser) requestLineFast(buf []byte, limit int) bool {
	pos := p.pos
	if pos >= len(buf) {
		return false
	}
	b := buf[pos:min(len(buf), limit)]
	if len(b) < 16 { // "GET / HTTP/1.1\r\n", the shortest line taken here
		return false
	}
	var id uint8
	var ts int // the target's offset in b
	switch binary.LittleEndian.Uint32(b) {
	case wordGET:
		id, ts = methodGET, 4
	case wordPUT:
		id, ts = methodPUT, 4
	case wordHEAD:
		id, ts = methodHEAD, 5
	case wordPOST:
		id, ts = methodPOST, 5
	case wordDELE:
		if string(b[4:7]) != "TE " {
			return false
		}
		id, ts = methodDELETE, 7
	default:
		return false
	}
	if ts == 5 && b[4] != ' ' {
		return false
	}
	if b[ts] != '/' {
		return false // asterisk-form, absolute-form, garbage: the general path
	}
	j, query := ts+1, -1
	for {
		for j < len(b) && pathTable[b[j]] {
			j++
		}
		if j+2 < len(b) && b[j] == '%' && isHex(b[j+1]) && isHex(b[j+2]) {
			j += 3
			continue
		}
		break
	}
	if j < len(b) && b[j] == '?' {
		query = j
		j++
		for j < len(b) && queryTable[b[j]] {
			j++
		}
	}
	// SP "HTTP/1.x" CRLF: 11 bytes.
	if j+11 > len(b) || b[j] != ' ' || b[j+9] != '\r' || b[j+10] != '\n' {
		return false
	}
	switch binary.LittleEndian.Uint64(b[j+1:]) {
	case wordHTTP11:
		p.minor = 1
	case wordHTTP10:
		p.minor = 0
	default:
		return false
	}
	p.methodID = id
	p.method = span{pos, ts - 1}
	p.target = span{pos + ts, j - ts}
	if query < 0 {
		p.path = p.target
	} else {
		p.path = span{pos + ts, query - ts}
		p.query = span{pos + query + 1, j - query - 1}
	}
	p.pos = pos + j + 11
	p.scan = p.pos
	p.hdrStart = p.pos
	p.state = stateHeaders
	return true
}
