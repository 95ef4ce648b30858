// Package tty drives the real secgen binary on a pseudo-terminal, as a
// person would: the section gates and how many questions the default path
// asks, a question hidden by its condition, "?" help, re-asking after an
// invalid entry, and Ctrl-C (exit 130, nothing left on disk).
package tty
