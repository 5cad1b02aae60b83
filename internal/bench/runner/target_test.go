package runner

import (
	"errors"
	"slices"
	"strings"
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
