//go:build linux

package iouring_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/miniasync/miniasync/internal/suite"
	"github.com/miniasync/miniasync/poller/iouring"
)

func TestMain(m *testing.M) {
	suite.RunChildIfAsked()
	goleak.VerifyTestMain(m)
}

// skipWithoutRing skips where the kernel lacks io_uring, with the reason.
func skipWithoutRing(t *testing.T) {
	if err := iouring.Detect(); err != nil {
		t.Skipf("io_uring unavailable here: %v", err)
	}
}

// TestSuite runs the backend-independent integration suite on io_uring.
func TestSuite(t *testing.T) {
	skipWithoutRing(t)
	suite.Run(t, iouring.Name)
}

// TestSuiteInline runs the suite with handlers on the event loop.
func TestSuiteInline(t *testing.T) {
	skipWithoutRing(t)
	suite.RunTarget(t, suite.Target{Backend: iouring.Name, Inline: true})
}

// TestRobustness runs the hostile-client battery on io_uring.
func TestRobustness(t *testing.T) {
	skipWithoutRing(t)
	suite.RunRobustness(t, iouring.Name)
}
