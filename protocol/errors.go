package protocol

import (
	"errors"
	"strconv"
)

// ErrIncomplete is returned by Parser.Parse when buf does not yet hold a
// complete request. Call Parse again once more bytes were appended.
var ErrIncomplete = errors.New("protocol: incomplete request")

// ErrInvalidStatus is wrapped by the error Response.Build returns for a status
// code outside 100-999.
var ErrInvalidStatus = errors.New("protocol: invalid status code")

// ErrInvalidHeader is wrapped by the error Response.Build returns for a
// response field whose name is not a token or whose value holds CR, LF, NUL or
// another control character.
var ErrInvalidHeader = errors.New("protocol: invalid response header field")

// Error is a rejected request: the status to answer and a short plain-text reason.
//
// Parse returns *Error values that are preallocated package variables, so
// rejecting a request does not allocate. Treat them as read-only.
type Error struct {
	Status int
	Reason string
}

// Error returns "protocol: <status> <reason>".
func (e *Error) Error() string {
	return "protocol: " + strconv.Itoa(e.Status) + " " + e.Reason
}

func newError(status int, reason string) *Error { return &Error{Status: status, Reason: reason} }

// Preallocated rejections. The reason is sent to the client as the body of the
// error response, so it must stay short and must not echo request bytes.
var (
	// Request line (RFC 9112 §3).
	errBareLFRequestLine = newError(400, "request line not terminated by CRLF")
	errBadRequestLine    = newError(400, "malformed request line")
	errBadMethod         = newError(400, "malformed method")
	errBadTarget         = newError(400, "malformed request target")
	errBadVersion        = newError(400, "malformed HTTP version")
	errBadHost           = newError(400, "invalid host")
	errAsterisk          = newError(400, "asterisk-form is only allowed for OPTIONS")
	errUserinfo          = newError(400, "userinfo in request target")
	errScheme            = newError(400, "unsupported URI scheme in request target")
	errConnect           = newError(501, "CONNECT is not supported")
	errVersion           = newError(505, "HTTP version not supported")
	errURITooLong        = newError(414, "request line too long")

	// Field lines (RFC 9112 §5, RFC 9110 §5).
	errBareLFField   = newError(400, "field line not terminated by CRLF")
	errObsFold       = newError(400, "obsolete line folding is not allowed")
	errBadFieldName  = newError(400, "malformed field name")
	errBadFieldValue = newError(400, "invalid character in field value")
	errHeaderTooBig  = newError(431, "request header section too large")
	errTooManyFields = newError(431, "too many header fields")
	errNoHost        = newError(400, "missing Host header")
	errMultiHost     = newError(400, "multiple Host headers")

	// Framing (RFC 9112 §6).
	errBadContentLength  = newError(400, "invalid Content-Length")
	errMultiCL           = newError(400, "conflicting Content-Length values")
	errTEAndCL           = newError(400, "both Transfer-Encoding and Content-Length")
	errTEHTTP10          = newError(400, "Transfer-Encoding in an HTTP/1.0 request")
	errBadTE             = newError(400, "malformed Transfer-Encoding")
	errTENotChunkedFinal = newError(400, "chunked is not the final transfer coding")
	errTEChunkedTwice    = newError(400, "chunked transfer coding applied twice")
	errTEIdentity        = newError(400, "identity transfer coding is not allowed")
	errTEUnsupported     = newError(501, "unsupported transfer coding")
	errBodyTooLarge      = newError(413, "request body too large")
	errExpectation       = newError(417, "unsupported expectation")

	// Chunked coding (RFC 9112 §7.1).
	errBareLFChunk     = newError(400, "chunk line not terminated by CRLF")
	errBadChunkSize    = newError(400, "malformed chunk size")
	errChunkOverflow   = newError(400, "chunk size overflow")
	errBadChunkExt     = newError(400, "malformed chunk extension")
	errChunkLineLong   = newError(400, "chunk line too long")
	errChunkExtExcess  = newError(400, "too much chunk extension data")
	errChunkDataCRLF   = newError(400, "chunk data not followed by CRLF")
	errBareLFTrailer   = newError(400, "trailer line not terminated by CRLF")
	errTrailerTooBig   = newError(431, "trailer section too large")
	errTooManyTrailers = newError(431, "too many trailer fields")

	// Streamed bodies: Parse called while a body is still pending (a server
	// bug, hence 500; the connection must close as the framing is lost).
	errBodyPending = newError(500, "request body not consumed")
)
