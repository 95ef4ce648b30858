//go:build linux

package gitinit

import (
	"io/fs"
	"syscall"
)

// statOf is the index's stat data of a file (git keeps the low 32 bits).
func statOf(info fs.FileInfo) fileStat {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fileStat{mtimeSec: uint32(info.ModTime().Unix()), size: uint32(info.Size())}
	}
	return fileStat{
		ctimeSec: uint32(st.Ctim.Sec), ctimeNsec: uint32(st.Ctim.Nsec),
		mtimeSec: uint32(st.Mtim.Sec), mtimeNsec: uint32(st.Mtim.Nsec),
		dev: uint32(st.Dev), ino: uint32(st.Ino), uid: st.Uid, gid: st.Gid, size: uint32(st.Size),
	}
}
