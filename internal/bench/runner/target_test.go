package runner

import (
	"errors"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/miniasync/miniasync/internal/bench/result"
)

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"./server", []string{"./server"}},
		{"  ./server   --addr {addr}  ", []string{"./server", "--addr", "{addr}"}},
		{`sh -c 'exec ./s --addr "$ADDR"'`, []string{"sh", "-c", `exec ./s --addr "$ADDR"`}},
		{`a "b c" "d\"e" f\ g ''`, []string{"a", "b c", `d"e`, "f g", ""}},
		{`x"y"'z'`, []string{"xyz"}},
		{"", nil},
	}
	for _, tt := range tests {
		got, err := SplitCommand(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%q: got %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{`a 'b`, `a "b`} {
		if _, err := SplitCommand(bad); !errors.Is(err, errUnclosedQuote) {
			t.Errorf("%q: err %v", bad, err)
		}
	}
}

func TestParseExternal(t *testing.T) {
	tg, err := ParseExternal("fasthttp=./bin/fasthttp -addr {addr}")
	if err != nil {
		t.Fatal(err)
	}
	if tg.Name != "fasthttp" || tg.Kind != result.External || !slices.Equal(tg.Argv, []string{"./bin/fasthttp", "-addr", "{addr}"}) {
		t.Errorf("got %+v", tg)
	}
	for _, bad := range []string{"no-equals", "=cmd", "name=", "my server=cmd", "a,b=cmd", "x='open"} {
		if _, err := ParseExternal(bad); err == nil || !strings.Contains(err.Error(), "--external") {
			t.Errorf("%q: err %v", bad, err)
		}
	}
}

func TestExpand(t *testing.T) {
	tg := Target{Argv: []string{"srv", "--listen={addr}", "-p", "{port}"}, Env: []string{"HOST={host}"}}
	argv, env, err := tg.expand("127.0.0.1:9999")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(argv, []string{"srv", "--listen=127.0.0.1:9999", "-p", "9999"}) {
		t.Errorf("argv %q", argv)
	}
	if !slices.Equal(env, []string{"ADDR=127.0.0.1:9999", "HOST=127.0.0.1"}) {
		t.Errorf("env %q", env)
	}
}

// TestPortError: only an address in use is "port in use"; a privileged
// port says permission denied and why.
func TestPortError(t *testing.T) {
	listenErr := func(errno syscall.Errno) error {
		return &net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", errno)}
	}
	inUse := portError("127.0.0.1:8080", listenErr(syscall.EADDRINUSE))
	if !errors.Is(inUse, ErrPortInUse) || !strings.Contains(inUse.Error(), "127.0.0.1:8080") {
		t.Errorf("in use: %v", inUse)
	}
	denied := portError("127.0.0.1:80", listenErr(syscall.EACCES))
	if errors.Is(denied, ErrPortInUse) || !strings.Contains(denied.Error(), "permission denied") || !strings.Contains(denied.Error(), "below 1024") {
		t.Errorf("privileged: %v", denied)
	}
	// As non-root, port 80 is usually privileged: the real error is denied.
	if _, err := listenAddr("127.0.0.1", 80); errors.Is(err, syscall.EACCES) && (errors.Is(err, ErrPortInUse) || !strings.Contains(err.Error(), "below 1024")) {
		t.Errorf("listenAddr on port 80: %v", err)
	}
}
