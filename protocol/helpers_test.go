package protocol

import (
	"errors"
	"fmt"
	"strings"
)

// result is a comparable, copied snapshot of one Parse outcome.
type result struct {
	N             int
	Status        int // 0: success, -1: incomplete, else the *Error status
	Method        string
	Target        string
	Path          string
	Query         string
	Proto         string
	Minor         int
	Host          string
	Headers       []Header
	Trailers      []Header
	Body          string
	HasBody       bool
	ContentLength int64
	Chunked       bool
	KeepAlive     bool
	Expect        bool
}

func (r result) String() string {
	type plain result // no String method: avoids recursion
	return fmt.Sprintf("%+v", plain(r.withoutBody()))
}

func (r result) withoutBody() result {
	if len(r.Body) > 64 {
		r.Body = r.Body[:64] + "..."
	}
	return r
}

func statusOf(err error) int {
	if err == nil {
		return 0
	}
	if err == ErrIncomplete {
		return -1
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return -2
}

func snapshot(n int, err error, r *Request) result {
	if err != nil {
		return result{Status: statusOf(err)}
	}
	c := r.Clone() // also exercises Clone
	res := result{
		N:             n,
		Method:        c.Method(),
		Target:        c.Target(),
		Path:          c.Path(),
		Query:         c.Query(),
		Proto:         c.Proto(),
		Minor:         c.ProtoMinor(),
		Host:          c.Host(),
		Body:          string(c.Body()),
		HasBody:       c.Body() != nil,
		ContentLength: c.ContentLength(),
		Chunked:       c.Chunked(),
		KeepAlive:     c.KeepAlive(),
		Expect:        c.ExpectContinue(),
	}
	for _, h := range c.Headers() {
		res.Headers = append(res.Headers, h)
	}
	for _, h := range c.Trailers() {
		res.Trailers = append(res.Trailers, h)
	}
	return res
}

// parseWhole parses in from one buffer.
func parseWhole(in string, l Limits) result {
	p := NewParser(l)
	var r Request
	buf := []byte(in)
	n, err := p.Parse(buf, &r)
	return snapshot(n, err, &r)
}

// grow returns a new buffer holding old (including in-place changes made by
// Parse) followed by more, as a server does when it reallocates.
func grow(old []byte, more string) []byte {
	nb := make([]byte, len(old), len(old)+len(more))
	copy(nb, old)
	return append(nb, more...)
}

// parseSplit feeds in[:k] and then, in a reallocated buffer, all of in.
func parseSplit(in string, l Limits, k int) result {
	p := NewParser(l)
	var r Request
	buf := []byte(in[:k])
	n, err := p.Parse(buf, &r)
	if err != ErrIncomplete {
		return snapshot(n, err, &r)
	}
	buf = grow(buf, in[k:])
	n, err = p.Parse(buf, &r)
	return snapshot(n, err, &r)
}

// parseChunks feeds in step bytes at a time, appending to one buffer as a
// server does (append reallocates, preserving content, whenever it grows).
func parseChunks(in string, l Limits, step int) result {
	p := NewParser(l)
	var r Request
	var buf []byte
	for i := 0; i < len(in); i += step {
		buf = append(buf, in[i:min(i+step, len(in))]...)
		n, err := p.Parse(buf, &r)
		if err != ErrIncomplete {
			return snapshot(n, err, &r)
		}
	}
	return result{Status: -1}
}

// parseCompacting feeds in step bytes at a time like parseChunks, calling
// Compact after every ErrIncomplete as a server does before growing its
// buffer. N is reported as an offset into in (the compacted bytes added
// back), and rest is what follows the request in the compacted buffer and
// was not fed yet, which must be in[N:]; peak is the largest buffer length seen.
func parseCompacting(in string, l Limits, step int) (got result, rest string, peak int) {
	p := NewParser(l)
	var r Request
	var buf []byte
	removed := 0
	for i := 0; i < len(in); i += step {
		buf = append(buf, in[i:min(i+step, len(in))]...)
		peak = max(peak, len(buf))
		n, err := p.Parse(buf, &r)
		if err != ErrIncomplete {
			got = snapshot(n, err, &r)
			if err == nil {
				got.N += removed
				rest = string(buf[n:]) + in[min(i+step, len(in)):]
			}
			return got, rest, peak
		}
		compacted := p.Compact(buf)
		removed += len(buf) - len(compacted)
		buf = compacted
	}
	return result{Status: -1}, "", peak
}

// req builds a request from lines joined with CRLF.
func req(lines ...string) string { return strings.Join(lines, "\r\n") }
