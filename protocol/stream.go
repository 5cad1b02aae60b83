package protocol

import (
	"errors"
	"strconv"
	"time"
)

// ErrNotStreaming is returned by Response.Flush when no Sink was set: the
// response can only be built whole.
var ErrNotStreaming = errors.New("protocol: response has no sink to stream to")

// Sink receives the bytes of a streamed response. The server sets one on
// each Response (SetSink); handlers never call it.
type Sink interface {
	// Send writes b to the client, waiting as long as the client needs to
	// take it, and returns an error when the connection failed or timed
	// out. b is reused after Send returns.
	Send(b []byte) error
}

// SetSink sets where Flush sends a streamed response. Servers call it before
// the handler runs; nil disables streaming.
func (w *Response) SetSink(s Sink) { w.sink = s }

// Streaming reports whether Flush has sent the head of the response.
func (w *Response) Streaming() bool { return w.streaming }

// Flush sends what the handler has produced so far and streams the rest.
//
// The first Flush validates and sends the status line and header fields
// (they can no longer change) with "Transfer-Encoding: chunked" instead of a
// Content-Length, and the body written so far as one chunk. Each later Flush
// sends the body written since the previous one as a chunk. When the handler
// returns, Build ends the stream. An HTTP/1.0 client gets the body without
// chunking, delimited by the connection's close. HEAD requests and statuses
// without a body (1xx, 204, 304) get only the head.
//
// Flush blocks until the client has taken the bytes (bounded by the server's
// write timeout) and returns the error that made the connection fail, after
// which the handler should stop: nothing more reaches the client. It returns
// a wrapped ErrInvalidStatus or ErrInvalidHeader for an invalid head, and
// ErrNotStreaming without a Sink.
func (w *Response) Flush() error {
	if w.sink == nil {
		return ErrNotStreaming
	}
	w.wire = w.wire[:0]
	if !w.streaming {
		noBody, err := w.check()
		if err != nil {
			return err
		}
		f := framingChunked
		if w.minor == 0 {
			f = framingClose
			w.close = true
		}
		keep := w.reqKeepAlive && !w.close && w.status >= 200
		w.wire = w.appendHead(w.wire, f, keep, time.Now().Unix())
		w.streaming, w.chunked, w.bodyless = true, f == framingChunked, noBody || w.head
		w.keepAlive = keep
	}
	w.wire = w.appendChunk(w.wire)
	return w.sink.Send(w.wire)
}

// appendChunk appends the body written since the last Flush, framed, and
// empties the body.
func (w *Response) appendChunk(dst []byte) []byte {
	if len(w.body) > 0 && !w.bodyless {
		if w.chunked {
			dst = strconv.AppendUint(dst, uint64(len(w.body)), 16)
			dst = append(dst, "\r\n"...)
			dst = append(dst, w.body...)
			dst = append(dst, "\r\n"...)
		} else {
			dst = append(dst, w.body...)
		}
	}
	w.body, w.buf, w.ownBody = nil, w.buf[:0], false
	return dst
}

// finishStream appends the end of a streamed response: the body written
// since the last Flush and, when chunked, the last chunk.
func (w *Response) finishStream(dst []byte) []byte {
	dst = w.appendChunk(dst)
	if w.chunked && !w.bodyless {
		dst = append(dst, "0\r\n\r\n"...)
	}
	return dst
}
