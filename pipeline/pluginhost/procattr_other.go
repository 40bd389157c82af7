//go:build !linux

package pluginhost

import "syscall"

// sysProcAttr returns nil where process groups and parent-death signals are
// not available the Linux way; go-plugin still kills the plugin on Close.
func sysProcAttr() *syscall.SysProcAttr { return nil }

func killGroup(int) {}
