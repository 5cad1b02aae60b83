package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/miniasync/miniasync/internal/handlers"
)

// baselineCommandName is the hidden command bench runs for --baseline.
const baselineCommandName = "baseline-nethttp"

// baselineHandlers are the built-in handlers the net/http baseline mirrors;
// http-hello it serves as it is, being a net/http handler. (echo is not
// among them: net/http does not keep header order.)
var baselineHandlers = []string{"hello", "counter", handlers.HTTPHelloName}

// baselineHandles reports whether the baseline can serve handler.
func baselineHandles(handler string) bool { return slices.Contains(baselineHandlers, handler) }

func newBaselineCommand() *cobra.Command {
	var addr, handler string
	cmd := &cobra.Command{
		Use:    baselineCommandName,
		Short:  "Serve a built-in handler with Go's net/http (bench --baseline runs it)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBaseline(cmd.Context(), addr, handler)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:7878", "TCP address to listen on")
	cmd.Flags().StringVar(&handler, "handler", "hello", "handler: "+strings.Join(baselineHandlers, ", "))
	return cmd
}

// baselineHandler returns net/http's version of a built-in handler, with
// the same status, headers and body as miniasync's (net/http adds Date).
func baselineHandler(name string) (http.Handler, error) {
	switch name {
	case "hello":
		body := []byte(handlers.HelloBody)
		length := strconv.Itoa(len(body))
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			h := w.Header()
			h.Set("Content-Type", "text/plain")
			h.Set("Content-Length", length)
			_, _ = w.Write(body)
		}), nil
	case "counter":
		var mu sync.Mutex
		var n uint64
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			mu.Lock()
			n++
			v := n
			mu.Unlock()
			var buf [20]byte
			body := strconv.AppendUint(buf[:0], v, 10)
			h := w.Header()
			h.Set("Content-Type", "text/plain")
			h.Set("Content-Length", strconv.Itoa(len(body)))
			_, _ = w.Write(body)
		}), nil
	case handlers.HTTPHelloName:
		return http.HandlerFunc(handlers.HTTPHello), nil
	}
	return nil, fmt.Errorf("%s: unknown --handler %q (choose from: %s)", baselineCommandName, name, strings.Join(baselineHandlers, ", "))
}

// runBaseline serves until SIGINT or SIGTERM, then shuts down gracefully.
func runBaseline(ctx context.Context, addr, handler string) error {
	h, err := baselineHandler(handler)
	if err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s: %w", baselineCommandName, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, unix.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("%s: %w", baselineCommandName, err)
	}
	return nil
}
