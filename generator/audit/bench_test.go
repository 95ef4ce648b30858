package audit_test

import (
	"context"
	"path/filepath"
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
