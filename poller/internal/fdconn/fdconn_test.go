//go:build unix

package fdconn

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestClassifyAcceptError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want AcceptAction
	}{
		{unix.EAGAIN, AcceptDone},
		{unix.ECONNABORTED, AcceptRetry},
		{unix.EINTR, AcceptRetry},
		{unix.EMFILE, AcceptBackoff},
		{unix.ENFILE, AcceptBackoff},
		{fmt.Errorf("wrapped: %w", unix.ENOBUFS), AcceptBackoff},
		{unix.EBADF, AcceptFatal},
		{errors.New("not an errno"), AcceptFatal},
	} {
		if got := ClassifyAcceptError(tc.err); got != tc.want {
			t.Errorf("%v: got %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestTable(t *testing.T) {
	var tab Table[int]
	a, b := 1, 2
	tab.Put(3, &a)
	tab.Put(1000, &b)
	if tab.Get(3) != &a || tab.Get(1000) != &b || tab.Get(4) != nil || tab.Get(-1) != nil || tab.Get(5000) != nil {
		t.Fatal("Get after Put")
	}
	tab.Put(3, &b) // a reused descriptor replaces the old entry
	tab.Delete(1000)
	n := 0
	tab.Each(func(fd int, c *int) { n++ })
	if n != 1 || tab.Get(3) != &b {
		t.Fatalf("Each saw %d entries", n)
	}
}

func TestTablePrune(t *testing.T) {
	var tab Table[int]
	gone := func(c *int) bool { return *c < 0 }
	live, closed := 1, -1
	tab.Put(5, &live)
	tab.Put(70, &closed)
	tab.Put(4000, &closed)
	tab.Prune(gone)
	if tab.Get(5) != &live || tab.Get(70) != nil || tab.Get(4000) != nil {
		t.Fatal("Prune kept a closed connection or dropped an open one")
	}
	// Only descriptor 5 is left: the 8,000-slot table shrinks to the minimum.
	if len(tab.slots) != minSlots {
		t.Fatalf("table has %d slots after Prune, want %d", len(tab.slots), minSlots)
	}
	tab.Put(3000, &live)
	tab.Put(100, &closed)
	tab.Prune(gone)
	if len(tab.slots) < 3001 || tab.Get(3000) != &live || tab.Get(100) != nil {
		t.Fatalf("Prune shrank below an open connection (%d slots) or kept a closed one", len(tab.slots))
	}
}

// TestTablePruneIfDue: the first call prunes, calls within PruneEvery do
// not, a later one does, and MakePruneDue makes the next one prune.
func TestTablePruneIfDue(t *testing.T) {
	var tab Table[int]
	calls := 0
	gone := func(*int) bool { calls++; return false }
	live := 1
	tab.Put(3, &live)
	now := time.Now()
	for _, c := range []struct {
		at        time.Time
		makeDue   bool
		wantCalls int
	}{
		{now, false, 1},
		{now.Add(PruneEvery - time.Millisecond), false, 1},
		{now.Add(PruneEvery), false, 2},
		{now.Add(PruneEvery + time.Millisecond), false, 2},
		{now.Add(PruneEvery + 2*time.Millisecond), true, 3},
	} {
		if c.makeDue {
			tab.MakePruneDue()
		}
		tab.PruneIfDue(c.at, gone)
		if calls != c.wantCalls {
			t.Fatalf("at +%v (made due: %v): %d prunes, want %d", c.at.Sub(now), c.makeDue, calls, c.wantCalls)
		}
	}
}

func TestListenAndAddresses(t *testing.T) {
	fd, addr, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if addr.String() == "127.0.0.1:0" {
		t.Fatalf("bound address not read back: %v", addr)
	}
	if _, _, err := Listen(addr.String()); err == nil {
		t.Fatal("second Listen on the same address succeeded")
	}
	if got := SockaddrToTCP(&unix.SockaddrInet6{Port: 80, Addr: [16]byte{15: 1}}).String(); got != "[::1]:80" {
		t.Fatalf("IPv6 address: %s", got)
	}
}
