package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/secgen/secgen/generator/controls"
)

// DocsURL is where each control's rules are documented; a control's
// anchor is its lower-case ID (docs/audit.md has one heading per control).
const DocsURL = "https://github.com/secgen/secgen/blob/main/docs/audit.md"

// HelpURI is the documentation address of a control.
func HelpURI(id string) string { return DocsURL + "#" + strings.ToLower(id) }

// WriteText writes one block per finding, the waived findings and the
// diagnostics (what was not audited), and a summary line.
func WriteText(w io.Writer, rep *Report) error {
	var b strings.Builder
	block := func(f Finding) {
		loc := f.File
		if f.Line > 0 {
			loc = fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		fmt.Fprintf(&b, "%s: %s %s (%s): %s\n", loc, f.Severity, f.Control, f.ControlTitle, f.Message)
		if where := strings.TrimSpace(strings.Join([]string{f.Object, f.Element}, " ")); f.Object != "" || f.Element != "" {
			if f.Object != "" && f.Element != "" {
				where = f.Object + ", " + f.Element
			}
			fmt.Fprintf(&b, "  in:   %s\n", where)
		}
		fmt.Fprintf(&b, "  rule: %s\n  fix:  %s\n", f.Rule, f.Fix)
		if f.Restorable {
			b.WriteString("  `secgen update` restores it\n")
		}
	}
	for _, f := range rep.Findings {
		block(f)
	}
	if len(rep.Waived) > 0 {
		fmt.Fprintf(&b, "\nwaived (accepted exceptions, not failing the audit):\n")
		for _, f := range rep.Waived {
			block(f)
			fmt.Fprintf(&b, "  waived until %s by %s: %s\n", f.Waiver.Expires, f.Waiver.Source, f.Waiver.Reason)
		}
	}
	if len(rep.Diagnostics) > 0 {
		fmt.Fprintf(&b, "\nnot audited:\n")
		for _, d := range rep.Diagnostics {
			loc := d.File
			if d.Line > 0 {
				loc = fmt.Sprintf("%s:%d", d.File, d.Line)
			}
			fmt.Fprintf(&b, "%s: %s: %s\n", loc, d.Kind, d.Reason)
		}
	}
	fmt.Fprintf(&b, "%d finding(s), %d waived, %d diagnostic(s); %d rule(s) of %s over %d file(s), %d control(s)\n",
		len(rep.Findings), len(rep.Waived), len(rep.Diagnostics), rep.Rules, strings.Join(rep.Components, ", "), rep.Files, len(rep.Controls))
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
	Tool               sarifTool                `json:"tool"`
	OriginalURIBaseIDs map[string]sarifArtifact `json:"originalUriBaseIds"`
	Invocations        []sarifInvocation        `json:"invocations"`
	Results            []sarifResult            `json:"results"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications"`
}

type sarifNotification struct {
	Level      string          `json:"level"`
	Message    sarifText       `json:"message"`
	Locations  []sarifLocation `json:"locations,omitempty"`
	Descriptor *sarifRef       `json:"descriptor,omitempty"`
}

type sarifRef struct {
	ID string `json:"id"`
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
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

// MaxSARIFResults is the most results GitHub code scanning accepts in one
// run; past it the log is truncated, with a warning notification.
const MaxSARIFResults = 25_000

// SARIFOptions shape a SARIF log.
type SARIFOptions struct {
	// Version is secgen's version, the driver's.
	Version string
	// Prefix is the audited directory's slash path relative to the
	// repository root ("" when it is the root), so URIs resolve from the
	// repository (%SRCROOT%) as code scanning expects.
	Prefix string
}

// srcRoot is the uriBaseId every artifact location is relative to.
const srcRoot = "%SRCROOT%"

// WriteSARIF writes the report as a SARIF 2.1.0 log (WriteSARIFWith with
// only the version).
func WriteSARIF(w io.Writer, rep *Report, reg *controls.Registry, version string) error {
	return WriteSARIFWith(w, rep, reg, SARIFOptions{Version: version})
}

// WriteSARIFWith writes the report as a SARIF 2.1.0 log for GitHub code
// scanning: one reporting rule per control the audit evaluated (helpUri at
// the control's documentation, a security-severity), one result per
// finding with a region and a stable partial fingerprint (rule, file,
// object, element), waived findings as suppressed results, diagnostics as
// tool notifications, repository-relative percent-encoded URIs, and at
// most MaxSARIFResults results.
func WriteSARIFWith(w io.Writer, rep *Report, reg *controls.Registry, opt SARIFOptions) error {
	index := map[string]int{}
	worst := map[string]string{}
	for _, f := range append(slices.Clone(rep.Findings), rep.Waived...) {
		if severityRank(f.Severity) > severityRank(worst[f.Control]) {
			worst[f.Control] = f.Severity
		}
	}
	var rules []sarifRule
	for _, id := range rep.Controls {
		c, _ := reg.Lookup(id)
		index[id] = len(rules)
		level := worst[id]
		if level == "" {
			level = "error"
		}
		rules = append(rules, sarifRule{
			ID:                   id,
			Name:                 strings.ReplaceAll(id, "-", ""),
			ShortDescription:     sarifText{Text: c.Title},
			FullDescription:      sarifText{Text: fullDescription(c)},
			HelpURI:              HelpURI(id),
			Help:                 sarifText{Text: "What the audit rules of " + id + " prove: " + HelpURI(id)},
			DefaultConfiguration: sarifConfig{Level: sarifLevel(level)},
			Properties: map[string]any{
				"tags":              []string{"security", strings.ToLower(c.Area())},
				"security-severity": securitySeverity(id, level),
			},
		})
	}
	results := []sarifResult{}
	seen := map[string]int{}
	add := func(f Finding, waived bool) {
		i, ok := index[f.Control]
		if !ok {
			return
		}
		text := f.Message + ". Fix: " + f.Fix
		if f.Object != "" || f.Element != "" {
			text = strings.TrimSpace(strings.Join([]string{f.Object, f.Element}, " ")) + ": " + text
		}
		if f.Restorable {
			text += " (`secgen update` restores it)"
		}
		file, line := f.File, f.Line
		if line <= 0 {
			// A required file is missing: the finding is recorded against
			// the manifest that claims the control (or the expected path).
			line = 1
			if rep.HasManifest {
				file = manifestFile
			}
		}
		key := strings.Join([]string{f.Rule, f.File, f.Object, f.Element}, "\x00")
		seen[key]++
		sum := sha256.Sum256([]byte(key + "\x00" + strconv.Itoa(seen[key])))
		r := sarifResult{
			RuleID:              f.Control,
			RuleIndex:           i,
			Level:               sarifLevel(f.Severity),
			Message:             sarifText{Text: text},
			Locations:           []sarifLocation{{PhysicalLocation: physical(opt.Prefix, file, line)}},
			PartialFingerprints: map[string]string{"secgenFinding/v1": hex.EncodeToString(sum[:16])},
			Properties:          map[string]any{"rule": f.Rule, "component": f.Component},
		}
		if f.Object != "" {
			r.Properties["object"] = f.Object
		}
		if f.Element != "" {
			r.Properties["element"] = f.Element
		}
		if waived {
			kind := "external"
			if strings.HasPrefix(f.Waiver.Source, f.File+":") {
				kind = "inSource"
			}
			r.Suppressions = []sarifSuppression{{Kind: kind, Justification: f.Waiver.Reason + " (until " + f.Waiver.Expires + ", " + f.Waiver.Source + ")"}}
		}
		results = append(results, r)
	}
	for _, f := range rep.Findings {
		add(f, false)
	}
	for _, f := range rep.Waived {
		add(f, true)
	}
	notes := []sarifNotification{}
	for _, d := range rep.Diagnostics {
		level := "note"
		if d.Fails {
			level = "error"
		}
		n := sarifNotification{Level: level, Message: sarifText{Text: d.File + ": " + d.Kind + ": " + d.Reason}, Descriptor: &sarifRef{ID: d.Kind}}
		if d.File != "" {
			n.Locations = []sarifLocation{{PhysicalLocation: physical(opt.Prefix, d.File, max(d.Line, 1))}}
		}
		notes = append(notes, n)
	}
	if len(results) > MaxSARIFResults {
		notes = append(notes, sarifNotification{Level: "warning", Message: sarifText{Text: fmt.Sprintf(
			"%d results exceed the %d code scanning accepts; the log holds the first %d (use -o json for all)", len(results), MaxSARIFResults, MaxSARIFResults)}})
		results = results[:MaxSARIFResults]
	}
	if rules == nil {
		rules = []sarifRule{}
	}
	log := sarifLog{
		Schema:  "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
		Version: "2.1.0",
		Runs: []sarifRun{{
			Tool:               sarifTool{Driver: sarifDriver{Name: "secgen", Version: opt.Version, InformationURI: "https://github.com/secgen/secgen", Rules: rules}},
			OriginalURIBaseIDs: map[string]sarifArtifact{srcRoot: {URI: "file:///"}},
			Invocations:        []sarifInvocation{{ExecutionSuccessful: true, ToolExecutionNotifications: notes}},
			Results:            results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

// Truncated reports whether a SARIF log of rep would be truncated.
func Truncated(rep *Report) bool { return len(rep.Findings)+len(rep.Waived) > MaxSARIFResults }

// manifestFile is where a finding about a missing file is recorded in SARIF.
const manifestFile = ".secgen.yaml"

// physical is a repository-relative, percent-encoded location.
func physical(prefix, file string, line int) sarifPhysical {
	p := file
	if prefix != "" {
		p = path.Join(prefix, file)
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return sarifPhysical{ArtifactLocation: sarifArtifact{URI: strings.Join(segs, "/"), URIBaseID: srcRoot}, Region: sarifRegion{StartLine: line}}
}

func severityRank(s string) int {
	switch s {
	case "error":
		return 3
	case "warning":
		return 2
	case "note":
		return 1
	}
	return 0
}

// criticalControls are those whose loss exposes the workload or account
// directly (a privileged container, a wildcard policy, a committed secret,
// untrusted code with the CI token).
var criticalControls = map[string]bool{"K8S-02": true, "IAM-01": true, "SEC-01": true, "SC-07": true, "K8S-09": true, "ENC-01": true}

// securitySeverity is the CVSS-like score code scanning ranks alerts by.
func securitySeverity(control, level string) string {
	switch {
	case level == "note":
		return "2.0"
	case level == "warning":
		return "4.0"
	case criticalControls[control]:
		return "9.0"
	}
	return "7.5"
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
