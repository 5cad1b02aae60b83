// Command counter is the second example users know from the original
// server: a request counter shared by every worker behind a mutex.
package main

import (
	"log"
	"strconv"
	"sync"

	"github.com/miniasync/miniasync/protocol"
	"github.com/miniasync/miniasync/server"
)

func main() {
	var (
		mu    sync.Mutex
		count int
	)
	srv, err := server.New(server.Config{Addr: "0.0.0.0:7878", Workers: 3},
		server.HandlerFunc(func(req *protocol.Request, res *protocol.Response) {
			mu.Lock()
			count++
			n := count
			mu.Unlock()
			res.Status(200).ContentType("text/plain").BodyString(strconv.Itoa(n))
		}))
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(srv.ListenAndServe())
}
