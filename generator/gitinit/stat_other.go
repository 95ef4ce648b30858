//go:build !linux

package gitinit

import "io/fs"

// statOf is the index's stat data of a file, as far as it is portable:
// git compares what it has again, and hashes the file when it differs.
func statOf(info fs.FileInfo) fileStat {
	t := info.ModTime()
	return fileStat{mtimeSec: uint32(t.Unix()), mtimeNsec: uint32(t.Nanosecond()), size: uint32(info.Size())}
}
