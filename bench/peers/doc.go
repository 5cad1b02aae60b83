// Package peers holds small hello servers built on other Go HTTP stacks,
// for "miniasync bench --external": fasthttp, gnet, nbio (nbhttp), bare
// cloudwego/netpoll and net/http. Each answers every request with the
// same bytes as miniasync's hello handler (200, Date, Content-Type:
// text/plain, Content-Length: 5, "Hello"), keeps connections alive, and
// listens on the address in the ADDR environment variable (default
// 127.0.0.1:8080).
//
// It is a module of its own so that the main module's go.mod stays lean.
// Build them all with:
//
//	cd bench/peers && go build -o ../../bench-results/bin/ ./...
package peers
