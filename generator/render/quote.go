package render

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// The quoting functions below are the only way free text should reach a
// rendered file: each produces data for one target language that no answer
// can turn into structure.

// yamlString returns s as a YAML double-quoted scalar. Every character that
// could end the scalar, break the line or be invisible is escaped.
func yamlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case needsEscape(r):
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// hclString returns s as an HCL quoted template string with interpolation
// and directive sequences escaped, so "${...}" stays literal text.
func hclString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	runes := []rune(s)
	for i, r := range runes {
		next := rune(0)
		if i+1 < len(runes) {
			next = runes[i+1]
		}
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '$' && next == '{':
			b.WriteString(`$$`)
		case r == '%' && next == '{':
			b.WriteString(`%%`)
		case needsEscape(r):
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// goString returns s as a Go interpreted string literal.
func goString(s string) string {
	return strconv.Quote(s)
}

// shellArg returns s as one POSIX shell word in single quotes.
func shellArg(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// markdownSpecial are characters with meaning in CommonMark or GitHub
// Flavored Markdown; each is backslash-escaped.
const markdownSpecial = "\\`*_{}[]()#+-.!|~=:"

// markdown returns s as Markdown text: markup characters are escaped, HTML is
// neutralised and each line is stripped of leading indentation (which would
// otherwise start a code block).
func markdown(s string) string {
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		line = strings.TrimLeftFunc(line, unicode.IsSpace)
		var b strings.Builder
		for _, r := range line {
			switch {
			case r == '&':
				b.WriteString("&amp;")
			case r == '<':
				b.WriteString("&lt;")
			case r == '>':
				b.WriteString("&gt;")
			case strings.ContainsRune(markdownSpecial, r):
				b.WriteByte('\\')
				b.WriteRune(r)
			case needsEscape(r):
				fmt.Fprintf(&b, "&#x%X;", r)
			default:
				b.WriteRune(r)
			}
		}
		lines[i] = strings.TrimRightFunc(b.String(), unicode.IsSpace)
	}
	return strings.Join(lines, "\n")
}

// commentLines prefixes every line of s with prefix (for example "# " or
// "// "), so multi-line text stays inside comments.
func commentLines(prefix, s string) string {
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		line = strings.Map(func(r rune) rune {
			if needsEscape(r) {
				return -1
			}
			return r
		}, line)
		lines[i] = strings.TrimRightFunc(prefix+line, unicode.IsSpace)
	}
	return strings.Join(lines, "\n")
}

// oneLine folds newlines and runs of white space into single spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// needsEscape reports characters that must never appear raw in a rendered
// file: control characters, line and paragraph separators, byte-order marks
// and bidirectional controls.
func needsEscape(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\ufeff' ||
		unicode.Is(unicode.Bidi_Control, r)
}
