package hello

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestRequests(t *testing.T) {
	get := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	post := "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
	tests := []struct {
		in             string
		count, consume int
	}{
		{get, 1, len(get)},
		{get + get + get, 3, 3 * len(get)},
		{get + "GET / HT", 1, len(get)},
		{post + get, 2, len(post) + len(get)},
		{post[:len(post)-1], 0, 0},
		{"", 0, 0},
	}
	for _, tt := range tests {
		n, c, err := Requests([]byte(tt.in))
		if err != nil || n != tt.count || c != tt.consume {
			t.Errorf("%q: got %d %d %v, want %d %d", tt.in, n, c, err, tt.count, tt.consume)
		}
	}
	for _, bad := range []string{"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n", strings.Repeat("a", MaxHeader+1)} {
		if _, _, err := Requests([]byte(bad)); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%.40q: err %v", bad, err)
		}
	}
}

func TestResponse(t *testing.T) {
	r := AppendResponses(nil, 2)
	one := r[:len(r)/2]
	if !bytes.HasPrefix(one, []byte("HTTP/1.1 200 OK\r\nDate: ")) || !bytes.HasSuffix(one, []byte("\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nHello")) {
		t.Errorf("response %q", one)
	}
	t.Setenv("ADDR", "127.0.0.1:1")
	if Addr() != "127.0.0.1:1" {
		t.Error("ADDR ignored")
	}
}
