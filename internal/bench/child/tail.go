package child

import (
	"strings"
	"sync"
)

// Tail is an io.Writer that keeps only the last bytes written to it, for
// showing the end of a child's output in an error. It is safe for
// concurrent use.
type Tail struct {
	mu   sync.Mutex
	max  int
	buf  []byte
	lost bool
}

// NewTail returns a Tail keeping the last max bytes.
func NewTail(max int) *Tail { return &Tail{max: max} }

// Write keeps the end of p; it never fails.
func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		t.lost = true
		return n, nil
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
		t.lost = true
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

// Lines returns at most n of the last complete or partial lines kept,
// trimmed; a line cut by the size limit is dropped.
func (t *Tail) Lines(n int) string {
	t.mu.Lock()
	s := string(t.buf)
	lost := t.lost
	t.mu.Unlock()
	if lost {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
	}
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
