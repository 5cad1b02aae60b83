package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/miniasync/miniasync/protocol"
	"github.com/miniasync/miniasync/server"
)

// exampleClient opens a connection per request, so nothing of it outlives
// an example.
var exampleClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// get fetches a URL and returns its body, for the examples.
func get(url string) string {
	res, err := exampleClient.Get(url)
	if err != nil {
		return err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// The first example from the original server: 3 workers answering "Hello"
// as text/plain. A real program listens on "0.0.0.0:7878" and calls
// ListenAndServe; the example takes a free loopback port so it can run as a
// test.
func Example_hello() {
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", Workers: 3},
		server.HandlerFunc(func(req *protocol.Request, res *protocol.Response) {
			res.Status(200).ContentType("text/plain").BodyString("Hello")
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := srv.Listen(); err != nil {
		fmt.Println(err)
		return
	}
	go srv.Serve()
	defer srv.Shutdown(context.Background())

	fmt.Println(get("http://" + srv.Addr().String() + "/"))
	// Output: Hello
}

// The second example from the original server: a counter shared by every
// worker behind a mutex.
func Example_counter() {
	var (
		mu    sync.Mutex
		count int
	)
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", Workers: 3},
		server.HandlerFunc(func(req *protocol.Request, res *protocol.Response) {
			mu.Lock()
			count++
			n := count
			mu.Unlock()
			res.Status(200).ContentType("text/plain").BodyString(strconv.Itoa(n))
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := srv.Listen(); err != nil {
		fmt.Println(err)
		return
	}
	go srv.Serve()
	defer srv.Shutdown(context.Background())

	url := "http://" + srv.Addr().String() + "/"
	fmt.Println(get(url), get(url), get(url))
	// Output: 1 2 3
}

// Any net/http handler runs unchanged through HTTPHandler: here a Go 1.22
// pattern mux with a method, a wildcard and a middleware around it.
func Example_httpHandler() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "item %s", r.PathValue("id"))
	})
	logged := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Served-By", "miniasync")
		mux.ServeHTTP(w, r)
	})
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0"}, server.HTTPHandler(logged))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := srv.Listen(); err != nil {
		fmt.Println(err)
		return
	}
	go srv.Serve()
	defer srv.Shutdown(context.Background())

	res, err := exampleClient.Get("http://" + srv.Addr().String() + "/items/42")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	fmt.Println(res.Status, res.Header.Get("X-Served-By"), string(body))
	// Output: 200 OK miniasync item 42
}

// A streaming response: each Flush sends what was written so far as a
// chunk while the handler goes on, for progress output or server-sent
// events.
func Example_streaming() {
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0"},
		server.HandlerFunc(func(req *protocol.Request, res *protocol.Response) {
			res.ContentType("text/plain")
			for i := 1; i <= 3; i++ {
				fmt.Fprintf(res, "step %d\n", i)
				if err := res.Flush(); err != nil {
					return // the client went away
				}
			}
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := srv.Listen(); err != nil {
		fmt.Println(err)
		return
	}
	go srv.Serve()
	defer srv.Shutdown(context.Background())

	res, err := exampleClient.Get("http://" + srv.Addr().String() + "/")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Body.Close()
	fmt.Println(res.TransferEncoding)
	lines := bufio.NewScanner(res.Body)
	for lines.Scan() {
		fmt.Println(lines.Text())
	}
	// Output:
	// [chunked]
	// step 1
	// step 2
	// step 3
}

// An upload read as it arrives: with StreamBodies the handler runs once the
// header section is in, and reads the body piece by piece, so its size is
// bounded by Limits.MaxBodySize, not by memory.
func Example_uploadStream() {
	cfg := server.Config{Addr: "127.0.0.1:0", StreamBodies: true, Limits: protocol.Limits{MaxBodySize: 1 << 30}}
	srv, err := server.New(cfg, server.HandlerFunc(func(req *protocol.Request, res *protocol.Response) {
		n, err := io.Copy(io.Discard, req.BodyReader())
		if err != nil {
			res.Status(400).BodyString(err.Error())
			return
		}
		fmt.Fprintf(res, "received %d bytes", n)
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := srv.Listen(); err != nil {
		fmt.Println(err)
		return
	}
	go srv.Serve()
	defer srv.Shutdown(context.Background())

	upload := io.LimitReader(zeros{}, 64<<20) // 64 MiB, never in memory at once
	res, err := exampleClient.Post("http://"+srv.Addr().String()+"/upload", "application/octet-stream", upload)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	fmt.Println(string(body))
	// Output: received 67108864 bytes
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// Graceful shutdown on SIGINT or SIGTERM: stop accepting, let requests in
// flight finish for up to 10 seconds, then close what is left. The example
// sends the signal to itself.
func Example_gracefulShutdown() {
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0"},
		server.HandlerFunc(func(req *protocol.Request, res *protocol.Response) {
			res.BodyString("Hello")
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := srv.Listen(); err != nil {
		fmt.Println(err)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()

	fmt.Println(get("http://" + srv.Addr().String() + "/"))
	syscall.Kill(syscall.Getpid(), syscall.SIGTERM) // as a supervisor would

	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		fmt.Println("forced:", err)
	}
	fmt.Println(<-served)
	// Output:
	// Hello
	// server: closed
}
