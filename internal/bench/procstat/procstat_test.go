package procstat

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		in   string
		want Stat
	}{
		{"4242 (miniasync) S 1 4242 4242 0 -1 4194560 1041 0 0 0 153 47 0 0 20 0 5 0 86533 1250000 2000 18446744073709551615\n",
			Stat{PID: 4242, Comm: "miniasync", State: 'S', PPID: 1, PGRP: 4242, UTime: 153, STime: 47}},
		{"17 (a (weird) name) R 3 9 9 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 0 0",
			Stat{PID: 17, Comm: "a (weird) name", State: 'R', PPID: 3, PGRP: 9, UTime: 1, STime: 2}},
	}
	for _, tt := range tests {
		got, err := ParseStat([]byte(tt.in))
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		if got != tt.want {
			t.Errorf("%q:\n got %+v\nwant %+v", tt.in, got, tt.want)
		}
		if got.Ticks() != tt.want.UTime+tt.want.STime {
			t.Errorf("Ticks %d", got.Ticks())
		}
	}
	for _, bad := range []string{"", "42", "x (a) S 1 2", "42 (a) S 1 2 3", "42 (a) S 1 x 3 0 -1 0 0 0 0 0 1 2", "42 (a) S 1 2 3 0 -1 0 0 0 0 0 -1 2"} {
		if _, err := ParseStat([]byte(bad)); !errors.Is(err, ErrFormat) {
			t.Errorf("%q: err %v, want ErrFormat", bad, err)
		}
	}
}

func TestParseStatus(t *testing.T) {
	in := "Name:\tminiasync\nState:\tS (sleeping)\nVmPeak:\t 1234 kB\nVmHWM:\t    8192 kB\nVmRSS:\t    4096 kB\nThreads:\t5\n"
	got, err := ParseStatus([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Status{PeakRSS: 8192 << 10, RSS: 4096 << 10}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	zombie, err := ParseStatus([]byte("Name:\tx\nState:\tZ (zombie)\n"))
	if err != nil || zombie != (Status{}) {
		t.Errorf("zombie: %+v, %v", zombie, err)
	}
	for _, bad := range []string{"VmHWM:\t12 MB\n", "VmRSS:\tlots kB\n", "VmHWM:\n"} {
		if _, err := ParseStatus([]byte(bad)); !errors.Is(err, ErrFormat) {
			t.Errorf("%q: err %v, want ErrFormat", bad, err)
		}
	}
}

func TestParseAuxvClockTicks(t *testing.T) {
	var auxv []byte
	for _, kv := range [][2]uint64{{6, 4096}, {atClkTck, 250}, {0, 0}} {
		auxv = binary.NativeEndian.AppendUint64(auxv, kv[0])
		auxv = binary.NativeEndian.AppendUint64(auxv, kv[1])
	}
	if hz, ok := parseAuxvClockTicks(auxv, 8); !ok || hz != 250 {
		t.Errorf("got %d %v, want 250", hz, ok)
	}
	if _, ok := parseAuxvClockTicks(auxv[16:16], 8); ok {
		t.Error("empty vector found a value")
	}
	if _, ok := parseAuxvClockTicks(auxv[32:], 8); ok {
		t.Error("vector with only AT_NULL found a value")
	}
}

// TestGroupSelf reads this test process's own group from the real /proc.
func TestGroupSelf(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs Linux's /proc")
	}
	if hz := ClockTicks(); hz <= 0 {
		t.Fatalf("ClockTicks %d", hz)
	}
	// Burn a little CPU so the count is above zero.
	for end := time.Now().Add(30 * time.Millisecond); time.Now().Before(end); {
	}
	u, err := Group("/proc", unix.Getpgrp())
	if err != nil {
		t.Fatal(err)
	}
	if u.Procs < 1 || u.PeakRSS <= 0 || u.CPU() <= 0 {
		t.Errorf("usage %+v (cpu %v)", u, u.CPU())
	}
	if _, err := Group("/proc", 1<<30); !errors.Is(err, ErrNoProcess) {
		t.Errorf("no such group: err %v", err)
	}
}

func TestGroupFakeProc(t *testing.T) {
	root := t.TempDir()
	write := func(pid, stat, status string) {
		dir := filepath.Join(root, pid)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		_ = os.WriteFile(filepath.Join(dir, "stat"), []byte(stat), 0o644)
		_ = os.WriteFile(filepath.Join(dir, "status"), []byte(status), 0o644)
	}
	write("10", "10 (sh) S 1 10 10 0 -1 0 0 0 0 0 5 5 0 0 20 0 1 0 1 0 0", "VmHWM:\t1000 kB\nVmRSS:\t800 kB\n")
	write("11", "11 (server) S 10 10 10 0 -1 0 0 0 0 0 100 50 0 0 20 0 1 0 1 0 0", "VmHWM:\t9000 kB\nVmRSS:\t7000 kB\n")
	write("12", "12 (other) S 1 12 12 0 -1 0 0 0 0 0 7 7 0 0 20 0 1 0 1 0 0", "VmHWM:\t5 kB\n")
	write("13", "13 (dead) Z 10 10 10 0 -1 0 0 0 0 0 7 7 0 0 20 0 1 0 1 0 0", "")
	if err := os.WriteFile(filepath.Join(root, "uptime"), []byte("1 1"), 0o644); err != nil {
		t.Fatal(err)
	}
	u, err := Group(root, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Usage{Ticks: 160, PeakRSS: 10000 << 10, RSS: 7800 << 10, Procs: 2}); u != want {
		t.Errorf("got %+v, want %+v", u, want)
	}
}
