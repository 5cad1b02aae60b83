package server

import (
	"iter"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
)

// headerElements yields the non-empty elements of a comma-separated field
// value, trimmed of whitespace, as net/http reads such lists (Connection,
// Trailer).
func headerElements(v string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for e := range strings.SplitSeq(v, ",") {
			if e = textproto.TrimString(e); e != "" && !yield(e) {
				return
			}
		}
	}
}

// headerSnapshot is the response header as it stood when the handler set
// the status: net/http sends that, not later changes (those become
// trailers). It copies the map into slices the exchange reuses, where
// net/http clones the map, so a response costs no allocation here.
type headerSnapshot struct {
	fields []snapField
	values []string
}

// snapField is one key and its values, values[start:end] of the snapshot.
type snapField struct {
	key        string
	start, end int
}

// take copies h.
func (s *headerSnapshot) take(h http.Header) {
	clear(s.values)
	s.fields, s.values = s.fields[:0], s.values[:0]
	for k, vv := range h {
		start := len(s.values)
		s.values = append(s.values, vv...)
		s.fields = append(s.fields, snapField{k, start, len(s.values)})
	}
	slices.SortFunc(s.fields, func(a, b snapField) int { return strings.Compare(a.key, b.key) })
}

// reset forgets the snapshot, keeping its storage.
func (s *headerSnapshot) reset() {
	clear(s.values)
	clear(s.fields)
	s.fields, s.values = s.fields[:0], s.values[:0]
}

// lookup returns key's values and whether the key is present.
func (s *headerSnapshot) lookup(key string) ([]string, bool) {
	i, ok := slices.BinarySearchFunc(s.fields, key, func(f snapField, k string) int { return strings.Compare(f.key, k) })
	if !ok {
		return nil, false
	}
	f := s.fields[i]
	return s.values[f.start:f.end], true
}

// get returns key's first value, or "".
func (s *headerSnapshot) get(key string) string {
	if vv, _ := s.lookup(key); len(vv) > 0 {
		return vv[0]
	}
	return ""
}

// has reports whether key is present, even with no values.
func (s *headerSnapshot) has(key string) bool {
	_, ok := s.lookup(key)
	return ok
}

// write appends the fields in key order, skipping those exclude names and
// invalid names, with each value's CR and LF turned into spaces and its
// surrounding blanks trimmed: byte for byte what http.Header.WriteSubset
// writes.
func (s *headerSnapshot) write(c *conn, exclude exclusions) {
	for _, f := range s.fields {
		if exclude.has(f.key) || !validFieldName(f.key) {
			continue
		}
		for _, v := range s.values[f.start:f.end] {
			if strings.ContainsAny(v, "\r\n") {
				v = newlineToSpace.Replace(v)
			}
			v = textproto.TrimString(v)
			c.out = append(c.out, f.key...)
			c.out = append(c.out, ": "...)
			c.out = append(c.out, v...)
			c.out = append(c.out, "\r\n"...)
		}
	}
}

var newlineToSpace = strings.NewReplacer("\n", " ", "\r", " ")

// validFieldName reports whether name is a token (RFC 9110 §5.1).
func validFieldName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		b := name[i]
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0:
		default:
			return false
		}
	}
	return true
}
