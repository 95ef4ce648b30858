// Package templates embeds secgen's built-in catalog: one directory per
// component with its component.yaml and files/ tree of *.tmpl templates, plus
// the catalog's id/version (catalog.yaml), its hardening controls
// (controls.yaml), the questions its components share (questions.yaml) and
// the pinned actions table (pins.tsv). Each component also has a checks.yaml
// of audit rules (docs/audit.md) and a breakages.yaml of the deliberate
// regressions those rules must catch (secgen test applies them). It is data;
// it imports nothing. See docs/catalog-format.md.
package templates

import "embed"

// FS holds the built-in catalog's templates.
//
//go:embed catalog.yaml controls.yaml questions.yaml pins.tsv */component.yaml */checks.yaml */breakages.yaml all:*/files
var FS embed.FS
