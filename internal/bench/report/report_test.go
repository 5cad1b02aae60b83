package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miniasync/miniasync/internal/bench/result"
)

func sampleRuns() []result.Run {
	run := func(server string, kind result.Kind, conns, pipe int, rate, cpu float64) result.Run {
		return result.Run{
			Server: server, Kind: kind, Conns: conns, Pipeline: pipe, Seconds: 1,
			Requests: int64(rate), RequestsPerSec: rate, BytesPerSec: rate * 110,
			Latency:        result.Latency{P50: 80, P90: 150, P99: 1250, P999: 2500, Max: 2_100_000},
			ServerCPUKnown: true, ServerCPUSeconds: cpu, RequestsPerCPUSec: rate / cpu,
			PeakRSSBytes: 12 << 20, ClientCPUSeconds: 0.9,
		}
	}
	failed := result.Run{Server: "broken", Kind: result.External, Conns: 64, Pipeline: 1, Error: "server exited: broken (exit status 1)\nmore"}
	withWrk := run("epoll", result.Backend, 64, 1, 100000, 1.0)
	withWrk.Wrk = &result.Wrk{Threads: 2, Seconds: 1, Requests: 110000, RequestsPerSec: 110000, ClientCPUSeconds: 0.8}
	return []result.Run{
		withWrk,
		run("epoll", result.Backend, 64, 16, 400000, 1.0),
		run("net/http", result.Baseline, 64, 1, 50000, 1.25),
		run("net/http", result.Baseline, 64, 16, 80000, 1.6),
		failed,
		run("fasthttp", result.External, 64, 1, 120000, 1.5),
	}
}

func TestReferenceAndGroups(t *testing.T) {
	runs := sampleRuns()
	if ref := Reference(runs); ref != "net/http" {
		t.Errorf("reference %q, want the baseline", ref)
	}
	if ref := Reference(runs[:2]); ref != "epoll" {
		t.Errorf("reference without baseline %q, want the first server", ref)
	}
	groups := Groups(runs, "net/http")
	if len(groups) != 2 || groups[0].Point.Pipeline != 1 || groups[1].Point.Pipeline != 16 {
		t.Fatalf("groups %+v", groups)
	}
	var order []string
	for _, r := range groups[0].Runs {
		order = append(order, r.Server)
	}
	if got := strings.Join(order, ","); got != "fasthttp,epoll,net/http,broken" {
		t.Errorf("order %s: want fastest first and failures last", got)
	}
	if groups[0].Ref == nil || groups[0].Ref.RequestsPerSec != 50000 {
		t.Errorf("reference run %+v", groups[0].Ref)
	}
}

// TestReferenceFailed: when the reference server failed everywhere, the
// ratios compare with the first server that succeeded, and the note says so.
func TestReferenceFailed(t *testing.T) {
	runs := sampleRuns()
	for i := range runs {
		if runs[i].Server == "net/http" {
			runs[i].Error = "server exited: net/http (exit status 1)"
		}
	}
	if ref := Reference(runs); ref != "epoll" {
		t.Fatalf("reference %q, want epoll, the first server that succeeded", ref)
	}
	failedFirst := append([]result.Run{runs[4]}, runs[:2]...) // broken, then epoll
	if ref := Reference(failedFirst); ref != "epoll" {
		t.Errorf("reference %q with the first server failed, want epoll", ref)
	}
	var table bytes.Buffer
	if err := WriteTable(&table, runs, Reference(runs), Text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "1.20x") { // fasthttp 120k against epoll 100k
		t.Errorf("no ratio against epoll:\n%s", table.String())
	}
	rep := &result.Report{Reference: Reference(runs), Runs: runs}
	var note bytes.Buffer
	if err := WriteNote(&note, rep); err != nil {
		t.Fatal(err)
	}
	if want := "net/http, the reference, failed, so the ratios compare with epoll, the first server that succeeded."; !strings.Contains(note.String(), want) {
		t.Errorf("note lacks %q:\n%s", want, note.String())
	}
}

