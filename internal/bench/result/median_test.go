package result

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// measured returns a successful run whose every metric is derived from v.
func measured(round int, v float64) Run {
	return Run{
		Server: "epoll", Kind: Backend, Command: "serve --addr :" + string(rune('0'+round)), Conns: 64, Pipeline: 16, Round: round,
		Seconds: v, Requests: int64(v * 1000), RequestsPerSec: v * 100, BytesPerSec: v * 1e4,
		Latency:          Latency{P50: v, P90: 2 * v, P99: 3 * v, P999: 4 * v, Max: 5 * v, Mean: 6 * v},
		Errors:           Errors{Connect: 1, Read: 2, Write: 3, Parse: 4},
		Non2xx:           5,
		Reconnects:       6,
		ServerCPUSeconds: v / 10, ServerCPUKnown: true, RequestsPerCPUSec: v * 7,
		PeakRSSBytes: int64(v) << 20, ClientCPUSeconds: v / 20,
	}
}

func TestMedianOdd(t *testing.T) {
	// The values are out of order, and each metric ranks them the same,
	// so every median comes from the run with v=3.
	m := Median([]Run{measured(1, 5), measured(2, 1), measured(3, 3)})
	want := measured(2, 3)
	want.Command = measured(1, 5).Command
	want.Round, want.Rounds = 0, 3
	want.Errors = Errors{Connect: 3, Read: 6, Write: 9, Parse: 12}
	want.Non2xx, want.Reconnects = 15, 18
	want.RequestsPerCPUSecSpread = (35.0 - 7) / 21 // req/CPU-s 35, 7 and 21
	if m != want {
		t.Errorf("median\n got  %+v\n want %+v", m, want)
	}
}

func TestMedianOfEachMetricAlone(t *testing.T) {
	a, b, c := measured(1, 1), measured(2, 2), measured(3, 3)
	// Ranked differently per metric: the median of each is its own.
	a.RequestsPerSec, b.RequestsPerSec, c.RequestsPerSec = 900, 100, 500
	a.Latency.P99, b.Latency.P99, c.Latency.P99 = 10, 30, 20
	m := Median([]Run{a, b, c})
	if m.RequestsPerSec != 500 || m.Latency.P99 != 20 || m.Seconds != 2 {
		t.Errorf("median %+v", m)
	}
}

func TestMedianEven(t *testing.T) {
	m := Median([]Run{measured(1, 4), measured(2, 1), measured(3, 2), measured(4, 8)})
	// Middle values 2 and 4: their mean, 3.
	if m.Rounds != 4 || m.FailedRounds != 0 || m.Seconds != 3 || m.RequestsPerSec != 300 || m.Requests != 3000 ||
		m.Latency.P999 != 12 || m.RequestsPerCPUSec != 21 || m.PeakRSSBytes != 3<<20 || math.Abs(m.ClientCPUSeconds-0.15) > 1e-12 {
		t.Errorf("median %+v", m)
	}
	if m.Errors.Total() != 4*10 || m.Non2xx != 20 {
		t.Errorf("errors %+v, non-2xx %d: want sums", m.Errors, m.Non2xx)
	}
	if two := Median([]Run{measured(1, 1), measured(2, 2)}); two.RequestsPerSec != 150 || two.Latency.P50 != 1.5 {
		t.Errorf("median of two %+v", two)
	}
}

func TestMedianLeavesOutFailedRuns(t *testing.T) {
	failed := Run{Server: "epoll", Kind: Backend, Conns: 64, Pipeline: 16, Round: 1, Error: "server exited",
		Errors: Errors{Connect: 100}, RequestsPerSec: 1}
	m := Median([]Run{failed, measured(2, 1), measured(3, 9)})
	if m.Error != "" || m.Rounds != 3 || m.FailedRounds != 1 {
		t.Fatalf("median %+v", m)
	}
	if m.RequestsPerSec != 500 || m.Errors.Connect != 2 || m.Command != measured(2, 1).Command {
		t.Errorf("the failed run counted: %+v", m)
	}

	all := Median([]Run{failed, {Server: "epoll", Error: "second"}})
	if all.Error != "server exited" || all.Rounds != 2 || all.FailedRounds != 2 || all.Round != 0 {
		t.Errorf("all failed: %+v", all)
	}
	if z := Median(nil); z != (Run{}) {
		t.Errorf("median of none: %+v", z)
	}
}

