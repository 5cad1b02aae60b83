// Package child runs a server under test as a child process: it starts it
// in a process group of its own, keeps the tail of its output for error
// messages, waits until it accepts connections, and stops it with SIGTERM,
// then SIGKILL after a grace period, always reaping it. On Linux the child
// also gets SIGKILL if the bench process dies without cleaning up.
package child
