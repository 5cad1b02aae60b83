package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"

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
