package lint

import (
	"regexp/syntax"
	"unicode"

	"github.com/secgen/secgen/generator/answers"
)

// safeRunes are the characters a restrictive pattern may admit: none of them
// can end a quoted string, start a comment, an interpolation or a new line
// in any of the target languages.
const safeRunes = "-._/:@+=,~"

// maxClassRunes bounds how many runes of one character-class range are
// examined; a larger range necessarily admits unsafe characters.
const maxClassRunes = 256

// FreeText reports whether a question's answer is free text, which may reach
// a file only through a quoting function. An answer is free text when the
// question is:
//
//   - a string or list question marked multiline, or
//   - a string or list question without validate.pattern, or
//   - a string or list question whose pattern admits any character other
//     than ASCII letters, digits and - . _ / : @ + = , ~ (for example a
//     space, a quote, a backslash, $, {, #, < or a line break).
//
// Enums, ints and bools are never free text; for lists the pattern applies
// to each item, and the items are the free text.
func FreeText(q *answers.Question) bool {
	if q.Type != answers.String && q.Type != answers.List {
		return false
	}
	if q.Multiline || q.Validate.Pattern == "" {
		return true
	}
	return !restrictive(q.Validate.Pattern)
}

// restrictive reports whether every string the pattern matches is made of
// letters, digits and safeRunes only.
func restrictive(pattern string) bool {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return false
	}
	return safeRegexp(re.Simplify())
}

func safeRegexp(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpNoMatch, syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine,
		syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if !safeRune(r) || (re.Flags&syntax.FoldCase != 0 && !safeRune(unicode.SimpleFold(r))) {
				return false
			}
		}
		return true
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if hi-lo >= maxClassRunes {
				return false
			}
			for r := lo; r <= hi; r++ {
				if !safeRune(r) {
					return false
				}
			}
		}
		return true
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return false
	default: // captures, repetitions, concatenations and alternations
		for _, sub := range re.Sub {
			if !safeRegexp(sub) {
				return false
			}
		}
		return true
	}
}

func safeRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	for _, s := range safeRunes {
		if r == s {
			return true
		}
	}
	return false
}
