package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/secgen/secgen/generator/controls"
)

// DocsURL is where each control's rules are documented; a control's
// anchor is its lower-case ID (docs/audit.md has one heading per control).
const DocsURL = "https://github.com/secgen/secgen/blob/main/docs/audit.md"

// HelpURI is the documentation address of a control.
func HelpURI(id string) string { return DocsURL + "#" + strings.ToLower(id) }

// WriteText writes one block per finding and a summary line.
func WriteText(w io.Writer, rep *Report) error {
	var b strings.Builder
	for _, f := range rep.Findings {
		loc := f.File
		if f.Line > 0 {
			loc = fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		fmt.Fprintf(&b, "%s: %s %s (%s): %s\n", loc, f.Severity, f.Control, f.ControlTitle, f.Message)
		fmt.Fprintf(&b, "  rule: %s\n  fix:  %s\n", f.Rule, f.Fix)
		if f.Restorable {
			b.WriteString("  `secgen update` restores it\n")
		}
	}
	fmt.Fprintf(&b, "%d finding(s); %d rule(s) of %s over %d file(s), %d control(s)\n",
		len(rep.Findings), rep.Rules, strings.Join(rep.Components, ", "), rep.Files, len(rep.Controls))
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// SARIF 2.1.0, the subset secgen writes.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	HelpURI              string         `json:"helpUri"`
	Help                 sarifText      `json:"help"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID     string          `json:"ruleId"`
	RuleIndex  int             `json:"ruleIndex"`
	Level      string          `json:"level"`
	Message    sarifText       `json:"message"`
	Locations  []sarifLocation `json:"locations"`
	Properties map[string]any  `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

// WriteSARIF writes the report as a SARIF 2.1.0 log: one reporting rule per
// control the audit evaluated, with helpUri at the control's documentation,
// and one result per finding.
func WriteSARIF(w io.Writer, rep *Report, reg *controls.Registry, version string) error {
	index := map[string]int{}
	var rules []sarifRule
	for _, id := range rep.Controls {
		c, _ := reg.Lookup(id)
		index[id] = len(rules)
		rules = append(rules, sarifRule{
			ID:                   id,
			Name:                 strings.ReplaceAll(id, "-", ""),
			ShortDescription:     sarifText{Text: c.Title},
			FullDescription:      sarifText{Text: fullDescription(c)},
			HelpURI:              HelpURI(id),
			Help:                 sarifText{Text: "What the audit rules of " + id + " prove: " + HelpURI(id)},
			DefaultConfiguration: sarifConfig{Level: "error"},
			Properties:           map[string]any{"tags": []string{"security", strings.ToLower(c.Area())}},
		})
	}
	results := []sarifResult{}
	for _, f := range rep.Findings {
		i, ok := index[f.Control]
		if !ok {
			continue
		}
		text := f.Message + ". Fix: " + f.Fix
		if f.Restorable {
			text += " (`secgen update` restores it)"
		}
		loc := sarifPhysical{ArtifactLocation: sarifArtifact{URI: f.File}}
		if f.Line > 0 {
			loc.Region = &sarifRegion{StartLine: f.Line}
		}
		results = append(results, sarifResult{
			RuleID:     f.Control,
			RuleIndex:  i,
			Level:      sarifLevel(f.Severity),
			Message:    sarifText{Text: text},
			Locations:  []sarifLocation{{PhysicalLocation: loc}},
			Properties: map[string]any{"rule": f.Rule, "component": f.Component},
		})
	}
	if rules == nil {
		rules = []sarifRule{}
	}
	log := sarifLog{
		Schema:  "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
		Version: "2.1.0",
		Runs: []sarifRun{{
			Tool:    sarifTool{Driver: sarifDriver{Name: "secgen", Version: version, InformationURI: "https://github.com/secgen/secgen", Rules: rules}},
			Results: results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

func sarifLevel(severity string) string {
	switch severity {
	case "warning":
		return "warning"
	case "note":
		return "note"
	}
	return "error"
}

func fullDescription(c controls.Control) string {
	if c.Description != "" {
		return c.ID + ": " + c.Description
	}
	return c.ID + ": " + c.Title
}
