package merge

import (
	"fmt"
	"strings"
)

// DefaultContext is the number of unchanged lines shown around a change in
// a unified diff, as in `diff -u`.
const DefaultContext = 3

// Unified returns the unified diff turning oldText into newText, with the header
// lines "--- oldName" and "+++ newName" and context lines of unchanged text
// around each change (DefaultContext when negative). Name a missing side
// "/dev/null". It returns "" when the texts are equal. A last line without a
// newline is followed by `\ No newline at end of file`, so `patch` and
// `git apply` accept the output.
func Unified(oldName, newName string, oldText, newText []byte, context int) string {
	if context < 0 {
		context = DefaultContext
	}
	a, b := string(oldText), string(newText)
	edits := lineDiff(a, b)
	if len(edits) == 0 {
		return ""
	}
	al, bl := splitLines(a), splitLines(b)
	var w strings.Builder
	fmt.Fprintf(&w, "--- %s\n+++ %s\n", oldName, newName)
	for len(edits) > 0 {
		// A hunk takes every edit whose gap to the previous one is small
		// enough for their contexts to meet.
		n := 1
		for n < len(edits) && edits[n].A0-edits[n-1].A1 <= 2*context {
			n++
		}
		hunk := edits[:n]
		edits = edits[n:]
		first, last := hunk[0], hunk[n-1]
		a0 := max(0, first.A0-context)
		a1 := min(len(al), last.A1+context)
		b0 := first.B0 - (first.A0 - a0)
		b1 := last.B1 + (a1 - last.A1)
		fmt.Fprintf(&w, "@@ -%s +%s @@\n", hunkRange(a0, a1-a0), hunkRange(b0, b1-b0))
		at := a0
		for _, e := range hunk {
			writeLines(&w, ' ', al[at:e.A0])
			writeLines(&w, '-', al[e.A0:e.A1])
			writeLines(&w, '+', bl[e.B0:e.B1])
			at = e.A1
		}
		writeLines(&w, ' ', al[at:a1])
	}
	return w.String()
}

// hunkRange formats a 0-based start and a count the way `diff -u` does:
// "l" for one line, "l,n" otherwise, and for no lines the line before.
func hunkRange(start, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	default:
		return fmt.Sprintf("%d,%d", start+1, count)
	}
}

func writeLines(w *strings.Builder, prefix byte, lines []string) {
	for _, l := range lines {
		w.WriteByte(prefix)
		w.WriteString(l)
		if !strings.HasSuffix(l, "\n") {
			w.WriteString("\n\\ No newline at end of file\n")
		}
	}
}