func TestWriteTableText(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTable(&b, sampleRuns(), "net/http", Text); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"vs net/http", "req/CPU-s", "net/http (baseline)", "2.40x", "1.00x", "failed", "80µs", "1.25ms", "2.10s", "120,000", "12.0"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 1+4+1+1+2 {
		t.Errorf("%d lines:\n%s", len(lines), out)
	}
	if !strings.HasPrefix(lines[1], "fasthttp ") {
		t.Errorf("first row %q, want fasthttp left-aligned", lines[1])
	}
}

func TestWriteTableMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTable(&b, sampleRuns(), "net/http", Markdown); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 2+6 {
		t.Fatalf("%d lines:\n%s", len(lines), b.String())
	}
	cols := strings.Count(lines[0], "|")
	for _, l := range lines {
		if strings.Count(l, "|") != cols {
			t.Errorf("ragged row %q", l)
		}
	}
	if !strings.HasPrefix(lines[2], "| fasthttp | 64 | 1 | 120,000 | 2.40x |") {
		t.Errorf("first row %q", lines[2])
	}
	if _, err := ParseFormat("html"); err == nil {
		t.Error("ParseFormat accepted html")
	}
}

func TestWriteNote(t *testing.T) {
	rep := &result.Report{
		Date: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), OS: "linux", Arch: "amd64", CPUs: 2, GoVersion: "go1.26",
		Settings: result.Settings{Duration: "3s", Warmup: "1s", CPUPin: "server 0, load 1"}, Reference: "net/http", Runs: sampleRuns(),
	}
	var b bytes.Buffer
	if err := WriteNote(&b, rep); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"broken at conns=64 pipeline=1 failed: server exited: broken (exit status 1)\n",
		"Ratios compare with net/http", "2 CPUs", "2026-11-24 12:00 UTC", "server 0, load 1",
		"epoll conns=64 pipeline=1: built-in 100,000 req/s on 0.90 client CPU-s (111,111 req/client-CPU-s), wrk -t2 110,000 req/s on 0.80 client CPU-s (137,500 req/client-CPU-s): built-in/wrk = 0.91x",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("note lacks %q:\n%s", want, out)
		}
	}
}

// TestWriteNoteIdleOnly: with --conns none there are no load runs, and
// the note does not describe them.
func TestWriteNoteIdleOnly(t *testing.T) {
	rep := &result.Report{
		Date: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), OS: "linux", Arch: "amd64", CPUs: 2, GoVersion: "go1.26",
		Settings: result.Settings{Duration: "10s", Warmup: "2s", Idle: 50}, Reference: "net/http",
		Runs: []result.Run{
			{Server: "epoll", Kind: result.Backend, Conns: 50, IdleConns: 50, IdleRSSPerConn: 900},
			{Server: "net/http", Kind: result.Baseline, Conns: 50, IdleConns: 50, IdleRSSPerConn: 9000},
		},
	}
	var b bytes.Buffer
	if err := WriteNote(&b, rep); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, bad := range []string{"load point", "req/CPU-s", "warmup", "measured"} {
		if strings.Contains(out, bad) {
			t.Errorf("note mentions %q without load runs:\n%s", bad, out)
		}
	}
	for _, want := range []string{"Ratios compare with net/http.", "2 CPUs", "held 50 keep-alive connections"} {
		if !strings.Contains(out, want) {
			t.Errorf("note lacks %q:\n%s", want, out)
		}
	}
}

func TestWriteNoteRounds(t *testing.T) {
	runs := sampleRuns()
	var rounds []result.Run
	for round := 1; round <= 3; round++ {
		for _, r := range runs {
			r.Round = round
			if r.Server == "epoll" && r.Pipeline == 16 && round == 2 {
				r.Error = "server exited: killed"
			}
			rounds = append(rounds, r)
		}
	}
	rep, out := noteOfRounds(t, rounds, "net/http")
	for _, want := range []string{
		"medians of 3 rounds", "the mean of the middle two for an even count",
		"epoll at conns=64 pipeline=16 failed in round 2: server exited: killed\n",
		"broken at conns=64 pipeline=1 failed in round 3: server exited: broken (exit status 1)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("note lacks %q:\n%s", want, out)
		}
	}
	var b bytes.Buffer
	rep.Settings.Rounds, rep.RoundRuns, rep.Runs = 1, nil, runs
	if err := WriteNote(&b, rep); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "rounds") {
		t.Errorf("one round mentions rounds:\n%s", b.String())
	}
}

