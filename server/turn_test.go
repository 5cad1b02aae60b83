package server

import (
	"testing"

	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/protocol"
)

// faultyConn is a turnConn whose Read or Arm panics, as a bug in a poller
// or in the server's own code would; it records Close.
type faultyConn struct {
	turnConn
	panicIn string // "read" or "arm"
	closes  int
}

func (f *faultyConn) Read(p []byte) (int, error) {
	if f.panicIn == "read" {
		panic("read failed on purpose")
	}
	return f.turnConn.Read(p)
}

func (f *faultyConn) Arm(i poller.Interest) error {
	if f.panicIn == "arm" {
		panic("arm failed on purpose")
	}
	return nil
}

func (f *faultyConn) Close() error { f.closes++; return nil }

// TestTurnPanicClosesOwnedConnection: a panic during a turn does not leave
// runTurn, and closes the connection exactly when the turn still owned it.
// After the hand-back (here, a panic inside Arm) the connection may
// already be another goroutine's, so it is left alone.
func TestTurnPanicClosesOwnedConnection(t *testing.T) {
	for _, tc := range []struct {
		panicIn string
		closes  int // 1: closed by the recovery; 0: left alone
	}{
		{"read", 1},
		{"arm", 0},
	} {
		t.Run(tc.panicIn, func(t *testing.T) {
			s, err := New(Config{}, HandlerFunc(func(_ *protocol.Request, res *protocol.Response) { res.BodyString("Hello") }))
			if err != nil {
				t.Fatal(err)
			}
			fc := &faultyConn{turnConn: turnConn{in: []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), pending: true}, panicIn: tc.panicIn}
			c := &conn{srv: s, pc: fc}
			s.live.Add(1)
			c.own.v.Store(stateBusy)
			c.event = poller.EventReadable
			var st stash
			func() {
				defer func() {
					if v := recover(); v != nil {
						t.Fatalf("the panic left runTurn: %v", v)
					}
				}()
				c.runTurn(&st)
			}()
			if fc.closes != tc.closes || c.own.closed() != (tc.closes == 1) {
				t.Fatalf("%d Close calls (state closed: %v), want %d", fc.closes, c.own.closed(), tc.closes)
			}
			if st.owner != nil {
				t.Fatal("the stash still names an owner after the turn")
			}
			if tc.closes == 1 && s.live.Load() != 0 {
				t.Fatalf("%d live connections after the close, want 0", s.live.Load())
			}
		})
	}
}
