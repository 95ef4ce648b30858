package lint

import "testing"

// TestCanSelect: a rule's match meets a component's rendered paths, with a
// path template's action standing for any text within its segment.
func TestCanSelect(t *testing.T) {
	sources := []string{"cmd/{{ .name }}/main.go", "deploy/k8s/base/deployment.yaml", ".github/workflows/ci.yml", "{{ .env }}.tfvars"}
	for _, c := range []struct {
		match string
		want  bool
	}{
		{"**/*.yaml", true},
		{"deploy/k8s/**/*.{yaml,yml}", true},
		{"cmd/*/main.go", true},
		{"cmd/payments/main.go", true},
		{"cmd/*/server.go", false},
		{".github/workflows/*.yml", true},
		{".github/workflows/*.yaml", false},
		{"production.tfvars", true},
		{"production.tf", false},
		{"docs/*.md", false},
		{"**", true},
		{"deploy/k8s/base/[a-d]eployment.yaml", true},
		{"deploy/k8s/base/deployment.yam?", true},
	} {
		if got := canSelect(c.match, sources); got != c.want {
			t.Errorf("canSelect(%q) = %v, want %v", c.match, got, c.want)
		}
	}
}
