package suite

import (
	"net"
	"time"
)

// netConn names net.Conn for the DialContext signature in run.go.
type netConn = net.Conn

var dialer = &net.Dialer{Timeout: ioTimeout}

// tryDial dials addr once without failing a test, for checks that expect
// an error.
func tryDial(addr string) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		_ = c.Close()
	}
	return c, err
}
