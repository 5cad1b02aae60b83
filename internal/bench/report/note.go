package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/miniasync/miniasync/internal/bench/result"
)

// WriteNote writes the lines that close the table: failures (round by
// round, with several rounds), how rows merge rounds, what the ratios
// compare with, and, for runs that had wrk measure the same server
// and point, the built-in load generator's throughput against wrk's.
func WriteNote(w io.Writer, rep *result.Report) error {
	var b strings.Builder
	if len(rep.RoundRuns) > 0 {
		for _, r := range rep.RoundRuns {
			if r.Error != "" {
				fmt.Fprintf(&b, "- %s at conns=%d pipeline=%d failed in round %d: %s\n", r.Server, r.Conns, r.Pipeline, r.Round, firstLine(r.Error))
			}
		}
	} else {
		for _, r := range rep.Runs {
			if r.Error != "" {
				fmt.Fprintf(&b, "- %s at conns=%d pipeline=%d failed: %s\n", r.Server, r.Conns, r.Pipeline, firstLine(r.Error))
			}
		}
	}
	if n := rep.Settings.Rounds; n > 1 {
		fmt.Fprintf(&b, "- Every row shows medians of %d rounds (each round ran every server in a fresh process, one after another): "+
			"each metric the median of its own values (the mean of the middle two for an even count), errors and non-2xx summed; failed rounds are left out.\n", n)
	}
	if line := spreadLine(rep.Runs); line != "" {
		b.WriteString(line)
	}
	// With --conns none only idle runs ran: no load point, no measured time.
	load := slices.ContainsFunc(rep.Runs, func(r result.Run) bool { return !r.Idle() })
	if load {
		fmt.Fprintf(&b, "- Ratios compare with %s at the same load point; req/CPU-s (requests per server CPU-second) ranks servers on a small shared machine.\n", rep.Reference)
	} else {
		fmt.Fprintf(&b, "- Ratios compare with %s.\n", rep.Reference)
	}
	if want := intendedReference(rep.Runs); want != rep.Reference && !succeeded(rep.Runs, want) {
		fmt.Fprintf(&b, "- %s, the reference, failed, so the ratios compare with %s, the first server that succeeded.\n", want, rep.Reference)
	}
	if load {
		fmt.Fprintf(&b, "- %s/%s, %d CPUs, %s; each run: %s warmup + %s measured; %s.\n",
			rep.OS, rep.Arch, rep.CPUs, rep.GoVersion, rep.Settings.Warmup, rep.Settings.Duration, rep.Date.Format("2006-01-02 15:04 MST"))
	} else {
		fmt.Fprintf(&b, "- %s/%s, %d CPUs, %s; %s.\n", rep.OS, rep.Arch, rep.CPUs, rep.GoVersion, rep.Date.Format("2006-01-02 15:04 MST"))
	}
	if n := rep.Settings.Idle; n > 0 {
		fmt.Fprintf(&b, "- Idle: each server, started afresh, held %d keep-alive connections that had each made one request and then stayed silent; "+
			"RSS per idle conn is the growth of its resident set (VmRSS, after one warm-up request, to all %d open and settled) divided by %d.\n", n, n, n)
	}
	if rep.Settings.CPUPin != "" {
		fmt.Fprintf(&b, "- CPU pinning: %s.\n", rep.Settings.CPUPin)
	}
	var wrkLines []string
	for _, r := range rep.Runs {
		if r.Wrk == nil {
			continue
		}
		label := fmt.Sprintf("%s conns=%d pipeline=%d", r.Server, r.Conns, r.Pipeline)
		if r.Wrk.Error != "" {
			wrkLines = append(wrkLines, fmt.Sprintf("  - %s: wrk failed: %s", label, firstLine(r.Wrk.Error)))
			continue
		}
		wrkLines = append(wrkLines, fmt.Sprintf(
			"  - %s: built-in %s req/s on %.2f client CPU-s (%s req/client-CPU-s), wrk -t%d %s req/s on %.2f client CPU-s (%s req/client-CPU-s): built-in/wrk = %s",
			label, Count(r.RequestsPerSec), r.ClientCPUSeconds, Count(perCPU(r.Requests, r.ClientCPUSeconds)),
			r.Wrk.Threads, Count(r.Wrk.RequestsPerSec), r.Wrk.ClientCPUSeconds, Count(perCPU(r.Wrk.Requests, r.Wrk.ClientCPUSeconds)),
			Ratio(ratio(r.RequestsPerSec, r.Wrk.RequestsPerSec))))
	}
	if len(wrkLines) > 0 {
		b.WriteString("- Load generator ceiling, the built-in generator against wrk on the same server right after it:\n")
		b.WriteString(strings.Join(wrkLines, "\n") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// perCPU returns n per CPU-second, or 0 when the CPU time is unknown.
func perCPU(n int64, cpuSeconds float64) float64 {
	if cpuSeconds <= 0 {
		return 0
	}
	return float64(n) / cpuSeconds
}

// firstLine returns s up to its first line break.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// spreadLine sums up how far req/CPU-s moved between rounds (each row's
// RequestsPerCPUSecSpread): the median over the rows and the largest, so
// that a reader knows which differences between rows are noise. It is
// empty when no row was merged from two or more rounds.
func spreadLine(rows []result.Run) string {
	mid, widest, ok := result.Spread(rows)
	if !ok {
		return ""
	}
	return fmt.Sprintf("- req/CPU-s moved between rounds by a median %s per row ((max - min) / median; largest %s, %s at conns=%d pipeline=%d): "+
		"rows closer than that are within this machine's noise.\n",
		percent(mid), percent(widest.RequestsPerCPUSecSpread), widest.Server, widest.Conns, widest.Pipeline)
}

// percent formats a fraction as a whole percentage.
func percent(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) }
