// Package runner runs a bench plan: for each server, a child process on
// a free loopback port, then, for each load point, a warmup and a measured
// run of the built-in load generator while the server's CPU time and peak
// memory are read from /proc, and optionally the same load from wrk. The
// server is stopped and reaped before the next one starts, and on every
// error or cancellation. With several rounds the whole list of servers
// runs again, each in a fresh process, so slow drift on a noisy machine
// falls on every server alike.
package runner
