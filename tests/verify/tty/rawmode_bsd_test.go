//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package tty

import "syscall"

// getTermios is the request that reads a terminal's attributes; on a
// pseudo-terminal's controlling side it reads those of the terminal the
// program under test uses.
const getTermios = syscall.TIOCGETA
