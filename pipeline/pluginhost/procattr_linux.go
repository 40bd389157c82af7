//go:build linux

package pluginhost

import "syscall"

// sysProcAttr puts the plugin in its own process group, so a signal aimed
// at the host's terminal group (Ctrl-C) reaches the host alone and the host
// decides how to stop the plugin, and asks the kernel to SIGKILL the plugin
// when the host dies, so a killed host never leaves a training run behind.
//
// Pdeathsig fires when the forking OS thread exits; Go only retires threads
// of goroutines that exit while locked to them, which this package never does.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killGroup kills whatever is left of the plugin's process group, such as
// children the plugin started itself.
func killGroup(pid int) {
	if pid > 0 {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}
