//go:build linux

package netpoll

import (
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/miniasync/miniasync/poller"
)

// TestNetpollLinesGoToZap: what netpoll logs reaches the logger of the
// poller opened last, a peer's reset at debug level and the rest as
// warnings, instead of netpoll's own lines on stderr.
func TestNetpollLinesGoToZap(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	p, err := Open(poller.Options{Addr: "127.0.0.1:0", Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	w := logWriter{}
	for _, line := range []string{
		"2026/11/24 17:00:00 NETPOLL: readall(fd=9)=0 before close: connection reset by peer\n",
		"2026/11/24 17:00:00 NETPOLL: accept conn failed: too many open files\n",
	} {
		if n, err := w.Write([]byte(line)); n != len(line) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	got := logs.AllUntimed()
	if len(got) != 2 ||
		got[0].Level != zapcore.DebugLevel || got[0].Message != "netpoll: readall(fd=9)=0 before close: connection reset by peer" ||
		got[1].Level != zapcore.WarnLevel || got[1].Message != "netpoll: accept conn failed: too many open files" {
		t.Fatalf("zap entries: %+v", got)
	}
}
