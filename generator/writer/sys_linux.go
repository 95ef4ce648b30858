//go:build linux

package writer

import (
	"bytes"
	"io/fs"
	"os"
	"strconv"
	"sync"
	"syscall"
)

// createFlags are added to the flags a file is created with. O_NONBLOCK
// changes nothing for a regular file, but spares the runtime the switch to
// non-blocking mode and back that it makes for every file it opens.
const createFlags = syscall.O_NONBLOCK

// umaskClears reports whether the process's umask may clear bits of mode,
// so a file created with mode needs it set again. The umask is read once,
// from /proc/self/status (reading it with umask(2) would change it for a
// moment, for every thread); when it cannot be read, the answer is yes.
func umaskClears(mode fs.FileMode) bool {
	mask, ok := umask()
	return !ok || fs.FileMode(mask)&mode.Perm() != 0
}

var umask = sync.OnceValues(func() (uint32, bool) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range bytes.Lines(status) {
		if v, ok := bytes.CutPrefix(line, []byte("Umask:")); ok {
			m, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 8, 32)
			return uint32(m), err == nil
		}
	}
	return 0, false
})
