package audit

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/overloads"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
)

// matchesOptimizations compile the constant pattern of matches() once per
// Compile (patterns), as CEL's own optimization does once per program, but
// split a pattern that is an alternation at its top (A|B|C) into one
// expression per branch, tried in turn. A text contains a match of A|B|C
// exactly when it contains a match of one of them, so the result is the
// same; but each branch alone often starts with a literal ("-----BEGIN ",
// "AKIA"), which the regexp package finds with a string search instead of
// stepping its automaton through every byte of a file. A branch that does
// not start with one is guarded by a literal every match of it contains
// (branch). The secret-scanning rules read every file whole: this is most
// of an audit's matching time.
func matchesOptimizations(patterns *patternCache) cel.ProgramOption {
	var opts []*interpreter.RegexOptimization
	factory := func(call interpreter.InterpretableCall, pattern string) (interpreter.InterpretableCall, error) {
		return splitMatches(call, patterns, pattern)
	}
	for _, id := range []string{overloads.Matches, overloads.MatchesString} {
		opts = append(opts, &interpreter.RegexOptimization{Function: overloads.Matches, OverloadID: id, RegexIndex: 1, Factory: factory})
	}
	return cel.OptimizeRegex(opts...)
}

// patternCache holds each pattern's branches, compiled once for every
// program that matches against it (the secret patterns recur in four
// components' rules).
type patternCache struct {
	mu sync.Mutex
	m  map[string]*compiledPattern
}

type compiledPattern struct {
	once     sync.Once
	branches []branch
	err      error
}

func newPatternCache() *patternCache { return &patternCache{m: map[string]*compiledPattern{}} }

// branches returns pattern compiled (compileBranches), once.
func (c *patternCache) branches(pattern string) ([]branch, error) {
	c.mu.Lock()
	e := c.m[pattern]
	if e == nil {
		e = &compiledPattern{}
		c.m[pattern] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.branches, e.err = compileBranches(pattern) })
	return e.branches, e.err
}

// splitMatches is the RegexOptimization factory of matchesOptimizations.
func splitMatches(call interpreter.InterpretableCall, patterns *patternCache, pattern string) (interpreter.InterpretableCall, error) {
	branches, err := patterns.branches(pattern)
	if err != nil {
		return nil, err
	}
	return interpreter.NewCall(call.ID(), call.Function(), call.OverloadID(), call.Args(), func(values ...ref.Val) ref.Val {
		if len(values) != 2 {
			return types.NoSuchOverloadErr()
		}
		in, ok := values[0].Value().(string)
		if !ok {
			return types.NoSuchOverloadErr()
		}
		for _, b := range branches {
			if b.match(in) {
				return types.True
			}
		}
		return types.False
	}), nil
}

// branch is one expression of a pattern's top-level alternation, with what
// makes trying it cheap.
type branch struct {
	re *regexp.Regexp // nil when anchored is tried instead
	// lead are literals one of which every match of re starts with, when
	// re has no literal prefix the regexp package searches for itself (a
	// case-insensitive one, or an alternation): re is then tried, anchored,
	// only where one of them occurs.
	lead     []literal
	anchored *regexp.Regexp
	// guard is a literal every match of re contains: a text without it is
	// not searched with re at all.
	guard *literal
	// lineLocal says no match of re contains a line end and re has no
	// text anchor, so re matches a text exactly when it matches one of its
	// lines: only the lines holding the guard are searched.
	lineLocal bool
}

// literal is a string a match holds; fold says it matches
// case-insensitively, as (?i) does (simple case folding: "k" also matches
// the Kelvin sign).
type literal struct {
	runes []rune
	fold  bool
	first string // the runes equal to the first one under folding
}

// match reports whether re matches s.
func (b *branch) match(s string) bool {
	switch {
	case b.lead != nil:
		for _, l := range b.lead {
			for i := 0; i < len(s); {
				j := l.index(s[i:])
				if j < 0 {
					break
				}
				if b.anchored.MatchString(s[i+j:]) {
					return true
				}
				_, w := utf8.DecodeRuneInString(s[i+j:])
				i += j + w
			}
		}
		return false
	case b.guard == nil:
		return b.re.MatchString(s)
	}
	for i := 0; i <= len(s); {
		j := b.guard.index(s[i:])
		if j < 0 {
			return false
		}
		if !b.lineLocal {
			return b.re.MatchString(s)
		}
		j += i
		start := strings.LastIndexByte(s[:j], '\n') + 1
		end := len(s)
		if e := strings.IndexByte(s[j:], '\n'); e >= 0 {
			end = j + e
		}
		if b.re.MatchString(s[start:end]) {
			return true
		}
		i = end + 1
	}
	return false
}

