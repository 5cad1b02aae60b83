// Package chart draws a bench's results with gonum/plot: requests per
// server CPU-second, throughput and p99 latency (and, with idle runs, the
// resident set per idle connection), one group of bars per server and one
// bar colour per load point, as SVG or PNG.
package chart

import (
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/miniasync/miniasync/internal/bench/result"
	"github.com/miniasync/miniasync/internal/bench/sweep"
)

// series is one load point's values across the servers.
type series struct {
	point          sweep.Point
	rate, eff, p99 plotter.Values
	hasFailure     bool
	// idle marks the one series of idle runs: RSS per idle connection.
	idle plotter.Values
}

// collect orders servers and load points by first appearance and fills
// one series per point; failed or missing runs are zero. Idle runs go into
// idle, one value per server, nil when there are none.
func collect(runs []result.Run) (servers []string, all []series, idle plotter.Values) {
	serverIdx := map[string]int{}
	pointIdx := map[sweep.Point]int{}
	var idleRuns []result.Run
	for _, r := range runs {
		if _, ok := serverIdx[r.Server]; !ok {
			serverIdx[r.Server] = len(servers)
			servers = append(servers, r.Server)
		}
		if r.Idle() {
			idleRuns = append(idleRuns, r)
		}
	}
	if len(idleRuns) > 0 {
		idle = make(plotter.Values, len(servers))
		for _, r := range idleRuns {
			if r.Error == "" {
				idle[serverIdx[r.Server]] = r.IdleRSSPerConn
			}
		}
	}
	for _, r := range runs {
		if r.Idle() {
			continue
		}
		if _, ok := serverIdx[r.Server]; !ok {
			serverIdx[r.Server] = len(servers)
			servers = append(servers, r.Server)
		}
		p := sweep.Point{Conns: r.Conns, Pipeline: r.Pipeline}
		if _, ok := pointIdx[p]; !ok {
			pointIdx[p] = len(all)
			all = append(all, series{point: p})
		}
	}
	for i := range all {
		all[i].rate = make(plotter.Values, len(servers))
		all[i].eff = make(plotter.Values, len(servers))
		all[i].p99 = make(plotter.Values, len(servers))
	}
	for _, r := range runs {
		if r.Idle() {
			continue
		}
		s := &all[pointIdx[sweep.Point{Conns: r.Conns, Pipeline: r.Pipeline}]]
		if r.Error != "" {
			s.hasFailure = true
			continue
		}
		s.rate[serverIdx[r.Server]] = r.RequestsPerSec
		s.eff[serverIdx[r.Server]] = r.RequestsPerCPUSec
		s.p99[serverIdx[r.Server]] = r.Latency.P99 / 1000 // ms
	}
	return servers, all, idle
}

// newPanel builds one bar-chart panel of values picked from each series.
func newPanel(title, ylabel string, servers []string, all []series, pick func(series) plotter.Values) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	p.Y.Min = 0
	p.Y.Tick.Marker = compactTicks{}
	p.Legend.Top = true
	p.Legend.Left = false
	p.NominalX(servers...)
	p.X.Min, p.X.Max = -0.5, float64(len(servers))-0.5
	p.Add(plotter.NewGrid())
	top := 0.0
	for _, s := range all {
		for _, v := range pick(s) {
			top = max(top, v)
		}
	}
	// Headroom above the tallest bar keeps the legend off the bars.
	p.Y.Max = max(top, 1) * (1.12 + 0.06*float64(len(all)))
	width := vg.Points(min(40, 300/float64(max(1, len(servers)*len(all)))))
	for i, s := range all {
		bars, err := plotter.NewBarChart(pick(s), width)
		if err != nil {
			return nil, fmt.Errorf("chart: %w", err)
		}
		bars.LineStyle.Width = 0
		bars.Color = plotutil.Color(i)
		bars.Offset = width * vg.Length(float64(i)-float64(len(all)-1)/2)
		p.Add(bars)
		label := fmt.Sprintf("conns %d, pipeline %d", s.point.Conns, s.point.Pipeline)
		if s.idle != nil {
			label = fmt.Sprintf("%d idle keep-alive connections", s.point.Conns)
		}
		if s.hasFailure {
			label += " (some failed)"
		}
		p.Legend.Add(label, bars)
	}
	return p, nil
}

