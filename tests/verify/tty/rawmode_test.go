package tty

import (
	"os"
	"syscall"
	"unsafe"
)

// rawMode reports whether the program on the other side of the
// pseudo-terminal f has turned canonical (line-editing) input off, as survey
// does while it reads an answer key by key.
func rawMode(f *os.File) (bool, error) {
	conn, err := f.SyscallConn()
	if err != nil {
		return false, err
	}
	var attrs syscall.Termios
	var errno syscall.Errno
	if err := conn.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, uintptr(getTermios), uintptr(unsafe.Pointer(&attrs)))
	}); err != nil {
		return false, err
	}
	if errno != 0 {
		return false, errno
	}
	return attrs.Lflag&syscall.ICANON == 0, nil
}
