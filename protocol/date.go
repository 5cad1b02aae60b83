package protocol

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"
)

// dateLen is the length of an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT".
const dateLen = 29

// dateCache holds the formatted Date of one second. Readers use a seqlock
// over atomic words: no allocation, no lock on the fast path, and no data
// race (every shared access is atomic). Writers serialize on mu.
var dateCache struct {
	mu   sync.Mutex
	seq  atomic.Uint64 // odd while a writer updates; 0 before the first update
	sec  atomic.Int64  // Unix second the words describe
	word [4]atomic.Uint64
}

// AppendDate appends the current time as an IMF-fixdate (RFC 9110 §5.6.7),
// e.g. "Sun, 06 Nov 1994 08:49:37 GMT". The text is recomputed at most once
// per second; AppendDate is safe for concurrent use and does not allocate.
func AppendDate(dst []byte) []byte { return AppendDateAt(dst, time.Now().Unix()) }

// AppendDateAt appends the Unix second now as an IMF-fixdate, like
// AppendDate, for a caller that has read the clock already (a server that
// builds several responses at once reads it once for all of them). It
// shares AppendDate's cache and is as safe for concurrent use.
func AppendDateAt(dst []byte, now int64) []byte {
	c := &dateCache
	if s := c.seq.Load(); s != 0 && s&1 == 0 {
		// A cached second equal to now, or one ahead (another goroutine
		// read the clock a moment later), is current enough.
		if sec := c.sec.Load(); sec == now || sec == now+1 {
			w0, w1, w2, w3 := c.word[0].Load(), c.word[1].Load(), c.word[2].Load(), c.word[3].Load()
			if c.seq.Load() == s {
				return appendDateWords(dst, w0, w1, w2, w3)
			}
		}
	}
	c.mu.Lock()
	if sec := c.sec.Load(); c.seq.Load() == 0 || (sec != now && sec != now+1) {
		var b [32]byte
		formatDate(b[:0], now)
		c.seq.Add(1)
		c.sec.Store(now)
		for i := range c.word {
			c.word[i].Store(binary.LittleEndian.Uint64(b[8*i:]))
		}
		c.seq.Add(1)
	}
	w0, w1, w2, w3 := c.word[0].Load(), c.word[1].Load(), c.word[2].Load(), c.word[3].Load()
	c.mu.Unlock()
	return appendDateWords(dst, w0, w1, w2, w3)
}

func appendDateWords(dst []byte, w0, w1, w2, w3 uint64) []byte {
	var b [32]byte
	binary.LittleEndian.PutUint64(b[0:], w0)
	binary.LittleEndian.PutUint64(b[8:], w1)
	binary.LittleEndian.PutUint64(b[16:], w2)
	binary.LittleEndian.PutUint64(b[24:], w3)
	return append(dst, b[:dateLen]...)
}

const (
	dayNames   = "SunMonTueWedThuFriSat"
	monthNames = "JanFebMarAprMayJunJulAugSepOctNovDec"
)

// formatDate appends the IMF-fixdate of the Unix second sec.
func formatDate(dst []byte, sec int64) []byte {
	t := time.Unix(sec, 0).UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	wd := int(t.Weekday())
	dst = append(dst, dayNames[3*wd:3*wd+3]...)
	dst = append(dst, ',', ' ', byte('0'+d/10), byte('0'+d%10), ' ')
	dst = append(dst, monthNames[3*(mo-1):3*mo]...)
	dst = append(dst, ' ', byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), ' ')
	dst = append(dst, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+s/10), byte('0'+s%10))
	return append(dst, " GMT"...)
}
