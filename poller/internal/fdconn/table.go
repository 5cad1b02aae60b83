package fdconn

// Table maps descriptor numbers to the connections of one event loop. Only
// the event loop's goroutine uses it, so it needs no lock.
type Table[C any] struct {
	slots []*C
}

// Put records c under fd, replacing whatever an earlier connection with
// the same descriptor left there.
func (t *Table[C]) Put(fd int, c *C) {
	if fd >= len(t.slots) {
		n := max(2*len(t.slots), fd+1, 64)
		grown := make([]*C, n)
		copy(grown, t.slots)
		t.slots = grown
	}
	t.slots[fd] = c
}

// Get returns the connection recorded under fd, or nil.
func (t *Table[C]) Get(fd int) *C {
	if fd < 0 || fd >= len(t.slots) {
		return nil
	}
	return t.slots[fd]
}

// Delete forgets fd.
func (t *Table[C]) Delete(fd int) {
	if fd >= 0 && fd < len(t.slots) {
		t.slots[fd] = nil
	}
}

// Each calls f for every recorded connection.
func (t *Table[C]) Each(f func(fd int, c *C)) {
	for fd, c := range t.slots {
		if c != nil {
			f(fd, c)
		}
	}
}
