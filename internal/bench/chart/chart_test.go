package chart

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miniasync/miniasync/internal/bench/result"
)

func runs() []result.Run {
	var out []result.Run
	for i, s := range []string{"epoll", "net/http", "fasthttp"} {
		for _, pipe := range []int{1, 16} {
			out = append(out, result.Run{
				Server: s, Conns: 64, Pipeline: pipe,
				RequestsPerSec: float64((i + 1) * pipe * 10000), Latency: result.Latency{P99: float64(500 * (i + 1))},
			})
		}
	}
	out = append(out, result.Run{Server: "broken", Conns: 64, Pipeline: 1, Error: "exited"})
	return out
}

func TestCollect(t *testing.T) {
	servers, all, idle := collect(runs())
	if strings.Join(servers, ",") != "epoll,net/http,fasthttp,broken" || len(all) != 2 || idle != nil {
		t.Fatalf("servers %v, %d series, idle %v", servers, len(all), idle)
	}
	if all[1].rate[2] != 480000 || all[0].p99[1] != 1 || !all[0].hasFailure || all[1].hasFailure {
		t.Errorf("series %+v", all)
	}
}

func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	svg := filepath.Join(dir, "bench.svg")
	if err := WriteFile(svg, "miniasync bench", runs()); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "throughput", "p99 latency", "fasthttp", "conns 64, pipeline 16"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	pngPath := filepath.Join(dir, "bench.PNG")
	if err := WriteFile(pngPath, "miniasync bench", runs()); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 500 {
		t.Errorf("PNG is only %v", b)
	}
}

func TestErrors(t *testing.T) {
	if err := WriteFile(filepath.Join(t.TempDir(), "x.pdf"), "t", runs()); err == nil {
		t.Error("no error for .pdf")
	}
	if err := Write(&bytes.Buffer{}, "svg", "t", nil); err == nil {
		t.Error("no error for no runs")
	}
}

func TestCompact(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 0.8: "0.8", 250000: "250k", 1500000: "1.5M"} {
		if got := compact(v); got != want {
			t.Errorf("compact(%v) = %q, want %q", v, got, want)
		}
	}
}

// TestCollectIdle: idle runs become the idle panel's values, not a load
// point.
func TestCollectIdle(t *testing.T) {
	rs := append(runs(),
		result.Run{Server: "epoll", Conns: 10000, IdleConns: 10000, IdleRSSPerConn: 500},
		result.Run{Server: "fasthttp", Conns: 10000, IdleConns: 10000, IdleRSSPerConn: 4000})
	servers, all, idle := collect(rs)
	if len(all) != 2 || len(idle) != len(servers) || idle[0] != 500 || idle[2] != 4000 || idle[1] != 0 {
		t.Fatalf("%d series, idle %v for %v", len(all), idle, servers)
	}
	var b strings.Builder
	if err := Write(&b, "svg", "idle", rs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "idle keep-alive") {
		t.Error("no idle panel in the chart")
	}
}

// TestCompactRoundsNoise: tick labels are short and free of float noise.
func TestCompactRoundsNoise(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		want string
	}{
		{1.2000000000000002, "1.2"},
		{0.30000000000000004, "0.3"},
		{1200000.0000000002, "1.2M"},
		{1.2000000000000002e6, "1.2M"},
		{250000, "250k"},
		{1500, "1.5k"},
		{999, "999"},
		{999999.9999999999, "1M"},
		{999.9999999999999, "1k"},
		{0, "0"},
		{0.0001, "0.0001"},
	} {
		if got := compact(tt.v); got != tt.want {
			t.Errorf("compact(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}