// index is the offset of the first occurrence of lit in s, or -1.
func (l *literal) index(s string) int {
	if !l.fold {
		return strings.Index(s, string(l.runes))
	}
	for i := 0; i < len(s); {
		j := strings.IndexAny(s[i:], l.first)
		if j < 0 {
			return -1
		}
		i += j
		if foldPrefix(s[i:], l.runes) {
			return i
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return -1
}

// foldPrefix reports whether s starts with runes equal to lit's under
// simple case folding (the regexp package's (?i)).
func foldPrefix(s string, lit []rune) bool {
	for _, r := range lit {
		c, w := utf8.DecodeRuneInString(s)
		if w == 0 || !equalFold(c, r) {
			return false
		}
		s = s[w:]
	}
	return true
}

// equalFold reports whether c and r are in the same simple-folding orbit.
func equalFold(c, r rune) bool {
	if c == r {
		return true
	}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f == c {
			return true
		}
	}
	return false
}

// compileBranches compiles pattern as the expressions of its top-level
// alternation (pattern itself when it is not one). An invalid pattern is
// the error regexp.Compile gives for it.
func compileBranches(pattern string) ([]branch, error) {
	whole, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	tree, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return []branch{{re: whole}}, nil
	}
	if tree.Op != syntax.OpAlternate {
		return []branch{newBranch(whole, tree)}, nil
	}
	out := make([]branch, 0, len(tree.Sub))
	for _, sub := range tree.Sub {
		out = append(out, newBranch(nil, sub))
	}
	for _, b := range out {
		if b.re == nil && b.anchored == nil {
			return []branch{{re: whole}}, nil
		}
	}
	return out, nil
}

// newBranch finds what makes matching tree cheap (re, when not nil, is it
// compiled): the literals its matches start with, else the longest literal
// they contain. One plain literal prefix, which the regexp package
// searches for itself, needs neither.
func newBranch(re *regexp.Regexp, tree *syntax.Regexp) branch {
	if lead := leadingLiterals(tree); len(lead) > 1 || len(lead) == 1 && lead[0].fold {
		if anchored, err := regexp.Compile(`^(?:` + tree.String() + `)`); err == nil {
			return branch{lead: lead, anchored: anchored}
		}
	}
	if re == nil {
		var err error
		if re, err = regexp.Compile(tree.String()); err != nil {
			return branch{}
		}
	}
	b := branch{re: re}
	if prefix, _ := re.LiteralPrefix(); prefix != "" {
		return b
	}
	if g := requiredLiteral(tree); g != nil {
		b.guard, b.lineLocal = g, !spansLines(tree)
	}
	return b
}

// usable returns l ready for searching (nil when it cannot guard: empty,
// or holding the rune invalid UTF-8 decodes to), folding only when a rune
// has another case.
func usable(runes []rune, fold bool) *literal {
	if len(runes) == 0 || slices.Contains(runes, utf8.RuneError) {
		return nil
	}
	l := &literal{runes: runes, fold: fold && hasFolds(runes)}
	first := []rune{runes[0]}
	for f := unicode.SimpleFold(runes[0]); f != runes[0]; f = unicode.SimpleFold(f) {
		first = append(first, f)
	}
	l.first = string(first)
	return l
}

// leadingLiterals are literals one of which every match of re starts with
// (nil when that is not known).
func leadingLiterals(re *syntax.Regexp) []literal {
	switch re.Op {
	case syntax.OpLiteral:
		if l := usable(re.Rune, re.Flags&syntax.FoldCase != 0); l != nil {
			return []literal{*l}
		}
	case syntax.OpCapture, syntax.OpPlus:
		return leadingLiterals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return leadingLiterals(re.Sub[0])
		}
	case syntax.OpConcat:
		if len(re.Sub) > 0 {
			return leadingLiterals(re.Sub[0])
		}
	case syntax.OpAlternate:
		var out []literal
		for _, sub := range re.Sub {
			l := leadingLiterals(sub)
			if l == nil {
				return nil
			}
			out = append(out, l...)
		}
		return out
	}
	return nil
}

// hasFolds reports whether a rune of lit has another case.
func hasFolds(lit []rune) bool {
	for _, r := range lit {
		if unicode.SimpleFold(r) != r {
			return true
		}
	}
	return false
}

// requiredLiteral is the longest literal that every match of re contains;
// nil when none is known.
func requiredLiteral(re *syntax.Regexp) *literal {
	switch re.Op {
	case syntax.OpLiteral:
		return usable(re.Rune, re.Flags&syntax.FoldCase != 0)
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiteral(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiteral(re.Sub[0])
		}
	case syntax.OpConcat:
		var best *literal
		for _, sub := range re.Sub {
			if l := requiredLiteral(sub); l != nil && (best == nil || len(l.runes) > len(best.runes)) {
				best = l
			}
		}
		return best
	}
	return nil
}

// spansLines reports whether a match of re may contain a line end, or re
// asserts the beginning or end of the whole text (which a line of the text
// does not have): when it does not, a text holds a match of re exactly
// when one of its lines does. Word boundaries and the (?m) line anchors
// judge a line alone as they judge it in the text, a line end being no
// word character.
func spansLines(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral:
		return strings.ContainsRune(string(re.Rune), '\n')
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] <= '\n' && '\n' <= re.Rune[i+1] {
				return true
			}
		}
		return false
	case syntax.OpAnyChar, syntax.OpBeginText, syntax.OpEndText:
		return true
	case syntax.OpAnyCharNotNL, syntax.OpEmptyMatch, syntax.OpNoMatch,
		syntax.OpBeginLine, syntax.OpEndLine, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return false
	}
	for _, sub := range re.Sub {
		if spansLines(sub) {
			return true
		}
	}
	return false
}
