package child

import "syscall"

// sysProcAttr puts the child in a process group of its own, so the whole
// group can be signalled, and asks the kernel to SIGKILL it if the thread
// that started it dies (the bench process crashing or being killed).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
