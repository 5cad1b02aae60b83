// Command fasthttp is a hello server on valyala/fasthttp for
// "miniasync bench --external". It listens on $ADDR (default
// 127.0.0.1:8080).
package main

import (
	"log"

	"github.com/valyala/fasthttp"

	"github.com/miniasync/miniasync/bench/peers/internal/hello"
)

func main() {
	body := []byte(hello.Body)
	srv := &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) {
			ctx.SetContentType("text/plain")
			ctx.SetBody(body)
		},
		NoDefaultServerHeader: true,
	}
	if err := srv.ListenAndServe(hello.Addr()); err != nil {
		log.Fatal(err)
	}
}
