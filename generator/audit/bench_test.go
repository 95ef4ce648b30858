package audit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secgen/secgen/generator/audit"
)

// BenchmarkAuditGoService audits the default go-service project: compile
// every rule, read and parse every file, evaluate (one whole run).
func BenchmarkAuditGoService(b *testing.B) {
	cat := loadCatalog(b)
	dir := filepath.Join(goldensDir, "go-service/defaults/tree")
	for b.Loop() {
		rep, err := audit.Project(context.Background(), cat, audit.ProjectRequest{Dir: dir})
		if err != nil || len(rep.Findings) != 0 {
			b.Fatal(err, rep.Findings)
		}
	}
}

// BenchmarkAuditLargeRepository audits a synthetic repository of 5,000
// files (argo-cd's size): Kubernetes manifests, Terraform, Go and Markdown
// under 100 directories, with every component's rules.
func BenchmarkAuditLargeRepository(b *testing.B) {
	cat := loadCatalog(b)
	dir := b.TempDir()
	for i := range 5000 {
		d := filepath.Join(dir, fmt.Sprintf("mod%03d", i/50))
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
		var name, text string
		switch i % 4 {
		case 0:
			name, text = fmt.Sprintf("deploy%d.yaml", i), fmt.Sprintf(syntheticDeployment, i, i)
		case 1:
			name, text = fmt.Sprintf("main%d.tf", i), fmt.Sprintf(syntheticTerraform, i, i)
		case 2:
			name, text = fmt.Sprintf("f%d.go", i), fmt.Sprintf("package pkg%d\n\nimport \"fmt\"\n\n// F%d formats.\nfunc F%d(s string) string { return fmt.Sprintf(\"v %%s\", s) }\n", i/50, i, i)
		default:
			name, text = fmt.Sprintf("README%d.md", i), "# doc\n"+strings.Repeat("a line of text\n", 40)
		}
		if err := os.WriteFile(filepath.Join(d, name), []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	req := audit.ProjectRequest{Dir: dir, Components: []string{"go-service", "k8s", "terraform-aws", "github-actions"}}
	for b.Loop() {
		rep, err := audit.Project(context.Background(), cat, req)
		if err != nil || rep.Files != 5000 {
			b.Fatal(err, rep.Files)
		}
	}
}

const syntheticDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-%d
spec:
  replicas: 2
  template:
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
      containers:
        - name: app
          image: example.org/app:%d
          securityContext:
            allowPrivilegeEscalation: false
          resources:
            limits: {cpu: "1", memory: 128Mi}
`

const syntheticTerraform = `resource "aws_s3_bucket" "b%d" {
  bucket = "b"
}
resource "aws_iam_policy" "p%d" {
  policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = ["s3:GetObject"], Resource = ["arn:aws:s3:::b/*"]}]})
}
`
