package runner

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"

	"github.com/miniasync/miniasync/internal/bench/result"
)

// Target is one server to bench.
type Target struct {
	// Name names it in tables and messages.
	Name string
	// Kind says what sort of server it is.
	Kind result.Kind
	// Argv is its command line; the placeholders {addr}, {host} and
	// {port} are replaced by its listen address's parts.
	Argv []string
	// Env holds extra NAME=value entries, with the same placeholders.
	// ADDR={addr} is always added.
	Env []string
}

// expand returns argv and env with the placeholders replaced for addr.
func (t Target) expand(addr string) (argv, env []string, err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("address %q: %w", addr, err)
	}
	r := strings.NewReplacer("{addr}", addr, "{host}", host, "{port}", port)
	for _, a := range t.Argv {
		argv = append(argv, r.Replace(a))
	}
	env = append(env, "ADDR="+addr)
	for _, e := range t.Env {
		env = append(env, r.Replace(e))
	}
	return argv, env, nil
}

// ParseExternal parses an --external value, "name=command line". The
// command line is split into words as a shell would for quotes and
// backslashes, but runs without a shell: for pipes or &&, write
// "sh -c '...'" (the whole process group is measured). The server learns
// its address from the ADDR environment variable or from {addr}, {host}
// or {port} in its command line.
func ParseExternal(s string) (Target, error) {
	name, command, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return Target{}, fmt.Errorf("--external %q: want NAME=COMMAND", s)
	}
	if strings.ContainsAny(name, " \t,") {
		return Target{}, fmt.Errorf("--external %q: the name must not hold spaces or commas", s)
	}
	argv, err := SplitCommand(command)
	if err != nil {
		return Target{}, fmt.Errorf("--external %s: %w", name, err)
	}
	if len(argv) == 0 {
		return Target{}, fmt.Errorf("--external %s: empty command", name)
	}
	return Target{Name: name, Kind: result.External, Argv: argv}, nil
}

// errUnclosedQuote is SplitCommand's error for a quote left open.
var errUnclosedQuote = errors.New("unclosed quote")

// SplitCommand splits a command line into words: blanks separate words,
// single quotes keep everything literally, double quotes keep blanks and
// let a backslash escape " and \, and a backslash outside quotes escapes
// the next character.
func SplitCommand(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("%w in %q", errUnclosedQuote, s)
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("%w in %q", errUnclosedQuote, s)
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// ErrPortInUse is wrapped by the error for a --port something else holds.
var ErrPortInUse = errors.New("port in use")

// listenAddr returns the address the next server listens on: a free port
// on host when port is 0, or host:port after checking nothing holds it.
func listenAddr(host string, port int) (string, error) {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if port != 0 {
			return "", portError(addr, err)
		}
		return "", fmt.Errorf("find a free port on %s: %w", host, err)
	}
	addr = ln.Addr().String()
	if err := ln.Close(); err != nil {
		return "", fmt.Errorf("free port %s: %w", addr, err)
	}
	return addr, nil
}

// portError explains why the chosen --port at addr cannot be listened on.
func portError(addr string, err error) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("%w: %s: %w (choose another --port, or 0 for a free one)", ErrPortInUse, addr, err)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("%s: %w (ports below 1024 need root or CAP_NET_BIND_SERVICE; choose another --port, or 0 for a free one)", addr, err)
	}
	return fmt.Errorf("listen on %s: %w", addr, err)
}
