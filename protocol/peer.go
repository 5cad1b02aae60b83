package protocol

import "net"

// Peer is the connection a request arrived on, as far as a handler may
// know it. The server sets it on each Request (SetPeer); a Request parsed
// from bytes alone has none.
type Peer interface {
	// RemoteAddr returns the client's address.
	RemoteAddr() net.Addr
	// LocalAddr returns the address the client connected to.
	LocalAddr() net.Addr
}

// remoteAppender is implemented by peers that format the client's address
// without allocating.
type remoteAppender interface{ AppendRemoteAddr([]byte) []byte }

// SetPeer records the connection the request arrived on, for RemoteAddr,
// LocalAddr and AppendRemoteAddr. Parse leaves it alone: a server sets it
// once per connection. nil forgets it.
func (r *Request) SetPeer(p Peer) { r.peer = p }

// RemoteAddr returns the client's network address (a *net.TCPAddr for
// TCP), or nil when the Request has no peer. It may allocate; for logging,
// AppendRemoteAddr does not.
func (r *Request) RemoteAddr() net.Addr {
	if r.peer == nil {
		return nil
	}
	return r.peer.RemoteAddr()
}

// LocalAddr returns the server address the client connected to, or nil
// when the Request has no peer. The server may ask the kernel for it.
func (r *Request) LocalAddr() net.Addr {
	if r.peer == nil {
		return nil
	}
	return r.peer.LocalAddr()
}

// AppendRemoteAddr appends the client's address as RemoteAddr().String()
// spells it ("192.0.2.1:5000", "[2001:db8::1]:5000") to dst and returns
// the result; dst is returned unchanged when the Request has no peer. On
// the epoll and kqueue backends it does not allocate.
func (r *Request) AppendRemoteAddr(dst []byte) []byte {
	switch p := r.peer.(type) {
	case nil:
		return dst
	case remoteAppender:
		return p.AppendRemoteAddr(dst)
	}
	if a := r.peer.RemoteAddr(); a != nil {
		return append(dst, a.String()...)
	}
	return dst
}

// fixedPeer is a Peer whose addresses were read once, for a Request that
// outlives its connection (Clone).
type fixedPeer struct{ remote, local net.Addr }

func (p fixedPeer) RemoteAddr() net.Addr { return p.remote }
func (p fixedPeer) LocalAddr() net.Addr  { return p.local }

// clonePeer returns a Peer with r's addresses as they are now, or nil.
func (r *Request) clonePeer() Peer {
	if r.peer == nil {
		return nil
	}
	return fixedPeer{remote: r.peer.RemoteAddr(), local: r.peer.LocalAddr()}
}
