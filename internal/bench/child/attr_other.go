//go:build !linux

package child

import "syscall"

// sysProcAttr puts the child in a process group of its own, so the whole
// group can be signalled.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
