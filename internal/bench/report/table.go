package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/miniasync/miniasync/internal/bench/result"
)

// Format is a table's output form.
type Format string

const (
	// Text is aligned plain text for a terminal.
	Text Format = "text"
	// Markdown is a GitHub-flavoured markdown table.
	Markdown Format = "markdown"
)

// ParseFormat checks a --format value.
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case Text, Markdown:
		return Format(s), nil
	}
	return "", fmt.Errorf("--format %q: choose text or markdown", s)
}

// columns are the table's headings; the two ratio columns name the
// reference server.
func columns(ref string) []string {
	return []string{
		"server", "conns", "pipeline", "req/s", "vs " + ref, "MiB/s",
		"p50", "p90", "p99", "p99.9", "max", "errors", "non-2xx",
		"server CPU s", "req/CPU-s", "vs " + ref, "peak RSS MiB",
	}
}

// row formats one run's cells.
func row(r result.Run, ref *result.Run) []string {
	name := r.Server
	if r.Kind == result.Baseline {
		name += " (baseline)"
	}
	if r.Error != "" {
		cells := []string{name, strconv.Itoa(r.Conns), strconv.Itoa(r.Pipeline), "failed"}
		for len(cells) < 17 {
			cells = append(cells, "")
		}
		return cells
	}
	var refRate, refEff float64
	if ref != nil {
		refRate, refEff = ref.RequestsPerSec, ref.RequestsPerCPUSec
	}
	cpu, eff := "-", "-"
	if r.ServerCPUKnown {
		cpu = fmt.Sprintf("%.2f", r.ServerCPUSeconds)
		if r.RequestsPerCPUSec > 0 {
			eff = Count(r.RequestsPerCPUSec)
		}
	}
	l := r.Latency
	return []string{
		name, strconv.Itoa(r.Conns), strconv.Itoa(r.Pipeline),
		Count(r.RequestsPerSec), Ratio(ratio(r.RequestsPerSec, refRate)), MiB(r.BytesPerSec),
		Micros(l.P50), Micros(l.P90), Micros(l.P99), Micros(l.P999), Micros(l.Max),
		strconv.FormatInt(r.Errors.Total(), 10), strconv.FormatInt(r.Non2xx, 10),
		cpu, eff, Ratio(ratio(r.RequestsPerCPUSec, refEff)), MiB(float64(r.PeakRSSBytes)),
	}
}

// WriteTable writes the comparison table: one block per load point, the
// fastest server first, with throughput and requests per server CPU-second
// as ratios to the reference server.
//
// Idle runs (--idle) follow in a table of their own (see WriteIdleTable).
func WriteTable(w io.Writer, runs []result.Run, reference string, f Format) error {
	var load, idle []result.Run
	for _, r := range runs {
		if r.Idle() {
			idle = append(idle, r)
		} else {
			load = append(load, r)
		}
	}
	if len(load) > 0 {
		if err := writeLoadTable(w, load, reference, f); err != nil {
			return err
		}
	}
	if len(idle) == 0 {
		return nil
	}
	if len(load) > 0 {
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
	}
	return WriteIdleTable(w, idle, reference, f)
}

// idleColumns are the idle table's headings.
func idleColumns(ref string) []string {
	return []string{"server", "idle conns", "RSS before MiB", "RSS after MiB", "RSS per idle conn B", "vs " + ref}
}

// WriteIdleTable writes the idle-connection table: per server, its
// resident set before and with the idle connections open, and the growth
// per connection, least first, as a ratio to the reference server's.
func WriteIdleTable(w io.Writer, runs []result.Run, reference string, f Format) error {
	sorted := slices.Clone(runs)
	slices.SortStableFunc(sorted, func(a, b result.Run) int {
		if (a.Error == "") != (b.Error == "") {
			if a.Error == "" {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.IdleRSSPerConn, b.IdleRSSPerConn)
	})
	var ref float64
	for _, r := range sorted {
		if r.Server == reference && r.Error == "" {
			ref = r.IdleRSSPerConn
		}
	}
	head := idleColumns(reference)
	lines := [][]string{head}
	for _, r := range sorted {
		name := r.Server
		if r.Kind == result.Baseline {
			name += " (baseline)"
		}
		if r.Error != "" {
			lines = append(lines, []string{name, strconv.Itoa(r.IdleConns), "failed", "", "", ""})
			continue
		}
		lines = append(lines, []string{
			name, strconv.Itoa(r.IdleConns),
			MiB(float64(r.IdleRSSBeforeBytes)), MiB(float64(r.IdleRSSAfterBytes)),
			strconv.FormatFloat(r.IdleRSSPerConn, 'f', 0, 64), Ratio(ratio(r.IdleRSSPerConn, ref)),
		})
	}
	if f == Markdown {
		var b strings.Builder
		b.WriteString("| " + strings.Join(head, " | ") + " |\n")
		b.WriteString("|" + strings.Repeat("---|", len(head)) + "\n")
		for _, l := range lines[1:] {
			b.WriteString("| " + strings.Join(l, " | ") + " |\n")
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	_, err := io.WriteString(w, aligned(lines))
	return err
}

// writeLoadTable writes the load runs' table (see WriteTable).
func writeLoadTable(w io.Writer, runs []result.Run, reference string, f Format) error {
	groups := Groups(runs, reference)
	head := columns(reference)
	switch f {
	case Markdown:
		var b strings.Builder
		b.WriteString("| " + strings.Join(head, " | ") + " |\n")
		b.WriteString("|" + strings.Repeat("---|", len(head)) + "\n")
		for _, g := range groups {
			for _, r := range g.Runs {
				b.WriteString("| " + strings.Join(row(r, g.Ref), " | ") + " |\n")
			}
		}
		_, err := io.WriteString(w, b.String())
		return err
	default:
		var lines [][]string
		for i, g := range groups {
			if i > 0 {
				lines = append(lines, nil)
			}
			lines = append(lines, head)
			for _, r := range g.Runs {
				lines = append(lines, row(r, g.Ref))
			}
		}
		_, err := io.WriteString(w, aligned(lines))
		return err
	}
}

// aligned lays out rows in columns two spaces apart, the first column
// left-aligned and the others right-aligned; a nil row is a blank line.
func aligned(rows [][]string) string {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if i == 0 {
				line.WriteString(c + pad)
			} else {
				line.WriteString("  " + pad + c)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	return b.String()
}
