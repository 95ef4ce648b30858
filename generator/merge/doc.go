// Package merge holds secgen's line-based text tools for `secgen add` and
// `secgen update`: a line diff, a three-way merge with diff3 semantics and
// standard conflict markers, and a unified diff for --dry-run.
//
// A line is a run of bytes ending in "\n"; the last line of a text may lack
// it, and then it is a different line from the same bytes with a newline.
// Carriage returns are ordinary bytes, so CRLF texts round-trip unchanged.
package merge
