package protocol

// Default limits applied when a Limits field is zero (or negative).
const (
	DefaultMaxRequestLine = 8 << 10  // 8 KiB
	DefaultMaxHeaderBytes = 64 << 10 // 64 KiB
	DefaultMaxHeaderCount = 100
	DefaultMaxBodySize    = 10 << 20 // 10 MiB

	// MaxLimitBytes is the largest MaxRequestLine and MaxHeaderBytes
	// honoured: larger values (math.MaxInt for "no limit") are taken as
	// 1 GiB, which no buffered request line or header section reaches,
	// and which keeps the parser's offsets far from overflowing.
	MaxLimitBytes = 1 << 30
)

// Limits caps what a request may hold. Zero fields mean the default.
//
// Exceeding a limit is reported by Parse as an *Error with the status shown
// next to each field; every limit is enforced as soon as the offending bytes
// have arrived, without waiting for the rest of the request.
type Limits struct {
	MaxRequestLine int   // default 8 KiB, at most MaxLimitBytes; longer request line (excluding CRLF) -> 414
	MaxHeaderBytes int   // default 64 KiB, at most MaxLimitBytes, for the whole header section (field lines and their CRLFs plus the final CRLF); -> 431
	MaxHeaderCount int   // default 100 fields; -> 431
	MaxBodySize    int64 // default 10 MiB (decoded body, Content-Length or chunked); -> 413
}

// DefaultLimits returns the limits used for zero fields.
func DefaultLimits() Limits {
	return Limits{
		MaxRequestLine: DefaultMaxRequestLine,
		MaxHeaderBytes: DefaultMaxHeaderBytes,
		MaxHeaderCount: DefaultMaxHeaderCount,
		MaxBodySize:    DefaultMaxBodySize,
	}
}

// Normalized returns the limits a Parser enforces for l: every
// non-positive field replaced by its default, and MaxRequestLine and
// MaxHeaderBytes at most MaxLimitBytes.
func (l Limits) Normalized() Limits {
	d := DefaultLimits()
	if l.MaxRequestLine <= 0 {
		l.MaxRequestLine = d.MaxRequestLine
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if l.MaxHeaderCount <= 0 {
		l.MaxHeaderCount = d.MaxHeaderCount
	}
	if l.MaxBodySize <= 0 {
		l.MaxBodySize = d.MaxBodySize
	}
	l.MaxRequestLine = min(l.MaxRequestLine, MaxLimitBytes)
	l.MaxHeaderBytes = min(l.MaxHeaderBytes, MaxLimitBytes)
	return l
}
