package main

import "syscall"

// commandAttr makes the kernel send SIGTERM to the command if testenv dies
// without cleaning up (e.g. SIGKILL), so tests do not keep running against
// emulators that died with it. The command stays in our process group so a
// terminal's Ctrl-C still reaches it.
func commandAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