// Write draws the chart in format "svg" or "png" to w: requests per
// server CPU-second, throughput and p99 latency per load point, and, when
// the runs include idle runs, resident set per idle connection. The title
// goes above the first panel.
func Write(w io.Writer, format, title string, runs []result.Run) error {
	servers, all, idle := collect(runs)
	if len(servers) == 0 {
		return fmt.Errorf("chart: no results to draw")
	}
	var panels []*plot.Plot
	if len(all) > 0 {
		eff, err := newPanel(title+" — requests per server CPU-second", "requests/CPU-s", servers, all, func(s series) plotter.Values { return s.eff })
		if err != nil {
			return err
		}
		rate, err := newPanel("throughput", "requests/s", servers, all, func(s series) plotter.Values { return s.rate })
		if err != nil {
			return err
		}
		p99, err := newPanel("p99 latency", "ms", servers, all, func(s series) plotter.Values { return s.p99 })
		if err != nil {
			return err
		}
		panels = append(panels, eff, rate, p99)
	}
	if idle != nil {
		n := 0
		for _, r := range runs {
			if r.Idle() {
				n = r.IdleConns
				break
			}
		}
		idleTitle := "resident set per idle keep-alive connection"
		if len(panels) == 0 {
			idleTitle = title + " — " + idleTitle
		}
		one := []series{{point: sweep.Point{Conns: n}, idle: idle}}
		p, err := newPanel(idleTitle, "bytes", servers, one, func(s series) plotter.Values { return s.idle })
		if err != nil {
			return err
		}
		panels = append(panels, p)
	}
	wd := vg.Length(max(8, 1.5+0.9*float64(len(servers)))) * vg.Inch
	ht := vg.Length(4.5*float64(len(panels))) * vg.Inch
	var canvas vg.CanvasWriterTo
	switch format {
	case "svg":
		canvas = vgsvg.New(wd, ht)
	case "png":
		canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(wd, ht), vgimg.UseDPI(110), vgimg.UseBackgroundColor(color.White))}
	default:
		return fmt.Errorf("chart: unknown format %q (svg or png)", format)
	}
	dc := draw.New(canvas)
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadTop: vg.Points(8), PadBottom: vg.Points(8), PadLeft: vg.Points(8), PadRight: vg.Points(8), PadY: vg.Points(16)}
	grid := make([][]*plot.Plot, len(panels))
	for i, p := range panels {
		grid[i] = []*plot.Plot{p}
	}
	cells := plot.Align(grid, tiles, dc)
	for i, p := range panels {
		p.Draw(cells[i][0])
	}
	if _, err := canvas.WriteTo(w); err != nil {
		return fmt.Errorf("chart: write %s: %w", format, err)
	}
	return nil
}

// FormatOf returns the chart format a file name asks for: "svg" or "png".
func FormatOf(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".svg", ".png":
		return ext[1:], nil
	default:
		return "", fmt.Errorf("--chart %q: the file name must end in .svg or .png", path)
	}
}

// WriteFile draws the chart into the named .svg or .png file.
func WriteFile(path, title string, runs []result.Run) (err error) {
	format, err := FormatOf(path)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("chart: %w", cerr)
		}
	}()
	return Write(f, format, title, runs)
}

// compactTicks are gonum's default ticks labelled compactly: 250k, 1.5M.
type compactTicks struct{}

// Ticks returns the default ticks between lo and hi with short labels.
func (compactTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = compact(ticks[i].Value)
		}
	}
	return ticks
}

// compact formats v with a k or M suffix when large, to 6 significant
// digits, so that float noise in tick values (1.2000000000000002) is not
// shown.
func compact(v float64) string {
	v = round6(v) // first, so that 999999.9999 is 1M, not 1000k
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(round6(v/1e6), 'f', -1, 64) + "M"
	case v >= 1e3:
		return strconv.FormatFloat(round6(v/1e3), 'f', -1, 64) + "k"
	default:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
}

// round6 rounds v to 6 significant digits.
func round6(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 6, 64), 64)
	return r
}
