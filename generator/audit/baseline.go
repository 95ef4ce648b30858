package audit

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/mod/semver"

	"github.com/secgen/secgen/generator/manifest"
)

// DiagWeakened: the project's manifest audits less than the base branch's
// (a component or control dropped, an older secgen or catalog version)
// without a recorded opt-out.
const DiagWeakened = "weakened"

// CompareManifests lists how head (a pull request's manifest) audits less
// than base (the base branch's): each dropped component or control, and an
// older secgen or catalog version, fails unless head's audit_opt_out names
// it with a reason; an opt-out that is used is reported without failing.
func CompareManifests(base, head *manifest.Manifest) []Diagnostic {
	var out []Diagnostic
	opt := head.AuditOptOut
	if opt != nil && strings.TrimSpace(opt.Reason) == "" {
		out = append(out, Diagnostic{File: manifest.FileName, Kind: DiagWeakened, Fails: true,
			Reason: "audit_opt_out has no reason; an opt-out records why the owners accept it"})
		opt = nil
	}
	weakened := func(allowed bool, what string) {
		if allowed {
			out = append(out, Diagnostic{File: manifest.FileName, Kind: DiagWeakened,
				Reason: what + ", as audit_opt_out records: " + opt.Reason})
			return
		}
		out = append(out, Diagnostic{File: manifest.FileName, Kind: DiagWeakened, Fails: true,
			Reason: what + " compared with the base branch; record it in audit_opt_out (with its reason) if the code owners accept it"})
	}
	headComps := map[string]bool{}
	for _, c := range head.Components {
		headComps[c.Name] = true
	}
	for _, c := range base.Components {
		if !headComps[c.Name] {
			weakened(opt != nil && slices.Contains(opt.Components, c.Name), fmt.Sprintf("component %s is dropped", c.Name))
		}
	}
	for _, id := range base.Controls {
		if !slices.Contains(head.Controls, id) {
			weakened(opt != nil && slices.Contains(opt.Controls, id), fmt.Sprintf("control %s is dropped", id))
		}
	}
	older := func(b, h string) bool {
		vb, vh := "v"+b, "v"+h
		return semver.IsValid(vb) && (!semver.IsValid(vh) || semver.Compare(vh, vb) < 0)
	}
	if older(base.SecgenVersion, head.SecgenVersion) {
		weakened(opt != nil && opt.Downgrade, fmt.Sprintf("secgen goes back from %s to %s", base.SecgenVersion, head.SecgenVersion))
	}
	if base.Catalog.ID != head.Catalog.ID {
		weakened(opt != nil && opt.Downgrade, fmt.Sprintf("the catalog changes from %s to %s", base.Catalog.ID, head.Catalog.ID))
	} else if older(base.Catalog.Version, head.Catalog.Version) {
		weakened(opt != nil && opt.Downgrade, fmt.Sprintf("catalog %s goes back from %s to %s", base.Catalog.ID, base.Catalog.Version, head.Catalog.Version))
	}
	return out
}
