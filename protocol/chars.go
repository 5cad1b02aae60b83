package protocol

import (
	"encoding/binary"
	"math/bits"
)

// Byte classification tables. Indexing a [256]bool with a byte needs no
// bounds check, which keeps the validation loops tight.

const (
	alpha      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	digit      = "0123456789"
	unreserved = alpha + digit + "-._~"            // RFC 3986 §2.3
	subDelims  = "!$&'()*+,;="                     // RFC 3986 §2.2
	tchars     = alpha + digit + "!#$%&'*+-.^_`|~" // RFC 9110 §5.6.2
)

func table(sets ...string) (t [256]bool) {
	for _, s := range sets {
		for i := 0; i < len(s); i++ {
			t[s[i]] = true
		}
	}
	return t
}

var (
	// tokenTable holds tchar (RFC 9110 §5.6.2): methods, field names,
	// transfer codings and chunk extension names.
	tokenTable = table(tchars)

	// pathTable holds the path bytes that need no special handling: pchar
	// without pct-encoded plus "/" (RFC 3986 §3.3), and obs-text (bytes
	// >= 0x80: clients send UTF-8 paths unencoded, and net/http and nginx
	// take them). '?', '%', '[' and ']' are handled by the target parser;
	// everything else (SP, controls, '"', '#', '<', '>', '\\', '^', '`',
	// '{', '|', '}', DEL) is rejected.
	pathTable = func() [256]bool {
		t := table(unreserved, subDelims, ":@/")
		for c := 0x80; c < 0x100; c++ {
			t[c] = true
		}
		return t
	}()

	// queryTable holds the bytes accepted in a request-target's query: every
	// visible ASCII byte but '#', and obs-text (>= 0x80). RFC 3986 allows fewer, but
	// clients send '|', '{', '"', '[', unencoded UTF-8 and stray '%' in
	// queries, and net/http and nginx take them; nothing in the query
	// bears on framing or routing, and the handler gets it raw.
	queryTable = func() (t [256]bool) {
		for c := 0x21; c < 0x7f; c++ {
			t[c] = c != '#' // a fragment is never sent (RFC 9112 §3.2)
		}
		for c := 0x80; c < 0x100; c++ {
			t[c] = true
		}
		return t
	}()

	// regNameTable holds reg-name bytes other than pct-encoded (RFC 3986 §3.2.2).
	regNameTable = table(unreserved, subDelims)

	// ipLiteralTable holds the bytes allowed between '[' and ']' (IPv6address
	// and IPvFuture, RFC 3986 §3.2.2).
	ipLiteralTable = table(unreserved, subDelims, ":")

	// valueTable holds field-vchar plus SP and HTAB (RFC 9110 §5.5):
	// VCHAR and obs-text (0x80-0xFF) are allowed; NUL, CR, LF, DEL and other
	// controls are not.
	valueTable = func() (t [256]bool) {
		for c := 0x20; c < 0x7f; c++ {
			t[c] = true
		}
		for c := 0x80; c < 0x100; c++ {
			t[c] = true
		}
		t['\t'] = true
		return t
	}()

	// qdtextTable holds qdtext (RFC 9110 §5.6.4): HTAB, SP, VCHAR except
	// '"' and '\\', and obs-text.
	qdtextTable = func() (t [256]bool) {
		t = valueTable
		t['"'] = false
		t['\\'] = false
		return t
	}()

	// lineTable holds the bytes that may appear in a request line (before
	// its LF): visible ASCII, obs-text (in the target), SP and the CR of
	// the terminating CRLF. It is used to reject garbage (binary data, a
	// TLS handshake, which starts with a control byte) before the whole
	// line has arrived.
	lineTable = func() (t [256]bool) {
		for c := 0x20; c < 0x7f; c++ {
			t[c] = true
		}
		for c := 0x80; c < 0x100; c++ {
			t[c] = true
		}
		t['\r'] = true
		return t
	}()
)

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// scanValue returns the index of the first byte in b[i:stop] that is not
// allowed in a field value (see valueTable), or stop. It tests eight bytes at
// a time: flag bytes below 0x20 and DEL (bytes >= 0x80 are obs-text and
// allowed). The lowest flagged byte is always a true hit (borrows only
// propagate upwards), so it is either the stop byte or an HTAB to step over.
func scanValue(b []byte, i, stop int) int {
	for i+8 <= stop {
		x := binary.LittleEndian.Uint64(b[i:])
		d := x ^ (0x7f * lsb)
		m := ((x-0x20*lsb)&^x | (d-lsb)&^d) & msb
		if m == 0 {
			i += 8
			continue
		}
		i += bits.TrailingZeros64(m) >> 3
		if b[i] != '\t' {
			return i
		}
		i++
	}
	for i < stop && valueTable[b[i]] {
		i++
	}
	return i
}

// hexTable maps hex digits to their value and every other byte to 0xff.
var hexTable = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := byte(0); i < 10; i++ {
		t['0'+i] = i
	}
	for i := byte(0); i < 6; i++ {
		t['a'+i] = 10 + i
		t['A'+i] = 10 + i
	}
	return t
}()

// unhex returns the value of the hex digit c, or -1.
func unhex(c byte) int64 {
	if v := hexTable[c]; v != 0xff {
		return int64(v)
	}
	return -1
}

func isHex(c byte) bool { return unhex(c) >= 0 }

func isOWS(c byte) bool { return c == ' ' || c == '\t' }

// equalFold reports whether b equals lower, ignoring ASCII case. lower must
// consist of lowercase letters, digits and '-' only, and b must hold no
// control characters (tokens and validated field values never do): for such
// bytes, b|0x20 equals one of those characters only when b is that character
// or its uppercase form.
func equalFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if b[i]|0x20 != lower[i] {
			return false
		}
	}
	return true
}

// equalFoldString reports whether a and b are equal under ASCII case folding.
func equalFoldString(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// trimOWS removes leading and trailing SP/HTAB.
func trimOWS(b []byte) []byte {
	for len(b) > 0 && isOWS(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isOWS(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// isToken reports whether b is a non-empty token.
func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tokenTable[c] {
			return false
		}
	}
	return true
}

// validHost reports whether h is a valid uri-host [ ":" port ] (RFC 9110
// §7.2, RFC 3986 §3.2.2-3.2.3). The empty string is valid (RFC 9110 §7.2:
// a Host with an empty value is sent for URIs without authority). Userinfo
// ('@') is rejected: it is deprecated in http URIs (RFC 9110 §4.2.4) and a
// classic source of host confusion.
func validHost(h []byte) bool {
	i := 0
	if len(h) > 0 && h[0] == '[' {
		j := 1
		for j < len(h) && h[j] != ']' {
			if !ipLiteralTable[h[j]] {
				return false
			}
			j++
		}
		if j == len(h) || j == 1 {
			return false
		}
		i = j + 1
	} else {
		for {
			// Four bytes a step first: host names are mostly plain
			// reg-name bytes, and fewer branches make this a third faster.
			for i+4 <= len(h) && regNameTable[h[i]] && regNameTable[h[i+1]] && regNameTable[h[i+2]] && regNameTable[h[i+3]] {
				i += 4
			}
			for i < len(h) && regNameTable[h[i]] {
				i++
			}
			if i < len(h) && h[i] == '%' && i+2 < len(h) && isHex(h[i+1]) && isHex(h[i+2]) {
				i += 3
				continue
			}
			break
		}
	}
	if i == len(h) {
		return true
	}
	if h[i] != ':' {
		return false
	}
	for _, c := range h[i+1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
