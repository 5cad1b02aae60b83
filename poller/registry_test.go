package poller

import (
	"errors"
	"strings"
	"testing"
)

// withRegistry runs f against an empty registry and restores the real one.
func withRegistry(t *testing.T, f func()) {
	t.Helper()
	registryMu.Lock()
	saved := registry
	registry = map[string]Backend{}
	registryMu.Unlock()
	defer func() {
		registryMu.Lock()
		registry = saved
		registryMu.Unlock()
	}()
	f()
}

func TestRegistry(t *testing.T) {
	withRegistry(t, func() {
		open := func(Options) (Poller, error) { return nil, errors.New("test backend opens nothing") }
		missing := errors.New("kernel too old")
		for _, b := range []Backend{
			{Name: "fast", Priority: 10, Open: open},
			{Name: "slow", Priority: 1, Open: open},
			{Name: "future", Priority: 100, Open: open, Available: func() error { return missing }},
		} {
			if err := Register(b); err != nil {
				t.Fatal(err)
			}
		}
		if err := Register(Backend{Name: "fast", Open: open}); err == nil {
			t.Error("duplicate name registered")
		}
		if err := Register(Backend{Name: "noopen"}); err == nil {
			t.Error("backend without Open registered")
		}
		if got := strings.Join(Available(), ","); got != "fast,slow" {
			t.Errorf("Available() = %s, want fast,slow (unavailable left out, by priority)", got)
		}
		if Default() != "fast" {
			t.Errorf("Default() = %q, want fast", Default())
		}
		_, err := Lookup("nope")
		if !errors.Is(err, ErrUnknownBackend) || !strings.Contains(err.Error(), "fast, slow") {
			t.Errorf("Lookup(nope) = %v, want ErrUnknownBackend listing fast, slow", err)
		}
		_, err = Lookup("future")
		if !errors.Is(err, ErrUnavailable) || !errors.Is(err, missing) {
			t.Errorf("Lookup(future) = %v, want ErrUnavailable wrapping the reason", err)
		}
		if _, err := Open("", Options{Addr: "x"}); err == nil || !strings.Contains(err.Error(), "open fast on x") {
			t.Errorf("Open with the default backend: %v", err)
		}
	})
}

func TestStrings(t *testing.T) {
	if Readable.String() != "readable" || (Readable|Writable).String() != "readable|writable" || Interest(0).String() != "none" {
		t.Error("Interest.String")
	}
	if EventClosed.String() != "closed" || EventKind(0).String() != "unknown" {
		t.Error("EventKind.String")
	}
}
