// Package protocol parses HTTP/1.1 requests and builds HTTP/1.1 responses for
// miniasync. It is strict (RFC 9110 and RFC 9112), closed to request
// smuggling, and allocation-free in steady state.
//
// # Flow
//
// The server owns a per-connection input buffer. It calls Parser.Parse on it
// until a request is complete, resets a Response with Response.Reset, calls
// the handler, and appends the wire bytes with Response.Build. Rejected
// requests are answered with AppendError and the connection is closed.
// Pipelined requests are parsed one after another: after Parse returns n, the
// next request starts at buf[n:].
//
// Parse is incremental: on ErrIncomplete it remembers how far it got, so a
// request arriving one byte per call is still parsed in linear time, and
// every verdict (accept, or which status) is the same however the bytes were
// split. NeedsContinue/ContinueSent drive "Expect: 100-continue", and
// HeaderComplete tells when only the body is still pending.
//
// # Streaming bodies
//
// With Parser.StreamBodies on, a request announcing a body is returned as
// soon as its header section is complete and valid (Request.BodyStreamed),
// and the server reads the body with Parser.ReadBody from the bytes after
// the header section, dropping what each call consumed, until io.EOF; only
// then may Parse see the next request. An upload larger than memory thus
// flows through a bounded buffer. Every limit and check applies as when the
// body is buffered; trailer fields of a streamed body are validated and
// discarded.
//
// # Zero-copy lifetime rule
//
// Every string and []byte returned by a Request (method, target, path, query,
// host, header names and values, trailers, body) points into the connection's
// input buffer. It is valid only until the handler returns: afterwards the
// buffer is reused for the next request and the data changes under the
// string. Copy what you keep with Request.Clone or CloneString. Likewise,
// Response.Body references its argument until Build.
//
// # Strictness decisions
//
//   - Bare LF: every line (request line, header and trailer fields, chunk-size
//     lines, the CRLF after chunk data) must end in CRLF. A bare LF anywhere
//     is 400; tolerating it where a front end does not is a smuggling vector
//     (CVE-2025-22871). Bare CR is 400 as well.
//   - One empty line (CRLF) before the request line is ignored (RFC 9112 §2.2).
//   - Request line: exactly one SP between the parts; the method is a token;
//     the target holds only RFC 3986 characters with valid %XX escapes;
//     origin-form, absolute-form (http/https only, Host taken from it, no
//     userinfo) and asterisk-form (OPTIONS only) are accepted. CONNECT is 501.
//     Other targets are 400. HTTP/1.0 and HTTP/1.1 are accepted; other
//     well-formed versions HTTP/d.d are 505.
//   - Fields: token names immediately followed by ':', no obs-fold, values
//     without controls except HTAB; obs-text (0x80-0xFF) is allowed.
//     HTTP/1.1 needs exactly one valid Host field; HTTP/1.0 may omit it.
//   - Framing: Transfer-Encoding with Content-Length is 400. Content-Length
//     must be plain digits; repeated or listed values must be identical.
//     Transfer-Encoding must end in exactly one chunked coding (else 400);
//     other codings before it are 501; "identity" is 400 (it was removed from
//     HTTP and old parsers read it as "no body"); any Transfer-Encoding in an
//     HTTP/1.0 request is 400.
//   - Chunked coding: hex sizes only (at most 15 significant digits), no
//     whitespace except the BWS the grammar allows around ';' and '=' in
//     chunk extensions; extensions must be well-formed (token names, closed
//     quoted strings). A chunk-size line may hold 4 KiB, and all chunk-size
//     lines together 4 KiB plus one byte per decoded body byte
//     (CVE-2023-39326). Chunked bodies are decoded in place in the buffer.
//   - Expect: "100-continue" (any case) starts the NeedsContinue flow for
//     HTTP/1.1 and is ignored for HTTP/1.0; any other expectation is 417.
//     Invalid headers or a too-large Content-Length are rejected before a
//     100 Continue is ever sent.
//
// # Limits and statuses
//
// Limits are checked as soon as the offending bytes arrive:
//
//	request line longer than MaxRequestLine (8 KiB)           414
//	header section over MaxHeaderBytes (64 KiB)               431
//	more than MaxHeaderCount (100) fields                     431
//	trailers: share the header byte and count budget          431
//	body over MaxBodySize (10 MiB), by Content-Length or
//	  by the decoded chunked total                            413
//
// Every other rejection is 400, except 417 (expectation), 501 (CONNECT,
// unsupported transfer coding) and 505 (HTTP version).
//
// # Responses
//
// Build always answers HTTP/1.1, writes Date on every response, omits the body
// for HEAD and the body and Content-Length for 1xx, 204 and 304, and writes
// "Connection: close" whenever the connection is to be closed.
package protocol
