package runstore

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// HostFacts describes the machine and process a run executed on.
type HostFacts struct {
	Hostname   string `json:"hostname"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	CPUModel   string `json:"cpu_model"`
	NumCPU     int    `json:"num_cpu"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	GoVersion  string `json:"go_version"`
	PID        int    `json:"pid"`
	// PIDStart identifies the process instance (its start time in clock
	// ticks since boot on Linux), so a reused PID is not taken for the
	// process that started a run.
	PIDStart string `json:"pid_start,omitempty"`
}

// CurrentHost returns the facts of the calling process and its machine.
func CurrentHost() HostFacts {
	h, _ := os.Hostname()
	pid := os.Getpid()
	return HostFacts{
		Hostname:   h,
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
		CPUModel:   cpuModel(),
		NumCPU:     runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion:  runtime.Version(),
		PID:        pid,
		PIDStart:   processStart(pid),
	}
}

// cpuModel reads the CPU model name from /proc/cpuinfo where there is one.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "model name", "Model", "cpu model", "uarch":
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// processStart returns field 22 of /proc/<pid>/stat (start time), or ""
// when the process does not exist or has exited.
func processStart(pid int) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The command name (field 2) may hold spaces and parentheses: fields
	// are counted after its closing parenthesis.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(s[i+1:])
	// A zombie or dead process (state Z or X) no longer runs anything.
	if len(f) < 20 || f[0] == "Z" || f[0] == "X" {
		return ""
	}
	return f[19]
}
