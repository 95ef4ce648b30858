package merge

import (
	"bytes"
	"strings"
)

// Default labels of the conflict markers.
const (
	DefaultOursLabel   = "yours"
	DefaultBaseLabel   = "base"
	DefaultTheirsLabel = "secgen"
)

// Options tunes the conflict markers of Merge. The zero value gives
//
//	<<<<<<< yours
//	(the user's lines)
//	=======
//	(secgen's lines)
//	>>>>>>> secgen
type Options struct {
	// Labels written after the markers; empty means the default label.
	OursLabel, BaseLabel, TheirsLabel string
	// ShowBase adds the base's lines after a "||||||| base" marker (diff3
	// style). Without it, lines both sides agree on at the edges of a
	// conflict are moved out of it.
	ShowBase bool
}

// Conflict locates one conflict region in the merged text, markers
// included, as 1-based line numbers.
type Conflict struct {
	StartLine, EndLine int
}

// Result is the outcome of a merge.
type Result struct {
	// Content is the merged text, with conflict markers when Conflicts is
	// not empty.
	Content []byte
	// Conflicts lists the conflict regions in order.
	Conflicts []Conflict
}

// Clean reports whether the merge had no conflict.
func (r Result) Clean() bool { return len(r.Conflicts) == 0 }

// Merge combines the changes from base to ours and from base to theirs, line
// by line, with diff3 semantics: a region changed on one side only takes
// that side; a region both sides changed the same way takes the change once;
// overlapping or adjacent regions changed differently are a conflict, written
// with standard markers, ours first.
//
// In particular Merge(base, base, theirs) is theirs, Merge(base, ours, base)
// is ours and Merge(base, x, x) is x, all without conflict.
func Merge(base, ours, theirs []byte, opts Options) Result {
	switch {
	case bytes.Equal(ours, theirs), bytes.Equal(base, theirs):
		return Result{Content: bytes.Clone(ours)}
	case bytes.Equal(base, ours):
		return Result{Content: bytes.Clone(theirs)}
	}
	m := merger{
		base:   splitLines(string(base)),
		ours:   splitLines(string(ours)),
		theirs: splitLines(string(theirs)),
		opts:   opts,
	}
	m.run(lineDiff(string(base), string(ours)), lineDiff(string(base), string(theirs)))
	return Result{Content: []byte(m.out.String()), Conflicts: m.conflicts}
}

type merger struct {
	base, ours, theirs []string
	opts               Options

	out       strings.Builder
	line      int // lines written to out
	conflicts []Conflict
}

func (m *merger) run(eo, et []edit) {
	pos := 0 // next base line not yet written
	i, j := 0, 0
	for i < len(eo) || j < len(et) {
		// Start a group at the earliest edit, then absorb every edit of
		// either side that overlaps or touches the group's base region.
		i0, j0 := i, j
		var lo, hi int
		if j >= len(et) || (i < len(eo) && eo[i].A0 <= et[j].A0) {
			lo, hi = eo[i].A0, eo[i].A1
			i++
		} else {
			lo, hi = et[j].A0, et[j].A1
			j++
		}
	absorb:
		for {
			switch {
			case i < len(eo) && eo[i].A0 <= hi:
				hi = max(hi, eo[i].A1)
				i++
			case j < len(et) && et[j].A0 <= hi:
				hi = max(hi, et[j].A1)
				j++
			default:
				break absorb
			}
		}
		m.emit(m.base[pos:lo])
		pos = hi
		switch {
		case i == i0: // only theirs changed this region
			m.emit(apply(m.base, m.theirs, et[j0:j], lo, hi))
		case j == j0: // only ours
			m.emit(apply(m.base, m.ours, eo[i0:i], lo, hi))
		default:
			o := apply(m.base, m.ours, eo[i0:i], lo, hi)
			t := apply(m.base, m.theirs, et[j0:j], lo, hi)
			if equal(o, t) {
				m.emit(o)
			} else {
				m.conflict(o, m.base[lo:hi], t)
			}
		}
	}
	m.emit(m.base[pos:])
}

