package server_test

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/miniasync/miniasync/internal/suite"
	"github.com/miniasync/miniasync/poller"
	"github.com/miniasync/miniasync/protocol"
	"github.com/miniasync/miniasync/server"
)

// TestPipelinedBatchOutlivesIdleTimeout: a pipelined batch that takes
// several turns (MaxPipelined) is answered whole even when answering it
// takes longer than IdleTimeout: the deadline of a connection handed back
// with requests still buffered is a write's, not the idle one left from
// before the batch arrived.
func TestPipelinedBatchOutlivesIdleTimeout(t *testing.T) {
	for _, inline := range []bool{false, true} {
		t.Run(fmt.Sprintf("inline=%v", inline), func(t *testing.T) {
			h := server.HandlerFunc(func(_ *protocol.Request, res *protocol.Response) {
				time.Sleep(25 * time.Millisecond)
				res.BodyString("ok")
			})
			cfg := server.Config{Workers: 2, MaxPipelined: 1, IdleTimeout: 200 * time.Millisecond}
			_, addr := suite.Start(t, suite.Target{Backend: poller.Default(), Inline: inline}, cfg, h)
			c := suite.Dial(t, addr)
			const n = 20 // 500 ms of handlers
			io.WriteString(c, strings.Repeat("GET / HTTP/1.1\r\nHost: x\r\n\r\n", n))
			r := bufio.NewReader(c)
			for i := range n {
				res, err := suite.ReadResponse(r, false)
				if err != nil || string(res.Body) != "ok" {
					t.Fatalf("response %d of %d: %v %+v", i+1, n, err, res)
				}
			}
		})
	}
}
