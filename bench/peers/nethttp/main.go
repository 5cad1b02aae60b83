// Command nethttp is a hello server on Go's net/http for
// "miniasync bench --external". It listens on $ADDR (default
// 127.0.0.1:8080).
package main

import (
	"log"
	"net/http"

	"github.com/miniasync/miniasync/bench/peers/internal/hello"
)

func main() {
	body := []byte(hello.Body)
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "5")
		_, _ = w.Write(body)
	})
	log.Fatal(http.ListenAndServe(hello.Addr(), h))
}
