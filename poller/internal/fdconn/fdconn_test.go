//go:build unix

package fdconn

import (
	"errors"
	"fmt"
	"testing"

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
