package artifact

import (
	"os"
	"syscall"
	"time"
)

// statSource returns the identity of the regular file at path.
func statSource(path string) (sourceStat, bool) {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return sourceStat{}, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return sourceStat{}, false
	}
	return sourceStat{Dev: uint64(st.Dev), Ino: st.Ino, Size: fi.Size(),
		MTime: fi.ModTime().UnixNano(), CTime: time.Unix(st.Ctim.Unix()).UnixNano()}, true
}
