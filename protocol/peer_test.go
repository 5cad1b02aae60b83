package protocol

import (
	"net"
	"net/netip"
	"testing"
)

// fakePeer is a Peer with fixed addresses; appends counts the calls to
// AppendRemoteAddr when it implements it (appendingPeer).
type fakePeer struct{ remote, local net.Addr }

func (p *fakePeer) RemoteAddr() net.Addr { return p.remote }
func (p *fakePeer) LocalAddr() net.Addr  { return p.local }

type appendingPeer struct {
	fakePeer
	appends int
}

func (p *appendingPeer) AppendRemoteAddr(dst []byte) []byte {
	p.appends++
	return append(dst, p.remote.String()...)
}

func tcpAddr(s string) *net.TCPAddr { return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s)) }

func TestRequestPeer(t *testing.T) {
	req := parsed(t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if req.RemoteAddr() != nil || req.LocalAddr() != nil || string(req.AppendRemoteAddr([]byte("a"))) != "a" {
		t.Fatal("a request without a peer must report no addresses and append nothing")
	}

	remote, local := tcpAddr("[2001:db8::1]:5000"), tcpAddr("192.0.2.1:80")
	plain := &fakePeer{remote, local}
	req.SetPeer(plain)
	if req.RemoteAddr() != remote || req.LocalAddr() != local {
		t.Fatalf("addresses %v %v, want %v %v", req.RemoteAddr(), req.LocalAddr(), remote, local)
	}
	if got := string(req.AppendRemoteAddr([]byte("from "))); got != "from [2001:db8::1]:5000" {
		t.Fatalf("AppendRemoteAddr through RemoteAddr: %q", got)
	}
	appending := &appendingPeer{fakePeer: fakePeer{tcpAddr("198.51.100.7:443"), local}}
	req.SetPeer(appending)
	if got := string(req.AppendRemoteAddr(nil)); got != "198.51.100.7:443" || appending.appends != 1 {
		t.Fatalf("AppendRemoteAddr with an appending peer: %q after %d appends", got, appending.appends)
	}

	// Parsing the connection's next request keeps the peer.
	var p Parser
	if _, err := p.Parse([]byte("GET /next HTTP/1.1\r\nHost: x\r\n\r\n"), req); err != nil {
		t.Fatal(err)
	}
	if req.RemoteAddr() == nil || req.RemoteAddr().String() != "198.51.100.7:443" {
		t.Fatalf("after the next Parse: %v", req.RemoteAddr())
	}

	// A clone keeps the addresses it had, whatever the original's peer
	// becomes.
	clone := req.Clone()
	appending.remote = tcpAddr("203.0.113.9:1")
	req.SetPeer(nil)
	if got := string(clone.AppendRemoteAddr(nil)); got != "198.51.100.7:443" || clone.LocalAddr().String() != "192.0.2.1:80" {
		t.Fatalf("clone: remote %q local %v", got, clone.LocalAddr())
	}
	if req.RemoteAddr() != nil {
		t.Fatal("SetPeer(nil) must forget the peer")
	}
}
