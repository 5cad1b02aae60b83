package procstat

import (
	"encoding/binary"
	"os"
	"strconv"
	"sync"
)

// atClkTck is the auxiliary vector's key for the clock tick rate
// (AT_CLKTCK in <elf.h>), the value sysconf(_SC_CLK_TCK) returns.
const atClkTck = 17

// DefaultClockTicks is the tick rate assumed when the auxiliary vector
// cannot be read: 100 Hz, Linux's USER_HZ on every common architecture.
const DefaultClockTicks = 100

var ticks = sync.OnceValue(func() int64 {
	data, err := os.ReadFile("/proc/self/auxv")
	if err != nil {
		return DefaultClockTicks
	}
	if hz, ok := parseAuxvClockTicks(data, strconv.IntSize/8); ok {
		return hz
	}
	return DefaultClockTicks
})

// ClockTicks returns how many clock ticks make a second in /proc/PID/stat's
// CPU times. Without cgo there is no sysconf, so it reads the kernel's
// AT_CLKTCK from /proc/self/auxv, and falls back on DefaultClockTicks.
func ClockTicks() int64 { return ticks() }

// parseAuxvClockTicks finds AT_CLKTCK in an auxiliary vector of
// native-endian (key, value) words of wordSize bytes.
func parseAuxvClockTicks(data []byte, wordSize int) (int64, bool) {
	for len(data) >= 2*wordSize {
		var key, val uint64
		if wordSize == 8 {
			key, val = binary.NativeEndian.Uint64(data), binary.NativeEndian.Uint64(data[8:])
		} else {
			key, val = uint64(binary.NativeEndian.Uint32(data)), uint64(binary.NativeEndian.Uint32(data[4:]))
		}
		data = data[2*wordSize:]
		switch {
		case key == 0: // AT_NULL ends the vector
			return 0, false
		case key == atClkTck && val > 0 && val < 1<<20:
			return int64(val), true
		}
	}
	return 0, false
}
