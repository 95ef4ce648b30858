package audit

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/lazyre"
)

// Waiver is an accepted exception: findings of one rule (or of every rule
// of one control) in the files a glob matches, optionally of one object and
// element, are waived until the expiry date, for a recorded reason. A
// waived finding is listed apart and does not fail the audit; an expired
// waiver waives nothing and says so.
type Waiver struct {
	// Rule is a rule ID or a control ID.
	Rule string `yaml:"rule" json:"rule"`
	// File is a glob of project paths.
	File string `yaml:"file" json:"file"`
	// Object and Element narrow the waiver to one object ("Deployment/api")
	// and one container, job or step; empty matches any.
	Object  string `yaml:"object,omitempty" json:"object,omitempty"`
	Element string `yaml:"element,omitempty" json:"element,omitempty"`
	// Reason says why the exception is accepted.
	Reason string `yaml:"reason" json:"reason"`
	// Expires is the last day (YYYY-MM-DD) the waiver holds.
	Expires string `yaml:"expires" json:"expires"`
	// Source is where the waiver is recorded (a file, or FILE:LINE for an
	// inline waiver).
	Source string `yaml:"-" json:"source"`
	line   int
}

// Config is an audit configuration file: paths not audited, answers for
// rules that need them when there is no manifest, and accepted exceptions.
type Config struct {
	// Exclude are globs of project paths the audit does not read.
	Exclude []string `yaml:"exclude"`
	// Set gives answers (the egress allow list's database_port,
	// oidc_issuer…) when the directory has no manifest.
	Set map[string]any `yaml:"set"`
	// Waivers are accepted exceptions.
	Waivers []Waiver `yaml:"waivers"`
}

// ParseConfig reads an audit configuration or baseline file; name is how
// messages and waivers refer to it. Every waiver needs a rule, a file glob,
// a reason and an expiry date.
func ParseConfig(name string, data []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && err.Error() != "EOF" {
		return nil, failure.Invalidf("%s is not a valid audit configuration: %s", failure.Quote(name), oneLine(strings.TrimPrefix(err.Error(), "yaml: ")))
	}
	for _, g := range c.Exclude {
		if !catalog.ValidGlob(g) {
			return nil, failure.Invalidf("%s: exclude %s is not a valid pattern", failure.Quote(name), failure.Quote(g))
		}
	}
	for i := range c.Waivers {
		w := &c.Waivers[i]
		w.Source = name
		if err := validWaiver(w); err != "" {
			return nil, failure.Invalidf("%s: waivers[%d]: %s", failure.Quote(name), i, err)
		}
	}
	return &c, nil
}

func validWaiver(w *Waiver) string {
	switch {
	case strings.TrimSpace(w.Rule) == "":
		return "a waiver names the rule or control it waives"
	case w.File == "" || !catalog.ValidGlob(w.File):
		return "a waiver names the files it covers with a valid pattern"
	case strings.TrimSpace(w.Reason) == "":
		return "a waiver records the reason the exception is accepted"
	}
	if _, err := time.Parse(time.DateOnly, w.Expires); err != nil {
		return "a waiver expires on a date written YYYY-MM-DD"
	}
	return ""
}

// inlineWaiver is `secgen:waive RULE expires=YYYY-MM-DD reason="…"` in a
// comment; trailing a line it waives the rule's findings on that line, on a
// line of its own those on the next line.
var inlineWaiver = lazyre.New(`secgen:waive\s+(\S+)(?:\s+expires=(\S+))?(?:\s+reason="([^"]*)")?`)

// scanInlineWaivers finds the inline waivers of a file's text.
func scanInlineWaivers(p string, data []byte) ([]Waiver, []Diagnostic) {
	if !bytes.Contains(data, []byte("secgen:waive")) {
		return nil, nil
	}
	var (
		out   []Waiver
		diags []Diagnostic
	)
	for i, line := range strings.Split(string(data), "\n") {
		m := inlineWaiver.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		// A waiver trailing a line waives that line; one on a line of its
		// own waives the next.
		target := i + 1
		if before, _, _ := strings.Cut(line, "secgen:waive"); strings.TrimSpace(strings.TrimRight(strings.TrimSpace(before), "#/")) == "" {
			target = i + 2
		}
		w := Waiver{Rule: m[1], File: p, Expires: m[2], Reason: m[3], Source: p + ":" + strconv.Itoa(i+1), line: target}
		if err := validWaiver(&w); err != "" {
			diags = append(diags, Diagnostic{File: p, Line: i + 1, Kind: DiagWaiver, Reason: err + ` (secgen:waive RULE expires=YYYY-MM-DD reason="…"); it waives nothing`})
			continue
		}
		out = append(out, w)
	}
	return out, diags
}

type inlineSet struct {
	waivers []Waiver
	diags   []Diagnostic
}

// inlineWaivers gathers the inline waivers of the parsed files, once per
// file.
func inlineWaivers(parsed []parsedFile) inlineSet {
	var out inlineSet
	seen := map[string]bool{}
	for _, pf := range parsed {
		if seen[pf.Path] {
			continue
		}
		seen[pf.Path] = true
		out.waivers = append(out.waivers, pf.Waivers...)
		out.diags = append(out.diags, pf.WaiverDiags...)
	}
	return out
}

// checkWaivers reports the expired waivers.
func checkWaivers(ws []Waiver, today string) []Diagnostic {
	var out []Diagnostic
	for _, w := range ws {
		if w.Expires < today {
			out = append(out, Diagnostic{File: w.File, Line: w.line, Kind: DiagWaiver, Rule: w.Rule,
				Reason: fmt.Sprintf("the waiver of %s recorded in %s expired on %s; its findings are reported again", w.Rule, w.Source, w.Expires)})
		}
	}
	return out
}

// matchWaiver returns the first unexpired waiver covering f.
func matchWaiver(ws []Waiver, f Finding, today string) *Waiver {
	for i := range ws {
		w := &ws[i]
		if w.Expires < today || (w.Rule != f.Rule && w.Rule != f.Control) {
			continue
		}
		if w.line > 0 {
			if w.File != f.File || f.Line != w.line {
				continue
			}
		} else if !catalog.GlobMatch(w.File, f.File) {
			continue
		}
		if (w.Object != "" && w.Object != f.Object) || (w.Element != "" && w.Element != f.Element) {
			continue
		}
		c := *w
		return &c
	}
	return nil
}
