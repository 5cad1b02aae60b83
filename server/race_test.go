//go:build race

package server_test

// raceEnabled relaxes allocation assertions that sync.Pool's deliberate
// drops under the race detector would break.
const raceEnabled = true
