package pluginhost

import (
	"os"
	"sort"
	"strings"
)

// DefaultEnv is the allowlist of host environment variables a plugin sees;
// a trailing "*" matches a prefix. Everything else (credentials, tokens) is
// withheld unless the host or the plugin block lists it.
var DefaultEnv = []string{
	"PATH", "HOME", "USER", "LOGNAME", "TMPDIR", "TZ", "LANG", "LANGUAGE", "LC_*",
	"GOMAXPROCS", "GOMEMLIMIT", "GOGC", "GODEBUG", "GOTRACEBACK",
	"OMP_*", "MKL_*", "OPENBLAS_*", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES",
	"LLMFLOW_KERNEL", // the matrix kernel path (model/kernel.PathEnv)
}

// filterEnv returns the entries of environ whose names match allow, sorted
// for a deterministic child environment.
func filterEnv(environ []string, allow []string) []string {
	var out []string
	for _, kv := range environ {
		name, _, ok := strings.Cut(kv, "=")
		if ok && envAllowed(name, allow) {
			out = append(out, kv)
		}
	}
	sort.Strings(out)
	return out
}

func envAllowed(name string, allow []string) bool {
	for _, a := range allow {
		if p, ok := strings.CutSuffix(a, "*"); ok {
			if strings.HasPrefix(name, p) {
				return true
			}
		} else if a == name {
			return true
		}
	}
	return false
}

// pluginEnv is the environment for a plugin given extra allowed names.
func pluginEnv(extra ...[]string) []string {
	allow := append([]string(nil), DefaultEnv...)
	for _, e := range extra {
		allow = append(allow, e...)
	}
	return filterEnv(os.Environ(), allow)
}
