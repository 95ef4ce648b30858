// Package suggest finds the names a mistyped name was probably meant to be,
// for the "did you mean" of secgen's errors: components, blueprints, answer
// keys, verbs and flags.
package suggest

import (
	"fmt"
	"sort"
	"strings"
)

// maxDistance is the largest edit distance a suggestion may be from the
// name typed.
const maxDistance = 3

// Closest returns the names at the smallest edit distance from name (if
// small enough), and those that contain it or are contained in it, closest
// first.
func Closest(name string, names []string) []string {
	if name == "" {
		return nil
	}
	type cand struct {
		name     string
		dist     int
		contains bool
	}
	var cands []cand
	for _, n := range names {
		d := Distance(name, n)
		// Short names are close to everything: allow two edits, or a third
		// of a longer name, at most maxDistance.
		limit := min(maxDistance, max(2, len(name)/3))
		contains := len(name) >= 4 && (strings.Contains(n, name) || strings.Contains(name, n))
		if d <= limit || contains {
			cands = append(cands, cand{n, d, contains})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].dist < cands[j].dist })
	// The closest only: "name" for "nmae", not also "image" one edit further.
	out := make([]string, 0, len(cands))
	for _, c := range cands {
		if c.dist == cands[0].dist || c.contains {
			out = append(out, c.name)
		}
	}
	return out
}

// Phrase returns ` (did you mean "x"?)` for the closest names, else the
// list of available names, else "".
func Phrase(name string, names []string) string {
	if c := Closest(name, names); len(c) > 0 {
		return " (did you mean " + quoted(c) + "?)"
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf(" (available: %s)", strings.Join(names, ", "))
}

// DidYouMean returns ` (did you mean "x"?)` for the closest names, or ""
// when none is close.
func DidYouMean(name string, names []string) string {
	if c := Closest(name, names); len(c) > 0 {
		return " (did you mean " + quoted(c) + "?)"
	}
	return ""
}

func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, " or ")
}

// Distance is the optimal-string-alignment distance between a and b: the
// Levenshtein distance where swapping two adjacent characters costs one.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
