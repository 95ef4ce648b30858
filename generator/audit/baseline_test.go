package audit_test

import (
	"strings"
	"testing"

	"github.com/secgen/secgen/generator/audit"
	"github.com/secgen/secgen/generator/manifest"
)

func manifestOf(version, catVersion string, comps []string, ctls []string) *manifest.Manifest {
	m := &manifest.Manifest{SecgenVersion: version, Catalog: manifest.CatalogRef{ID: "builtin", Version: catVersion}, Controls: ctls}
	for _, c := range comps {
		m.Components = append(m.Components, manifest.ComponentRef{Name: c})
	}
	return m
}

// TestPullRequestCannotSwitchItsAuditOff: a head manifest that drops a
// component or a control, or goes back in secgen or catalog version, fails
// against the base's; the same change recorded in audit_opt_out with a
// reason is reported without failing; an opt-out without reason fails.
func TestPullRequestCannotSwitchItsAuditOff(t *testing.T) {
	t.Parallel()
	base := manifestOf("1.4.0", "0.3.0", []string{"go-service", "k8s"}, []string{"APP-01", "K8S-02"})
	failing := func(ds []audit.Diagnostic) []string {
		var out []string
		for _, d := range ds {
			if d.Fails {
				out = append(out, d.Reason)
			}
		}
		return out
	}
	if ds := audit.CompareManifests(base, base); len(ds) != 0 {
		t.Fatalf("an unchanged manifest: %+v", ds)
	}
	newer := manifestOf("1.5.0", "0.4.0", []string{"go-service", "k8s", "backstage"}, []string{"APP-01", "K8S-02", "SEC-01"})
	if ds := audit.CompareManifests(base, newer); len(ds) != 0 {
		t.Fatalf("an upgrade that adds: %+v", ds)
	}
	head := manifestOf("1.3.9", "0.2.0", []string{"go-service"}, []string{"APP-01"})
	got := failing(audit.CompareManifests(base, head))
	for _, want := range []string{"component k8s is dropped", "control K8S-02 is dropped", "secgen goes back from 1.4.0 to 1.3.9", "catalog builtin goes back from 0.3.0 to 0.2.0"} {
		if !strings.Contains(strings.Join(got, "\n"), want) {
			t.Errorf("no failing %q in %q", want, got)
		}
	}
	dev := manifestOf("dev", "0.3.0", []string{"go-service", "k8s"}, []string{"APP-01", "K8S-02"})
	if len(failing(audit.CompareManifests(base, dev))) != 1 {
		t.Error("a development secgen version replacing a release is not refused")
	}
	head.AuditOptOut = &manifest.AuditOptOut{Components: []string{"k8s"}, Controls: []string{"K8S-02"}, Downgrade: true, Reason: "the cluster moved to the platform team"}
	ds := audit.CompareManifests(base, head)
	if f := failing(ds); len(f) != 0 || len(ds) != 4 {
		t.Errorf("a recorded opt-out: failing %q, %d diagnostics", f, len(ds))
	}
	head.AuditOptOut.Reason = " "
	if len(failing(audit.CompareManifests(base, head))) == 0 {
		t.Error("an opt-out without a reason is accepted")
	}
}
