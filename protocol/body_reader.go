package protocol

import "io"

// bodyAccess is the part of a Request that serves its body as a stream and
// its raw header section.
type bodyAccess struct {
	head   []byte    // the request line and header section, CRLFs included
	stream io.Reader // set by the server for a streamed body
	br     bytesReader
}

// Head returns the request line and the header section exactly as received,
// up to and including the empty line that ends it. Like every other view of
// the request it references the connection's buffer and is valid only until
// the handler returns.
func (r *Request) Head() []byte { return r.head }

// BodyReader returns the body as an io.Reader: the bytes Body returns, or,
// for a body the server streams (see the server's StreamBodies setting), a
// reader that receives the body from the client as the handler reads it, so
// an upload larger than memory can be processed piece by piece. It is valid
// until the handler returns and must not be used concurrently.
func (r *Request) BodyReader() io.Reader {
	if r.stream != nil {
		return r.stream
	}
	r.br.b = r.body
	return &r.br
}

// SetBodyStream makes BodyReader return rd, for a server that streams the
// body of the request being handled. Parse clears it.
func (r *Request) SetBodyStream(rd io.Reader) { r.stream = rd }

// bytesReader reads a byte slice; it lives in the Request so BodyReader does
// not allocate.
type bytesReader struct{ b []byte }

func (br *bytesReader) Read(p []byte) (int, error) {
	if len(br.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, br.b)
	br.b = br.b[n:]
	return n, nil
}
