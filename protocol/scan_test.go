package protocol

import "testing"

// TestScanValueExhaustive checks the eight-bytes-at-a-time value scanner
// against the table for every byte value at every position.
func TestScanValueExhaustive(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 19; pos++ {
			b := []byte("Abcdefgh-Xy\tQwer\x80\xffz")
			b[pos] = byte(c)
			for start := 0; start < 4; start++ {
				want := start
				for want < len(b) && valueTable[b[want]] {
					want++
				}
				if got := scanValue(b, start, len(b)); got != want {
					t.Fatalf("c=%#x pos=%d start=%d: got %d, want %d", c, pos, start, got, want)
				}
			}
		}
	}
}

// TestValidHostEveryByteEveryPosition checks the four-bytes-a-step host
// scanner against a byte-at-a-time reference for every byte value at every
// position of hosts with and without a port and a pct-encoding.
func TestValidHostEveryByteEveryPosition(t *testing.T) {
	// reference is RFC 3986's reg-name [ ":" port ], one byte at a time.
	reference := func(h []byte) bool {
		i := 0
		for i < len(h) {
			switch {
			case regNameTable[h[i]]:
				i++
			case h[i] == '%' && i+2 < len(h) && isHex(h[i+1]) && isHex(h[i+2]):
				i += 3
			case h[i] == ':':
				for _, c := range h[i+1:] {
					if c < '0' || c > '9' {
						return false
					}
				}
				return true
			default:
				return false
			}
		}
		return true
	}
	for _, host := range []string{"www.example.com", "127.0.0.1:7878", "ab%41cdefg.h:80", "a", "abcdefgh"} {
		for c := 0; c < 256; c++ {
			for pos := range len(host) {
				b := []byte(host)
				b[pos] = byte(c)
				if got, want := validHost(b), reference(b); got != want {
					t.Fatalf("%q: got %v, want %v", b, got, want)
				}
			}
		}
	}
}
