package emulator

import "syscall"

// sysProcAttr puts the child in its own process group (so Stop can kill the
// group and a terminal's Ctrl-C does not reach it directly) and asks the
// kernel to SIGKILL it if this process dies without calling Stop.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