// apply returns base[lo:hi] with the edits (all inside [lo,hi]) applied,
// taking replacement lines from side.
func apply(base, side []string, edits []edit, lo, hi int) []string {
	var r []string
	at := lo
	for _, e := range edits {
		r = append(r, base[at:e.A0]...)
		r = append(r, side[e.B0:e.B1]...)
		at = e.A1
	}
	return append(r, base[at:hi]...)
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (m *merger) emit(lines []string) {
	for _, l := range lines {
		m.out.WriteString(l)
	}
	m.line += len(lines)
}

// emitSection writes lines inside a conflict; a last line without "\n" gets
// one so the next marker starts a line of its own.
func (m *merger) emitSection(lines []string) {
	m.emit(lines)
	if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1], "\n") {
		m.out.WriteByte('\n')
	}
}

func (m *merger) marker(mark, label string) {
	m.out.WriteString(mark)
	if label != "" {
		m.out.WriteByte(' ')
		m.out.WriteString(label)
	}
	m.out.WriteByte('\n')
	m.line++
}

func (m *merger) conflict(ours, base, theirs []string) {
	if !m.opts.ShowBase {
		// Lines both sides agree on at the edges are not in conflict.
		p := 0
		for p < len(ours) && p < len(theirs) && ours[p] == theirs[p] {
			p++
		}
		m.emit(ours[:p])
		ours, theirs = ours[p:], theirs[p:]
		s := 0
		for s < len(ours) && s < len(theirs) && ours[len(ours)-1-s] == theirs[len(theirs)-1-s] {
			s++
		}
		defer m.emit(ours[len(ours)-s:])
		ours, theirs = ours[:len(ours)-s], theirs[:len(theirs)-s]
	}
	start := m.line + 1
	m.marker("<<<<<<<", label(m.opts.OursLabel, DefaultOursLabel))
	m.emitSection(ours)
	if m.opts.ShowBase {
		m.marker("|||||||", label(m.opts.BaseLabel, DefaultBaseLabel))
		m.emitSection(base)
	}
	m.marker("=======", "")
	m.emitSection(theirs)
	m.marker(">>>>>>>", label(m.opts.TheirsLabel, DefaultTheirsLabel))
	m.conflicts = append(m.conflicts, Conflict{StartLine: start, EndLine: m.line})
}

func label(l, def string) string {
	if l == "" {
		return def
	}
	return l
}

// TwoWay marks every difference between ours and theirs as a conflict, for
// when the base is unknown: without it no change can be attributed to a
// side, so none is taken silently. Lines both have are kept once.
func TwoWay(ours, theirs []byte, opts Options) Result {
	if bytes.Equal(ours, theirs) {
		return Result{Content: bytes.Clone(ours)}
	}
	opts.ShowBase = false
	m := merger{ours: splitLines(string(ours)), theirs: splitLines(string(theirs)), opts: opts}
	at := 0
	for _, e := range lineDiff(string(ours), string(theirs)) {
		m.emit(m.ours[at:e.A0])
		m.conflict(m.ours[e.A0:e.A1], nil, m.theirs[e.B0:e.B1])
		at = e.A1
	}
	m.emit(m.ours[at:])
	return Result{Content: []byte(m.out.String()), Conflicts: m.conflicts}
}

// MarkerLine returns the 1-based line of the first conflict marker in data
// (a line that is "<<<<<<<" or ">>>>>>>", alone or followed by a space and
// a label, with LF or CRLF endings), or 0 when there is none. add, update
// and check use it to tell whether a marked file is resolved.
func MarkerLine(data []byte) int {
	if !bytes.Contains(data, []byte("<<<<<<<")) && !bytes.Contains(data, []byte(">>>>>>>")) {
		return 0
	}
	for n, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSuffix(l, "\r")
		for _, mk := range []string{"<<<<<<<", ">>>>>>>"} {
			if l == mk || strings.HasPrefix(l, mk+" ") {
				return n + 1
			}
		}
	}
	return 0
}
