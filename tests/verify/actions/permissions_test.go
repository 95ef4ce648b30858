package actions

import (
	"maps"
	"slices"
	"testing"
)

// wantPermissions is the least token each job needs (SC-06), per workflow file and job.
// The workflow's top-level permissions are `{}`, so a job's own block is its effective
// permission set; it must equal this table exactly, neither more nor less.
var wantPermissions = map[string]map[string]map[string]string{
	"ci.yml": {
		"test":        {"contents": "read"},
		"govulncheck": {"contents": "read"},
		"gosec":       {"contents": "read", "security-events": "write", "actions": "read"},
		"trivy":       {"contents": "read"},
		"secgen":      {"contents": "read", "security-events": "write", "actions": "read"},
	},
	"release.yml": {
		"build":   {"contents": "read", "packages": "write"},
		"sign":    {"id-token": "write", "packages": "write", "attestations": "write"},
		"verify":  {"packages": "read"},
		"release": {"contents": "write", "packages": "read"},
	},
	"codeql.yml": {
		"analyze": {"contents": "read", "security-events": "write", "actions": "read"},
	},
	"dependency-review.yml": {
		"review": {"contents": "read"},
	},
	"secgen-update.yml": {
		"check":  {"contents": "read"},
		"update": {"contents": "write", "pull-requests": "write"},
	},
	"scorecard.yml": {
		"analysis": {"contents": "read", "actions": "read", "security-events": "write"},
	},
}

func TestPermissionsLeastPrivilege(t *testing.T) {
	for _, tree := range workflowTrees(t) {
		for _, name := range workflowFiles(t, tree) {
			want, known := wantPermissions[name]
			if !known {
				t.Errorf("%s: workflow %s has no row in wantPermissions", tree.name, name)
				continue
			}
			w := loadWorkflow(t, tree, name)
			top, err := permissionsOf(w.Permissions)
			if err != nil || top == nil || len(top) != 0 {
				t.Errorf("%s/%s: top-level permissions must be {} (got %v, %v)", tree.name, name, top, err)
			}
			jobs := slices.Sorted(maps.Keys(w.Jobs))
			if wantJobs := slices.Sorted(maps.Keys(want)); !slices.Equal(jobs, wantJobs) {
				t.Errorf("%s/%s: jobs %v, want %v", tree.name, name, jobs, wantJobs)
			}
			for id, j := range w.Jobs {
				got, err := permissionsOf(j.Permissions)
				if err != nil {
					t.Errorf("%s/%s job %s: %v", tree.name, name, id, err)
					continue
				}
				if got == nil {
					got = top // a job without its own block inherits the top level
				}
				if !maps.Equal(got, want[id]) {
					t.Errorf("%s/%s job %s: permissions %v, want exactly %v", tree.name, name, id, got, want[id])
				}
			}
		}
	}
}

// TestIDTokenOnlyWhereSigning holds SC-06's sharpest rule on its own: across every
// rendered workflow, only release.yml's sign job may mint an OIDC token.
func TestIDTokenOnlyWhereSigning(t *testing.T) {
	var signers int
	for _, tree := range workflowTrees(t) {
		for _, name := range workflowFiles(t, tree) {
			w := loadWorkflow(t, tree, name)
			if top, _ := permissionsOf(w.Permissions); top["id-token"] != "" {
				t.Errorf("%s/%s: id-token at the workflow level", tree.name, name)
			}
			for id, j := range w.Jobs {
				p, _ := permissionsOf(j.Permissions)
				if p["id-token"] == "" || p["id-token"] == "none" {
					continue
				}
				if name != "release.yml" || id != "sign" {
					t.Errorf("%s/%s job %s: id-token %s outside the signing job", tree.name, name, id, p["id-token"])
					continue
				}
				signers++
			}
		}
	}
	if signers == 0 {
		t.Errorf("no signing job holds id-token: write: keyless signing (SC-04) cannot work")
	}
}
