// Command nbio is a hello server on lesismal/nbio's nbhttp for
// "miniasync bench --external". It listens on $ADDR (default
// 127.0.0.1:8080) and stops on SIGINT or SIGTERM.
package main

import (
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/lesismal/nbio/nbhttp"

	"github.com/miniasync/miniasync/bench/peers/internal/hello"
)

func main() {
	body := []byte(hello.Body)
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "5")
		_, _ = w.Write(body)
	})
	engine := nbhttp.NewEngine(nbhttp.Config{
		Network: "tcp",
		Addrs:   []string{hello.Addr()},
		Handler: h,
	})
	if err := engine.Start(); err != nil {
		log.Fatal(err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	engine.Stop()
}
