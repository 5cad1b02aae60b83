package cpupin

import (
	"os/exec"
	"runtime"
	"slices"
	"testing"
)

func TestParse(t *testing.T) {
	all := []int{0, 1, 2, 3}
	tests := []struct {
		spec         string
		server, load []int
		wantErr      bool
	}{
		{"auto", []int{0, 1}, []int{2, 3}, false},
		{"0:1", []int{0}, []int{1}, false},
		{"0-1:2,3", []int{0, 1}, []int{2, 3}, false},
		{"0", nil, nil, true},
		{"0:0", nil, nil, true},
		{"0:9", nil, nil, true},
		{"x:1", nil, nil, true},
		{"3-1:0", nil, nil, true},
	}
	for _, tt := range tests {
		p, err := Parse(tt.spec, all)
		if tt.wantErr {
			if err == nil {
				t.Errorf("%q: no error", tt.spec)
			}
			continue
		}
		if err != nil || !slices.Equal(p.Server, tt.server) || !slices.Equal(p.Load, tt.load) {
			t.Errorf("%q: got %v, %v", tt.spec, p, err)
		}
	}
	if _, err := Parse("auto", []int{0}); err == nil {
		t.Error("auto on one CPU: no error")
	}
	if got := FormatList([]int{0, 1, 2, 3, 6, 8, 9}); got != "0-3,6,8-9" {
		t.Errorf("FormatList: %q", got)
	}
	if got := (Plan{Server: []int{0}, Load: []int{1}}).String(); got != "server 0, load 1" {
		t.Errorf("String: %q", got)
	}
}

// TestStartServer checks on Linux that a child started with StartServer
// runs on the server CPUs only. It needs two CPUs and restores this
// process's mask afterwards.
func TestStartServer(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux only")
	}
	allowed, err := Allowed()
	if err != nil {
		t.Fatal(err)
	}
	if len(allowed) < 2 {
		t.Skip("needs two CPUs")
	}
	p, err := Parse("auto", allowed)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = (Plan{Load: allowed}).PinSelf() }()
	cmd := exec.Command("sleep", "5")
	if err := p.StartServer(cmd); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	got, err := Of(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, p.Server) {
		t.Errorf("child runs on %v, want %v", got, p.Server)
	}
	self, err := Of(0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(self, p.Load) {
		t.Errorf("this thread runs on %v, want %v", self, p.Load)
	}
}
