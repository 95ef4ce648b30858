package lint

import (
	"fmt"
	"strings"

	"github.com/secgen/secgen/generator/audit"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/lazyre"
)

// rules runs the checks on a component's audit rules: every expression
// compiles in the audit's CEL environment, every claimed control has a
// rule, every rule's match can select a file the component renders, and
// every rule has a breakage that proves it can fail.
func (l *linter) rules() error {
	issues, err := audit.Diagnose(l.cat)
	if err != nil {
		return err
	}
	for _, is := range issues {
		l.report("templates/"+is.File, is.Line, CheckRuleExpr, fmt.Sprintf("rule %s: %s: %s", is.Rule, is.Field, is.Message))
	}
	for _, name := range l.cat.ComponentNames() {
		comp, _ := l.cat.Component(name)
		checks, err := comp.Checks()
		if err != nil {
			return err
		}
		breakages, err := comp.Breakages()
		if err != nil {
			return err
		}
		ruled := map[string]bool{}
		broken := map[string]bool{}
		for _, b := range breakages {
			broken[b.Rule] = true
		}
		for _, c := range checks {
			ruled[c.Control] = true
			file := "templates/" + c.Pos.File
			if !canSelect(c.Match, comp.Sources) {
				l.report(file, c.Pos.At("match"), CheckRuleMatch, fmt.Sprintf("rule %s: match %q can never select a file component %s renders", c.ID, c.Match, name))
			}
			if !broken[c.ID] {
				l.warn(file, c.Pos.Line, CheckUntested, fmt.Sprintf("rule %s has no breakage in %s: nothing shows it can fail", c.ID, catalog.BreakagesFile))
			}
		}
		if len(comp.Controls) == 0 {
			continue
		}
		var lines map[string]int
		for _, ctl := range comp.Controls {
			if ruled[ctl.ID] {
				continue
			}
			if lines == nil {
				lines = controlLines(l.src, name)
			}
			l.report("templates/"+name+"/component.yaml", lines[ctl.ID], CheckUnproven,
				fmt.Sprintf("component %s claims control %s but its checks.yaml has no rule for it", name, ctl.ID))
		}
	}
	return nil
}

// controlLines maps the control IDs a component.yaml claims to their lines.
func controlLines(src catalog.Source, component string) map[string]int {
	out := map[string]int{}
	for _, id := range sequence(field(parseYAML(src.Templates, component+"/component.yaml"), "controls")) {
		if n := field(id, "id"); n != nil {
			id = n
		}
		out[id.Value] = id.Line
	}
	return out
}

var action = lazyre.New(`\{\{.*?\}\}`)

// canSelect reports whether a rule's match could select some file rendered
// from one of the sources: a template action in a path ({{ .name }}) may
// render to any text within its segment.
func canSelect(match string, sources []string) bool {
	pat := strings.Split(match, "/")
	for _, s := range sources {
		if segmentsMeet(pat, strings.Split(action.ReplaceAllString(s, "\x00"), "/")) {
			return true
		}
	}
	return false
}

// segmentsMeet reports whether the glob segments pat ("**" spans any
// number of segments) and the source segments src (NUL stands for any text)
// can match one same path.
func segmentsMeet(pat, src []string) bool {
	if len(pat) == 0 {
		return len(src) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(src); i++ {
			if segmentsMeet(pat[1:], src[i:]) {
				return true
			}
		}
		return false
	}
	if len(src) == 0 {
		return false
	}
	for _, alt := range braces(pat[0]) {
		if globsMeet([]rune(alt), []rune(src[0])) {
			return segmentsMeet(pat[1:], src[1:])
		}
	}
	return false
}

// braces expands one {a,b} group of a segment, as the audit's globs do.
func braces(seg string) []string {
	open := strings.IndexByte(seg, '{')
	end := strings.IndexByte(seg, '}')
	if open < 0 || end < open {
		return []string{seg}
	}
	var out []string
	for _, alt := range strings.Split(seg[open+1:end], ",") {
		out = append(out, seg[:open]+alt+seg[end+1:])
	}
	return out
}

// globsMeet reports whether a path.Match pattern and a source segment, in
// which NUL stands for any text, can match one same name. Character
// classes are taken to match any one character (an over-approximation: a
// rule is reported only when it can never match).
func globsMeet(p, s []rune) bool {
	memo := map[[2]int]bool{}
	seen := map[[2]int]bool{}
	var meet func(i, j int) bool
	meet = func(i, j int) bool {
		k := [2]int{i, j}
		if seen[k] {
			return memo[k]
		}
		seen[k] = true
		var ok bool
		switch {
		case i == len(p) && j == len(s):
			ok = true
		case i < len(p) && p[i] == '*':
			ok = meet(i+1, j) || (j < len(s) && meet(i, j+1))
		case j < len(s) && s[j] == 0:
			ok = meet(i, j+1) || (i < len(p) && meet(i+1, j))
		case i == len(p) || j == len(s):
			ok = false
		default:
			n, single := one(p, i)
			ok = single(s[j]) && meet(n, j+1)
		}
		memo[k] = ok
		return ok
	}
	return meet(0, 0)
}

// one reads the single-character pattern element at p[i] (a literal, an
// escaped literal, ? or a [class]) and returns the index after it and what
// it accepts.
func one(p []rune, i int) (int, func(rune) bool) {
	switch p[i] {
	case '?':
		return i + 1, func(rune) bool { return true }
	case '[':
		for k := i + 1; k < len(p); k++ {
			if p[k] == ']' && k > i+1 {
				return k + 1, func(rune) bool { return true }
			}
		}
	case '\\':
		if i+1 < len(p) {
			c := p[i+1]
			return i + 2, func(r rune) bool { return r == c }
		}
	}
	c := p[i]
	return i + 1, func(r rune) bool { return r == c }
}