func TestWriteJSONFile(t *testing.T) {
	rep := &result.Report{Date: time.Unix(0, 0).UTC(), Reference: "net/http", Runs: sampleRuns()}
	path := filepath.Join(t.TempDir(), "out.json")
	if err := WriteJSONFile(path, rep); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back result.Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Runs) != 6 || back.Runs[0].Wrk == nil || back.Runs[0].Wrk.RequestsPerSec != 110000 || back.Runs[4].Error == "" {
		t.Errorf("round trip lost data: %+v", back.Runs)
	}
	for _, key := range []string{`"requests_per_server_cpu_sec"`, `"p99_9_us"`, `"peak_rss_bytes"`, `"non_2xx"`} {
		if !bytes.Contains(data, []byte(key)) {
			t.Errorf("JSON lacks %s", key)
		}
	}
	if err := WriteJSONFile(filepath.Join(t.TempDir(), "no", "such", "dir.json"), rep); err == nil {
		t.Error("no error for a missing directory")
	}
}

func TestFormatting(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 1234567.4: "1,234,567", -4200: "-4,200"} {
		if got := Count(in); got != want {
			t.Errorf("Count(%v) = %q, want %q", in, got, want)
		}
	}
	if Micros(0) != "-" || Ratio(0) != "-" || MiB(0) != "-" || MiB(3<<20) != "3.0" {
		t.Error("unknown values must print as -")
	}
}

// TestWriteNoteSpread: the note says how far req/CPU-s moved between
// rounds, the median over the rows that moved and the widest row.
func TestWriteNoteSpread(t *testing.T) {
	var rounds []result.Run
	add := func(server string, pipeline int, perCPU ...float64) {
		for i, v := range perCPU {
			rounds = append(rounds, result.Run{
				Server: server, Conns: 64, Pipeline: pipeline, Round: i + 1, Seconds: 1, Requests: 1,
				ServerCPUKnown: true, ServerCPUSeconds: 1, RequestsPerCPUSec: v,
			})
		}
	}
	add("a", 1, 90, 100, 110)   // 20%
	add("b", 1, 100, 100, 100)  // level: not counted
	add("c", 16, 50, 100, 150)  // 100%
	add("d", 16, 100, 80, 120)  // 40%
	add("e", 16, 100, 100, 130) // 30%
	rep, out := noteOfRounds(t, rounds, "a")
	// Spreads 20%, 30%, 40%, 100%: the middle two average to 35%.
	want := "- req/CPU-s moved between rounds by a median 35% per row ((max - min) / median; largest 100%, c at conns=64 pipeline=16): " +
		"rows closer than that are within this machine's noise.\n"
	if !strings.Contains(out, want) {
		t.Errorf("note lacks %q:\n%s", want, out)
	}
	var b bytes.Buffer
	rep.Settings.Rounds, rep.RoundRuns, rep.Runs = 1, nil, rounds[:1]
	if err := WriteNote(&b, rep); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "moved between rounds") {
		t.Errorf("one round reports a spread:\n%s", b.String())
	}
}

// noteOfRounds writes the note of a 3-round report of rounds' runs and
// returns the report and the note.
func noteOfRounds(t *testing.T, rounds []result.Run, reference string) (*result.Report, string) {
	t.Helper()
	rep := &result.Report{
		Settings: result.Settings{Duration: "1s", Warmup: "0s", Rounds: 3}, Reference: reference,
		Runs: result.MergeRounds(rounds), RoundRuns: rounds,
	}
	var b bytes.Buffer
	if err := WriteNote(&b, rep); err != nil {
		t.Fatal(err)
	}
	return rep, b.String()
}
