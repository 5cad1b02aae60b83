//go:build !linux

package netpoll

// StartPollers does nothing where the backend is not registered (see the
// Linux version).
func StartPollers() {}
