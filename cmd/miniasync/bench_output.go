package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/miniasync/miniasync/internal/bench/chart"
	"github.com/miniasync/miniasync/internal/bench/report"
	"github.com/miniasync/miniasync/internal/bench/result"
)

// newReport gathers the runs with where and how they ran. With several
// rounds, its rows are the medians over the rounds, and every round's runs
// are kept alongside.
func newReport(started time.Time, settings result.Settings, runs []result.Run) *result.Report {
	rep := &result.Report{
		Date:      started,
		Command:   commandLine(os.Args),
		GoVersion: runtime.Version(),
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
		CPUs:      runtime.NumCPU(),
		Settings:  settings,
		Runs:      runs,
	}
	if settings.Rounds > 1 {
		rep.RoundRuns = runs
		rep.Runs = result.MergeRounds(runs)
	}
	rep.Reference = report.Reference(rep.Runs)
	return rep
}

// commandLine joins argv, quoting words that need it.
func commandLine(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		words[i] = a
	}
	if len(words) > 0 {
		words[0] = "miniasync"
	}
	return strings.Join(words, " ")
}

// write writes the JSON and chart files, then prints the table and its
// note: the files come first so that a closed stdout (bench | head) loses
// nothing.
func (o *benchOptions) write(stdout io.Writer, rep *result.Report) error {
	format, err := report.ParseFormat(o.format)
	if err != nil {
		return err
	}
	if o.jsonFile != "" {
		if err := report.WriteJSONFile(o.jsonFile, rep); err != nil {
			return err
		}
	}
	if o.chartFile != "" {
		title := fmt.Sprintf("miniasync bench, handler %s, %s", rep.Settings.Handler, rep.Date.Format("2006-01-02"))
		if rep.Settings.Rounds > 1 {
			title += fmt.Sprintf(", medians of %d rounds", rep.Settings.Rounds)
		}
		if err := chart.WriteFile(o.chartFile, title, rep.Runs); err != nil {
			return err
		}
	}
	if err := report.WriteTable(stdout, rep.Runs, rep.Reference, format); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	if _, err := fmt.Fprintln(stdout); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	if err := report.WriteNote(stdout, rep); err != nil {
		return fmt.Errorf("write note: %w", err)
	}
	return nil
}
