// Package procstat reads a process's CPU time and peak memory from Linux's
// /proc: utime and stime from /proc/PID/stat, VmHWM from
// /proc/PID/status. The parsers take bytes, so they are tested on any
// system; reading needs a /proc and fails with an error elsewhere.
package procstat
