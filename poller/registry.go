package poller

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"go.uber.org/zap"
)

// Options configures a Poller when a Backend opens one.
type Options struct {
	// Addr is the TCP address to listen on, such as "0.0.0.0:7878" or
	// "127.0.0.1:0".
	Addr string
	// Logger receives the backend's rare diagnostics (never one line per
	// event). Nil means no logging.
	Logger *zap.Logger
	// Inline promises that the goroutine calling Wait handles every event
	// itself, and hands the connection back (Arm or Close) before it calls
	// Wait again: every call on a Conn comes from that goroutine. A backend
	// may then keep registrations armed between events (level-triggered
	// instead of one-shot), which makes an Arm that does not change the
	// interest free, or take owners' requests and buffers without locks.
	// Backends may ignore it.
	Inline bool
	// MaxRequest is the largest request, in bytes, the owner takes in
	// whole before answering it: request line, header sections and a
	// buffered body. A backend that cannot stop reading a connection lets
	// this much input wait while the owner is busy, so one such request
	// arriving faster than the owner takes it is not cut off; backends
	// that can stop reading ignore it. 0: none.
	MaxRequest int
	// Backend holds settings of the backend's own type (for example
	// netpoll.Config); nil selects that backend's defaults. A backend
	// given settings of another type returns an error.
	Backend any
}

// Log returns the logger a backend should use: Options.Logger, or a no-op
// logger when that is nil.
func (o Options) Log() *zap.Logger {
	if o.Logger == nil {
		return zap.NewNop()
	}
	return o.Logger
}

// Backend describes one registered poller implementation.
type Backend struct {
	// Name selects the backend, as in --backend NAME.
	Name string
	// Summary is a one-line description for help texts.
	Summary string
	// Priority orders the default choice: the available backend with the
	// highest priority is the default.
	Priority int
	// Available reports why the backend cannot run on this machine, or
	// nil when it can. Nil means always available.
	Available func() error
	// Open starts a Poller listening on o.Addr.
	Open func(o Options) (Poller, error)
}

var (
	registryMu sync.RWMutex
	registry   = map[string]Backend{}
)

// Register makes a backend selectable by name. Backends call it from an
// init function; registering a name twice or an incomplete Backend returns
// an error and changes nothing.
func Register(b Backend) error {
	if b.Name == "" || b.Open == nil {
		return fmt.Errorf("poller: register %q: name and Open are required", b.Name)
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[b.Name]; dup {
		return fmt.Errorf("poller: register %q: already registered", b.Name)
	}
	registry[b.Name] = b
	return nil
}

// MustRegister is Register for init functions of backends compiled into
// this module, where a failure is a programming error caught by any test.
func MustRegister(b Backend) {
	if err := Register(b); err != nil {
		panic(err)
	}
}

// Backends returns every registered backend, available here or not, sorted
// by descending priority and then by name.
func Backends() []Backend {
	registryMu.RLock()
	out := make([]Backend, 0, len(registry))
	for _, b := range registry {
		out = append(out, b)
	}
	registryMu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Priority != out[j].Priority {
			return out[i].Priority > out[j].Priority
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Available returns the names of the backends that can run on this machine,
// the default first.
func Available() []string {
	var names []string
	for _, b := range Backends() {
		if b.Available == nil || b.Available() == nil {
			names = append(names, b.Name)
		}
	}
	return names
}

// Default returns the name of the preferred available backend, or "" when
// none is available.
func Default() string {
	if names := Available(); len(names) > 0 {
		return names[0]
	}
	return ""
}

// Lookup returns the backend with the given name. An unknown name yields an
// error wrapping ErrUnknownBackend that lists the available backends; a known
// backend that cannot run here yields one wrapping ErrUnavailable with the
// reason.
func Lookup(name string) (Backend, error) {
	registryMu.RLock()
	b, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		return Backend{}, fmt.Errorf("%w %q (available: %s)", ErrUnknownBackend, name, strings.Join(Available(), ", "))
	}
	if b.Available != nil {
		if err := b.Available(); err != nil {
			return Backend{}, fmt.Errorf("%w: %s: %w", ErrUnavailable, name, err)
		}
	}
	return b, nil
}

// Open looks up the named backend and opens a Poller with it. An empty name
// selects Default().
func Open(name string, o Options) (Poller, error) {
	if name == "" {
		name = Default()
	}
	b, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	p, err := b.Open(o)
	if err != nil {
		return nil, fmt.Errorf("poller: open %s on %s: %w", name, o.Addr, err)
	}
	return p, nil
}
