package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"

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

// checkOutputFile checks, before the bench starts, that the file a flag
// names can be written: its directory exists and is writable, and it is not
// a directory or a read-only file itself.
func checkOutputFile(flag, path string) error {
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			return fmt.Errorf("--%s %s is a directory; name a file", flag, path)
		}
		if err := unix.Access(path, unix.W_OK); err != nil {
			return fmt.Errorf("--%s %s cannot be written: %w", flag, path, err)
		}
		return nil
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("--%s %s: its directory %s does not exist", flag, path, dir)
	}
	if err != nil {
		return fmt.Errorf("--%s %s: %w", flag, path, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("--%s %s: %s is not a directory", flag, path, dir)
	}
	if err := unix.Access(dir, unix.W_OK); err != nil {
		return fmt.Errorf("--%s %s: its directory %s is not writable: %w", flag, path, dir, err)
	}
	return nil
}

// write writes the JSON and chart files, then prints the table and its
// note: the files come first so that a closed stdout (bench | head) loses
// nothing. A file that cannot be written does not lose the table: its
// error is returned after the table is printed.
func (o *benchOptions) write(stdout io.Writer, rep *result.Report) error {
	format, err := report.ParseFormat(o.format)
	if err != nil {
		return err
	}
	var fileErrs []error
	if o.jsonFile != "" {
		if err := report.WriteJSONFile(o.jsonFile, rep); err != nil {
			fileErrs = append(fileErrs, fmt.Errorf("--json: %w", err))
		}
	}
	if o.chartFile != "" {
		title := fmt.Sprintf("miniasync bench, handler %s, %s", rep.Settings.Handler, rep.Date.Format("2006-01-02"))
		if rep.Settings.Rounds > 1 {
			title += fmt.Sprintf(", medians of %d rounds", rep.Settings.Rounds)
		}
		if err := chart.WriteFile(o.chartFile, title, rep.Runs); err != nil {
			fileErrs = append(fileErrs, fmt.Errorf("--chart: %w", err))
		}
	}
	if err := report.WriteTable(stdout, rep.Runs, rep.Reference, format); err != nil {
		return errors.Join(append(fileErrs, fmt.Errorf("write table: %w", err))...)
	}
	if _, err := fmt.Fprintln(stdout); err != nil {
		return errors.Join(append(fileErrs, fmt.Errorf("write table: %w", err))...)
	}
	if err := report.WriteNote(stdout, rep); err != nil {
		return errors.Join(append(fileErrs, fmt.Errorf("write note: %w", err))...)
	}
	return errors.Join(fileErrs...)
}
