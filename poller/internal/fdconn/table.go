package fdconn

import "time"

// Table maps descriptor numbers to the connections of one event loop. Only
// the event loop's goroutine uses it, so it needs no lock.
type Table[C any] struct {
	slots  []*C
	pruned time.Time // when PruneIfDue last pruned
}

// PruneEvery is how often PruneIfDue prunes.
const PruneEvery = 5 * time.Second

// Put records c under fd, replacing whatever an earlier connection with
// the same descriptor left there.
func (t *Table[C]) Put(fd int, c *C) {
	if fd >= len(t.slots) {
		n := max(2*len(t.slots), fd+1, minSlots)
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

// minSlots is the smallest table Put makes and Prune shrinks to.
const minSlots = 64

// Prune forgets every connection for which gone reports true, and gives
// back the table's tail when the highest descriptor left is under a
// quarter of its size. Without it a closed connection, and whatever its
// context references, stays in the table until the kernel hands its
// descriptor number out again, so the memory of a burst of connections
// would stay pinned after they closed. It reads every slot: the event loop
// calls it every few seconds, not per event.
func (t *Table[C]) Prune(gone func(*C) bool) {
	top := -1
	for fd, c := range t.slots {
		switch {
		case c == nil:
		case gone(c):
			t.slots[fd] = nil
		default:
			top = fd
		}
	}
	if n := max(2*(top+1), minSlots); n <= len(t.slots)/4 {
		t.slots = append([]*C(nil), t.slots[:n]...)
	}
}

// PruneIfDue runs Prune when PruneEvery has passed since it last did. The
// event loop calls it when it has nothing to do and is about to wait.
func (t *Table[C]) PruneIfDue(now time.Time, gone func(*C) bool) {
	if now.Sub(t.pruned) >= PruneEvery {
		t.Prune(gone)
		t.pruned = now
	}
}

// MakePruneDue makes the next PruneIfDue prune, for the backends' tests.
func (t *Table[C]) MakePruneDue() { t.pruned = time.Time{} }
