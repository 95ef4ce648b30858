package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secgen/secgen/generator/audit"
	"github.com/secgen/secgen/generator/builtin"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/goldentest"
)

// goldensDir holds every golden case with its whole tree, laid out like
// goldens/ (which records each distinct output once); TestMain
// materializes it.
var goldensDir string

func TestMain(m *testing.M) {
	dir, cleanup, err := goldentest.MaterializeTemp(context.Background(), "../../goldens")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	goldensDir = dir
	code := m.Run()
	cleanup()
	os.Exit(code)
}

func loadCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	cat, err := builtin.Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// TestEveryControlHasARule: every control that a component of the built-in
// catalog claims has at least one rule in that component's checks.yaml.
// Controls no component claims are secgen's own (secgen: true in the
// registry); they are properties of secgen, not of a project's files.
func TestEveryControlHasARule(t *testing.T) {
	t.Parallel()
	cat := loadCatalog(t)
	rs, err := audit.Compile(cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	ruled := map[string]map[string]bool{} // component -> control -> has a rule
	for _, r := range rs.All() {
		if ruled[r.Component] == nil {
			ruled[r.Component] = map[string]bool{}
		}
		ruled[r.Component][r.Control] = true
	}
	claimed := map[string]bool{}
	for _, name := range cat.ComponentNames() {
		comp, err := cat.Component(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range comp.Controls {
			id := c.ID
			claimed[id] = true
			if !ruled[name][id] {
				t.Errorf("component %s claims %s but has no audit rule for it", name, id)
			}
		}
	}
	for _, c := range cat.Registry.All() {
		if c.Retired || claimed[c.ID] {
			continue
		}
		if !c.Secgen {
			t.Errorf("%s is claimed by no component and is not a secgen control: it has no rule", c.ID)
		}
	}
}

// copyTree copies a golden tree into a temporary directory.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestFindingCarriesItsPlace: a finding names the control and its title,
// the file, the line of the offending object, the rule, severity and fix,
// and says `secgen update` restores it.
func TestFindingCarriesItsPlace(t *testing.T) {
	t.Parallel()
	cat := loadCatalog(t)
	dir := copyTree(t, filepath.Join(goldensDir, "k8s/full/tree"))
	p := filepath.Join(dir, "deploy/k8s/base/serviceaccount.yaml")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: leak\ndata:\n  k: dg==\n"...)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	wantLine := bytes.Count(data[:bytes.Index(data, []byte("kind: Secret"))], []byte("\n"))
	rep, err := audit.Project(context.Background(), cat, audit.ProjectRequest{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 {
		t.Fatalf("want one finding, got %+v", rep.Findings)
	}
	f := rep.Findings[0]
	if f.Control != "K8S-09" || f.ControlTitle == "" || f.File != "deploy/k8s/base/serviceaccount.yaml" ||
		f.Line != wantLine || f.Rule != "k8s-no-secret-data" || f.Severity != "error" || f.Fix == "" || !f.Restorable {
		t.Errorf("finding %+v; want K8S-09 at line %d, restorable", f, wantLine)
	}
	var text bytes.Buffer
	if err := audit.WriteText(&text, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"serviceaccount.yaml:" + itoa(wantLine), "K8S-09", "k8s-no-secret-data", "`secgen update` restores it"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestComponentsWithoutManifest audits a directory secgen did not generate
// by the rules of a named component: a hand-written workflow directory.
func TestComponentsWithoutManifest(t *testing.T) {
	t.Parallel()
	cat := loadCatalog(t)
	dir := t.TempDir()
	wf := filepath.Join(dir, ".github", "workflows")
	if err := os.MkdirAll(wf, 0o755); err != nil {
		t.Fatal(err)
	}
	bad := "name: x\non: pull_request_target\npermissions: write-all\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v4\n      - run: echo ${{ github.head_ref }}\n"
	if err := os.WriteFile(filepath.Join(wf, "x.yml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Project(context.Background(), cat, audit.ProjectRequest{Dir: dir, Components: []string{"github-actions"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range rep.Findings {
		got[f.Control] = true
		if f.Restorable {
			t.Errorf("finding %s says secgen update restores it in a project secgen did not generate", f.Rule)
		}
	}
	for _, want := range []string{"SC-05", "SC-06", "SC-07"} {
		if !got[want] {
			t.Errorf("no %s finding for a hand-written unsafe workflow; got %v", want, got)
		}
	}
	if _, err := audit.Project(context.Background(), cat, audit.ProjectRequest{Dir: dir}); err == nil {
		t.Error("a directory without manifest or --components was audited")
	}
	if _, err := audit.Project(context.Background(), cat, audit.ProjectRequest{Dir: dir, Components: []string{"nope"}}); err == nil {
		t.Error("an unknown component was accepted")
	}
}

// TestSARIFOneRulePerControl: the SARIF log has one reporting rule per
// evaluated control with its documentation address, and each result points
// at its rule.
func TestSARIFOneRulePerControl(t *testing.T) {
	t.Parallel()
	cat := loadCatalog(t)
	dir := copyTree(t, filepath.Join(goldensDir, "go-service/defaults/tree"))
	if err := os.Remove(filepath.Join(dir, "deploy/k8s/base/poddisruptionbudget.yaml")); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Project(context.Background(), cat, audit.ProjectRequest{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := audit.WriteSARIF(&buf, rep, cat.Registry, "1.2.3"); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID      string `json:"id"`
						HelpURI string `json:"helpUri"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	rules := log.Runs[0].Tool.Driver.Rules
	if log.Version != "2.1.0" || len(rules) != len(rep.Controls) {
		t.Fatalf("version %s, %d rules for %d controls", log.Version, len(rules), len(rep.Controls))
	}
	for i, r := range rules {
		if r.ID != rep.Controls[i] || r.HelpURI != audit.HelpURI(r.ID) || !strings.Contains(r.HelpURI, "#"+strings.ToLower(r.ID)) {
			t.Errorf("rule %d: %+v", i, r)
		}
	}
	res := log.Runs[0].Results
	if len(res) == 0 {
		t.Fatal("no SARIF result for a dropped PodDisruptionBudget")
	}
	for _, r := range res {
		if rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s points at rule %s", r.RuleID, rules[r.RuleIndex].ID)
		}
	}
}

// TestDocsHaveOneSectionPerControl: every control's helpUri anchor exists
// in docs/audit.md.
func TestDocsHaveOneSectionPerControl(t *testing.T) {
	t.Parallel()
	cat := loadCatalog(t)
	data, err := os.ReadFile("../../docs/audit.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cat.Registry.All() {
		if !strings.Contains(string(data), "\n### "+c.ID+"\n") {
			t.Errorf("docs/audit.md has no section for %s (the anchor of %s)", c.ID, audit.HelpURI(c.ID))
		}
	}
}
