// Package report prints a bench's results: the comparison table (plain
// text or markdown), grouped by load point and sorted by throughput, with
// ratios to a reference server; the closing note comparing the built-in
// load generator with wrk; and the JSON file of every result.
package report
