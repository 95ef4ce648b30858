package merge

import (
	"strings"

	"github.com/go-git/go-git/v5/utils/diff"
	"github.com/sergi/go-diff/diffmatchpatch"
)

// edit says that lines a[A0:A1] of the old text are replaced by lines
// b[B0:B1] of the new text. A0 == A1 is a pure insertion, B0 == B1 a pure
// deletion. Edits of one script are sorted and never touch each other.
type edit struct {
	A0, A1, B0, B1 int
}

// splitLines splits s into lines, each keeping its "\n"; only the last line
// may lack one. The empty text has no lines.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := make([]string, 0, strings.Count(s, "\n")+1)
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i+1])
		s = s[i+1:]
	}
	return lines
}

// countLines is len(splitLines(s)) without allocating.
func countLines(s string) int {
	n := strings.Count(s, "\n")
	if s != "" && s[len(s)-1] != '\n' {
		n++
	}
	return n
}

// lineDiff returns the edit script turning text a into text b, with line
// indices into splitLines(a) and splitLines(b). It uses go-git's line diff
// (Myers' algorithm via diffmatchpatch).
func lineDiff(a, b string) []edit {
	if a == b {
		return nil
	}
	var (
		edits  []edit
		ai, bi int
		open   bool // edits[len(edits)-1] may still grow
	)
	for _, d := range diff.Do(a, b) {
		n := countLines(d.Text)
		switch d.Type {
		case diffmatchpatch.DiffEqual:
			ai += n
			bi += n
			open = false
			continue
		case diffmatchpatch.DiffDelete:
			if !open {
				edits = append(edits, edit{A0: ai, A1: ai, B0: bi, B1: bi})
				open = true
			}
			ai += n
			edits[len(edits)-1].A1 = ai
		case diffmatchpatch.DiffInsert:
			if !open {
				edits = append(edits, edit{A0: ai, A1: ai, B0: bi, B1: bi})
				open = true
			}
			bi += n
			edits[len(edits)-1].B1 = bi
		}
	}
	return edits
}
