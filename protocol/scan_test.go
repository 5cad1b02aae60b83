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
