// Command hello is the first example users know from the original server:
// 3 workers on 0.0.0.0:7878 answering "Hello" as text/plain.
package main

import (
	"log"

	"github.com/miniasync/miniasync/protocol"
	"github.com/miniasync/miniasync/server"
)

func main() {
	srv, err := server.New(server.Config{Addr: "0.0.0.0:7878", Workers: 3},
		server.HandlerFunc(func(req *protocol.Request, res *protocol.Response) {
			res.Status(200).ContentType("text/plain").BodyString("Hello")
		}))
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(srv.ListenAndServe())
}
