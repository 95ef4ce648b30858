// Package tty drives the real secgen binary on a pseudo-terminal, as a
// person would: the section gates, the defaults they list and how many
// questions the default path asks, a question hidden by its condition, "?"
// help, re-asking after an invalid entry, the review before writing (its
// file count, n, edit) and Ctrl-C and Ctrl-D (exit 130, nothing left on
// disk).
package tty
