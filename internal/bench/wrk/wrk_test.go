package wrk

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"
)

const sample = `Running 3s test @ http://127.0.0.1:8080/
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   592.59us  237.77us   6.71ms   82.85%
    Req/Sec    54.30k     3.27k   60.50k    71.67%
  Latency Distribution
     50%  551.00us
     75%  667.00us
     90%  826.00us
     99%    1.42ms
  324138 requests in 3.00s, 38.02MB read
  Socket errors: connect 1, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 12
Requests/sec: 108019.69
Transfer/sec:     12.67MB
`

func TestParse(t *testing.T) {
	res, err := Parse(sample)
	if err != nil {
		t.Fatal(err)
	}
	want := Result{Requests: 324138, RequestsPerSec: 108019.69, P50: 551, P90: 826, P99: 1420, Max: 6710, Errors: 6, Non2xx: 12}
	if *res != want {
		t.Errorf("got %+v\nwant %+v", *res, want)
	}
	if _, err := Parse("wrk: unknown option\n"); !errors.Is(err, ErrFormat) {
		t.Errorf("garbage: err %v", err)
	}
}

func TestParseLatency(t *testing.T) {
	for in, want := range map[string]float64{"12.5us": 12.5, "1.42ms": 1420, "2.00s": 2e6, "1.00m": 60e6} {
		got, err := ParseLatency(in)
		if err != nil || got != want {
			t.Errorf("%q: got %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "12", "xms"} {
		if _, err := ParseLatency(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestScript(t *testing.T) {
	if s := Script("GET", 0, 1); s != "" {
		t.Errorf("plain GET needs no script, got %q", s)
	}
	s := Script("POST", 10, 16)
	for _, want := range []string{`wrk.format("POST", nil, nil, string.rep("x", 10))`, "string.rep(one, 16)", "function request()"} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	if Seconds(300*time.Millisecond) != 1 || Seconds(3*time.Second) != 3 || Seconds(3100*time.Millisecond) != 4 {
		t.Error("Seconds rounds wrong")
	}
}

// TestRunWrk runs the real wrk for a second when it is installed.
func TestRunWrk(t *testing.T) {
	bin, err := exec.LookPath("wrk")
	if err != nil {
		t.Skip("wrk is not installed")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("Hello"))
	}))
	defer srv.Close()
	res, err := Run(context.Background(), Config{
		Binary: bin, URL: srv.URL + "/", Conns: 2, Threads: 1, Pipeline: 2, Duration: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || res.RequestsPerSec <= 0 || res.Threads != 1 || res.Seconds != 1 {
		t.Errorf("result %+v", res)
	}
}

// TestRunFailsQuietly: a wrk that fails without a word on stderr gives an
// error that ends with the exit status, not a stray ": ".
func TestRunFailsQuietly(t *testing.T) {
	bin, err := exec.LookPath("false")
	if err != nil {
		t.Skip("no false")
	}
	_, err = Run(context.Background(), Config{Binary: bin, URL: "http://127.0.0.1:1/", Conns: 1, Duration: time.Second})
	if err == nil || !strings.HasSuffix(err.Error(), "exit status 1") {
		t.Errorf("error %q, want it to end with the exit status", err)
	}
}
