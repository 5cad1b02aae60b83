package server_test

import "go.uber.org/goleak"

// leakOptions lists goroutines that outlive a server by design; backends
// with process-wide pollers add theirs here.
var leakOptions []goleak.Option