func TestMedianServerFiguresWhereKnown(t *testing.T) {
	unknown := measured(1, 100)
	unknown.ServerCPUKnown, unknown.ServerCPUSeconds, unknown.RequestsPerCPUSec, unknown.PeakRSSBytes = false, 0, 0, 0
	m := Median([]Run{unknown, measured(2, 2), measured(3, 4)})
	if !m.ServerCPUKnown || m.RequestsPerCPUSec != 21 || m.PeakRSSBytes != 3<<20 {
		t.Errorf("median %+v", m)
	}
	// The spread is over the known rounds alone: 14 and 28 around 21.
	if want := 14.0 / 21; math.Abs(m.RequestsPerCPUSecSpread-want) > 1e-12 {
		t.Errorf("spread %v, want %v", m.RequestsPerCPUSecSpread, want)
	}
	if one := Median([]Run{unknown, measured(2, 2)}); one.RequestsPerCPUSecSpread != 0 {
		t.Errorf("spread of one known round %v, want 0", one.RequestsPerCPUSecSpread)
	}
	unknown2 := unknown
	if m := Median([]Run{unknown, unknown2}); m.ServerCPUKnown || m.RequestsPerCPUSec != 0 {
		t.Errorf("median of unknowns %+v", m)
	}
}

func TestMedianWrk(t *testing.T) {
	a, b, c := measured(1, 1), measured(2, 2), measured(3, 3)
	a.Wrk = &Wrk{Threads: 2, RequestsPerSec: 100, Errors: 1, Latency: Latency{P99: 7}}
	b.Wrk = &Wrk{Error: "wrk: not found"}
	c.Wrk = &Wrk{Threads: 2, RequestsPerSec: 300, Errors: 2, Latency: Latency{P99: 9}}
	m := Median([]Run{a, b, c})
	if m.Wrk == nil || m.Wrk.Error != "" || m.Wrk.RequestsPerSec != 200 || m.Wrk.Latency.P99 != 8 || m.Wrk.Errors != 3 || m.Wrk.Threads != 2 {
		t.Errorf("wrk %+v", m.Wrk)
	}
	if m := Median([]Run{b, b}); m.Wrk == nil || m.Wrk.Error == "" {
		t.Errorf("failed wrk lost: %+v", m.Wrk)
	}
	if m := Median([]Run{measured(1, 1)}); m.Wrk != nil {
		t.Errorf("wrk from nowhere: %+v", m.Wrk)
	}
}

func TestMergeRounds(t *testing.T) {
	row := func(server string, pipe, round int, rate float64) Run {
		return Run{Server: server, Conns: 8, Pipeline: pipe, Round: round, RequestsPerSec: rate}
	}
	var runs []Run
	for round := 1; round <= 3; round++ {
		f := float64(round)
		runs = append(runs, row("a", 1, round, 10*f), row("a", 4, round, 20*f), row("b", 1, round, 30*f))
	}
	merged := MergeRounds(runs)
	if len(merged) != 3 {
		t.Fatalf("%d rows: %+v", len(merged), merged)
	}
	var got []string
	for _, m := range merged {
		got = append(got, m.Server)
		if m.Rounds != 3 {
			t.Errorf("rounds %d", m.Rounds)
		}
	}
	if strings.Join(got, ",") != "a,a,b" || merged[1].Pipeline != 4 || merged[0].RequestsPerSec != 20 || merged[2].RequestsPerSec != 60 {
		t.Errorf("merged %+v", merged)
	}
	data, err := json.Marshal(merged[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"rounds":3`) || strings.Contains(string(data), `"round":`) {
		t.Errorf("JSON %s", data)
	}
}
