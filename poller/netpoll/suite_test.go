//go:build linux

package netpoll_test

import (
	"os"
	"os/exec"
	"testing"

	"go.uber.org/goleak"

	"github.com/miniasync/miniasync/internal/suite"
	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/poller/netpoll"
)

// netpoll's pollers are process-wide: they start with the first Open and
// outlive every Poller (see the package doc). Nothing else may be left.
var leakOptions = []goleak.Option{
	goleak.IgnoreAnyFunction("github.com/cloudwego/netpoll.(*defaultPoll).Wait"),
}

// runnerEnv, set to "go", makes the test binary apply that
// process-wide netpoll.Runner before its tests (see TestSuiteOtherRunners).
const runnerEnv = "MINIASYNC_NETPOLL_TEST_RUNNER"

func TestMain(m *testing.M) {
	suite.RunChildIfAsked()
	if r := os.Getenv(runnerEnv); r != "" {
		runner := map[string]netpoll.Runner{"go": netpoll.RunnerGo}[r]
		p, err := netpoll.Open(poller.Options{Addr: "127.0.0.1:0", Backend: netpoll.Config{Runner: runner}})
		if err != nil {
			panic(err)
		}
		_ = p.Close()
	}
	// Start the process-wide pollers before the suite counts descriptors.
	netpoll.StartPollers()
	goleak.VerifyTestMain(m, leakOptions...)
}

// TestSuiteOtherRunners runs the suite in a child process whose netpoll runs
// the callbacks on plain goroutines.
func TestSuiteOtherRunners(t *testing.T) {
	if os.Getenv(runnerEnv) != "" {
		t.Skip("already a child")
	}
	if testing.Short() {
		t.Skip("runs the suite twice more")
	}
	for _, r := range []string{"go"} {
		t.Run(r, func(t *testing.T) {
			// One retry: once, under a loaded CI machine, this child
			// reported two descriptors still open 3 s after its servers
			// had shut down, which no isolated run has reproduced. A
			// second failure fails the test; the first is logged.
			for attempt := 1; ; attempt++ {
				cmd := exec.Command(os.Args[0], "-test.run=^TestSuite$", "-test.count=1")
				cmd.Env = append(os.Environ(), runnerEnv+"="+r)
				out, err := cmd.CombinedOutput()
				if err == nil {
					break
				}
				if attempt == 2 {
					t.Fatalf("suite with runner %s failed twice: %v\n%s", r, err, out)
				}
				t.Logf("suite with runner %s, attempt 1: %v (retrying once)\n%s", r, err, out)
			}
		})
	}
}

// TestSuite runs the backend-independent integration suite on netpoll.
func TestSuite(t *testing.T) { suite.Run(t, netpoll.Name) }

// TestSuiteInline runs the suite with handlers on the event loop, where
// Conn.Write must not block the loop itself.
func TestSuiteInline(t *testing.T) {
	suite.RunTarget(t, suite.Target{Backend: netpoll.Name, Inline: true})
}

// TestRobustness runs the hostile-client battery on netpoll.
func TestRobustness(t *testing.T) { suite.RunRobustness(t, netpoll.Name) }
