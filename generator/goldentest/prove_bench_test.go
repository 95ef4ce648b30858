package goldentest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/goldentest"
)

// platformCatalog writes a platform team's catalog of three components,
// each with audit rules and breakages, and 30 golden cases, to dir.
func platformCatalog(tb testing.TB, dir string) {
	tb.Helper()
	files := map[string]string{
		"templates/catalog.yaml": "id: acme\nversion: 1.0.0\n",
		"templates/controls.yaml": "controls:\n" +
			"  - {id: ORG-01, title: Replicas, description: Every service runs at least two replicas.}\n" +
			"  - {id: ORG-02, title: Owners, description: Every service names its owning team.}\n" +
			"  - {id: ORG-03, title: Limits, description: Every container has resource limits.}\n",
		"templates/questions.yaml": "questions:\n" +
			"  - {name: name, type: string, prompt: Name, default: svc, validate: {pattern: '[a-z][a-z0-9-]{0,30}'}}\n" +
			"  - {name: team, type: string, prompt: Team, default: platform, validate: {pattern: '[a-z][a-z0-9-]{0,30}'}}\n" +
			"  - {name: replicas, type: int, prompt: Replicas, default: 2}\n",
		"templates/service/component.yaml":                     "name: service\ndescription: Service configuration.\nversion: 1.0.0\ncontrols: [ORG-01]\nquestions: [name, replicas]\n",
		"templates/service/files/config/{{ .name }}.yaml.tmpl": "name: {{ .name }}\nreplicas: {{ .replicas }} # ORG-01\n",
		"templates/service/checks.yaml": "checks:\n" +
			"  - {id: service-replicas, control: ORG-01, match: 'config/*.yaml', expr: 'object.replicas >= 2', severity: error, message: too few replicas, fix: set replicas to 2}\n",
		"templates/service/breakages.yaml": "breakages:\n" +
			"  - {name: one replica, rule: service-replicas, control: ORG-01, golden: service/c00, edits: [{file: config/svc00.yaml, regexp: 'replicas: [0-9]+', with: 'replicas: 1'}]}\n" +
			"  - {name: replicas dropped, rule: service-replicas, control: ORG-01, golden: service/c01, edits: [{file: config/svc01.yaml, regexp: 'replicas: [0-9]+.*', with: ''}]}\n",
		"templates/owners/component.yaml":       "name: owners\ndescription: Ownership.\nversion: 1.0.0\ncontrols: [ORG-02]\nquestions: [team]\n",
		"templates/owners/files/OWNERS.md.tmpl": "<!-- ORG-02 -->\n# Owners\n\n@{{ .team }}\n",
		"templates/owners/checks.yaml": "checks:\n" +
			"  - {id: owners-named, control: ORG-02, match: OWNERS.md, expr: 'object.text.contains(\"@\")', severity: error, message: no owner, fix: name the team}\n",
		"templates/owners/breakages.yaml": "breakages:\n" +
			"  - {name: owner removed, rule: owners-named, control: ORG-02, golden: owners/c00, edits: [{file: OWNERS.md, regexp: '@.*', with: nobody}]}\n" +
			"  - {name: owners file removed, rule: owners-named, control: ORG-02, golden: owners/c01, edits: [{file: OWNERS.md, write: '# Owners\n'}]}\n",
		"templates/deploy/component.yaml": "name: deploy\ndescription: A Deployment.\nversion: 1.0.0\ncontrols: [ORG-03]\nquestions: [name]\n",
		"templates/deploy/files/deploy/deployment.yaml.tmpl": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .name }}\nspec:\n  template:\n    spec:\n      containers:\n" +
			"        - name: app\n          image: example.com/app@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n" +
			"          resources: # ORG-03\n            limits: {cpu: 500m, memory: 256Mi}\n        - name: sidecar\n          image: example.com/side@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n" +
			"          resources:\n            limits: {cpu: 100m, memory: 64Mi}\n",
		"templates/deploy/checks.yaml": "checks:\n" +
			"  - {id: deploy-limits, control: ORG-03, match: 'deploy/*.yaml', select: 'object.kind == \"Deployment\"', expr: 'object.spec.template.spec.containers.all(c, has(c.resources.limits.cpu) && has(c.resources.limits.memory))', severity: error, message: a container has no limits, fix: set limits}\n",
		"templates/deploy/breakages.yaml": "breakages:\n" +
			"  - {name: memory limit dropped, rule: deploy-limits, control: ORG-03, golden: platform/c00, edits: [{file: deploy/deployment.yaml, replace: ', memory: 64Mi', with: ''}]}\n" +
			"  - {name: limits dropped, rule: deploy-limits, control: ORG-03, golden: platform/c01, edits: [{file: deploy/deployment.yaml, replace: 'limits: {cpu: 500m, memory: 256Mi}', with: 'requests: {cpu: 500m}'}]}\n",
		"blueprints/platform.yaml": "name: platform\ndescription: The platform service.\ncomponents: [service, owners, deploy]\n",
	}
	// 30 cases: ten of each component and ten of the blueprint... minus
	// the blueprint's share of components: 10 service, 10 owners, 10 platform.
	for i := range 10 {
		name := fmt.Sprintf("svc%02d", i)
		files[fmt.Sprintf("goldens/service/c%02d/case.yaml", i)] = "component: service\n"
		files[fmt.Sprintf("goldens/service/c%02d/answers.yaml", i)] = fmt.Sprintf("name: %s\nreplicas: %d\n", name, 2+i)
		files[fmt.Sprintf("goldens/owners/c%02d/case.yaml", i)] = "component: owners\n"
		files[fmt.Sprintf("goldens/owners/c%02d/answers.yaml", i)] = fmt.Sprintf("team: team-%d\n", i)
		files[fmt.Sprintf("goldens/platform/c%02d/case.yaml", i)] = "blueprint: platform\n"
		files[fmt.Sprintf("goldens/platform/c%02d/answers.yaml", i)] = fmt.Sprintf("name: %s\nteam: team-%d\nreplicas: %d\n", name, i, 3+i)
	}
	for p, content := range files {
		p = filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

func loadPlatform(tb testing.TB, dir string) (*catalog.Catalog, []goldentest.Case) {
	tb.Helper()
	ctx := context.Background()
	cat, err := catalog.Load(ctx, catalog.Source{Templates: os.DirFS(filepath.Join(dir, "templates")), Blueprints: os.DirFS(filepath.Join(dir, "blueprints"))})
	if err != nil {
		tb.Fatal(err)
	}
	cases, err := goldentest.Load(ctx, filepath.Join(dir, "goldens"))
	if err != nil {
		tb.Fatal(err)
	}
	return cat, cases
}

// TestPlatformCatalogProof: the benchmark's catalog records, then proves
// clean: 30 cases pass their audit and every breakage is caught.
func TestPlatformCatalogProof(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	platformCatalog(t, dir)
	cat, cases := loadPlatform(t, dir)
	if _, err := goldentest.Prove(context.Background(), cat, cases, goldentest.Options{Update: true}); err != nil {
		t.Fatal(err)
	}
	rep, err := goldentest.Prove(context.Background(), cat, cases, goldentest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Cases) != 30 || len(rep.Breakages) != 6 || rep.Failed() {
		var b strings.Builder
		for _, c := range rep.Cases {
			fmt.Fprintf(&b, "%s %s %v %v\n", c.Case, c.Status, c.Findings, c.Err)
		}
		for _, r := range rep.Breakages {
			fmt.Fprintf(&b, "%s %s %v %v\n", r.Name, r.Status, r.Fired, r.Err)
		}
		t.Fatalf("%d cases, %d breakages, failed %v:\n%s", len(rep.Cases), len(rep.Breakages), rep.Failed(), b.String())
	}
	if out := os.Getenv("SECGEN_WRITE_PLATFORM_CATALOG"); out != "" {
		platformCatalog(t, out) // for timing `secgen test` on it
		cat, cases := loadPlatform(t, out)
		if _, err := goldentest.Prove(context.Background(), cat, cases, goldentest.Options{Update: true}); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkProvePlatformCatalog measures `secgen test` on a platform
// catalog of 30 golden cases with rules and breakages, without process
// start-up: render, compare, audit every case, apply every breakage.
func BenchmarkProvePlatformCatalog(b *testing.B) {
	dir := b.TempDir()
	platformCatalog(b, dir)
	cat, cases := loadPlatform(b, dir)
	ctx := context.Background()
	if _, err := goldentest.Prove(ctx, cat, cases, goldentest.Options{Update: true}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		rep, err := goldentest.Prove(ctx, cat, cases, goldentest.Options{})
		if err != nil || rep.Failed() {
			b.Fatalf("proof failed: %v", err)
		}
	}
}
