package cli

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// guideStep is one numbered step of CONTRIBUTING.md, performed by code.
type guideStep struct {
	title string
	do    func(t *testing.T, cat string)
}

// guideSection is one checklist of CONTRIBUTING.md.
type guideSection struct {
	heading string
	steps   []guideStep
}

// fixture component, question and control the checklists are followed with.
const (
	fixtureComponent = "fixture-notes"
	fixtureQuestion  = "notes_owner"
	fixtureControl   = "FIX-01"
)

// TestContributingGuide follows CONTRIBUTING.md's checklists on a copy of
// the built-in catalog: it adds a component, a question, a control and a
// golden case exactly as the numbered steps say, lints, records and checks
// the goldens with secgen's own commands, and requires the guide's steps to
// be this test's steps, in order, so the guide cannot go stale.
func TestContributingGuide(t *testing.T) {
	t.Parallel()
	repo := filepath.Join("..", "..", "..", "..")
	sections := guideSections()

	guide, err := os.ReadFile(filepath.Join(repo, "CONTRIBUTING.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented := parseGuide(string(guide))
	var headings []string
	for _, s := range sections {
		headings = append(headings, s.heading)
		var titles []string
		for _, st := range s.steps {
			titles = append(titles, st.title)
		}
		if got := documented[s.heading]; !slices.Equal(got, titles) {
			t.Errorf("CONTRIBUTING.md, %q: steps %q; the test follows %q", s.heading, got, titles)
		}
	}
	for h := range documented {
		if !slices.Contains(headings, h) {
			t.Errorf("CONTRIBUTING.md has a checklist %q that no test follows", h)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	cat := t.TempDir()
	for _, dir := range []string{"templates", "blueprints", "goldens"} {
		copyDir(t, filepath.Join(repo, dir), filepath.Join(cat, dir))
	}
	writeFile(t, filepath.Join(cat, "docs", "audit.md"), readFile(t, filepath.Join(repo, "docs", "audit.md")))
	for _, s := range sections {
		for i, st := range s.steps {
			t.Logf("%s, step %d: %s", s.heading, i+1, st.title)
			st.do(t, cat)
		}
	}

	tree := filepath.Join(cat, "goldens", fixtureComponent, "defaults", "tree")
	notes, err := os.ReadFile(filepath.Join(tree, "NOTES.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`Owner: team\-a`, fixtureControl} {
		if !strings.Contains(string(notes), want) {
			t.Errorf("the recorded NOTES.md lacks %q:\n%s", want, notes)
		}
	}
	manifest, err := os.ReadFile(filepath.Join(tree, ".secgen.yaml"))
	if err != nil || !strings.Contains(string(manifest), "name: "+fixtureComponent) {
		t.Errorf("the recorded manifest does not name the component: %v\n%s", err, manifest)
	}
	// The breakage is applied: one that does not break the control fails
	// secgen test.
	appendFile(t, filepath.Join(cat, "templates", fixtureComponent, "breakages.yaml"), "  - name: harmless\n    rule: fixture-notes-owner\n    control: "+fixtureControl+"\n"+
		"    golden: "+fixtureComponent+"/defaults\n    edits:\n      - file: NOTES.md\n        append: \"\\nMore notes.\\n\"\n")
	if out := secgenFails(t, "test", cat); !strings.Contains(out, "harmless") {
		t.Errorf("secgen test does not report the breakage its rule misses:\n%s", out)
	}
	// The add case recorded the component added to the blueprint.
	added, err := os.ReadFile(filepath.Join(cat, "goldens", "add-"+fixtureComponent, "defaults", "tree", ".secgen.yaml"))
	if err != nil || !strings.Contains(string(added), "name: "+fixtureComponent) || !strings.Contains(string(added), "name: go-service") {
		t.Errorf("the add case did not record the component added to go-service: %v", err)
	}
	if !strings.Contains(readFile(t, filepath.Join(cat, "docs", "audit.md")), "\n### "+fixtureControl+"\n") {
		t.Errorf("docs/audit.md has no section for %s", fixtureControl)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// guideSections are CONTRIBUTING.md's checklists, as code. No step edits Go.
func guideSections() []guideSection {
	component := func(cat string) string { return filepath.Join(cat, "templates", fixtureComponent) }
	return []guideSection{
		{"Add a component", []guideStep{
			{"Create the component", func(t *testing.T, cat string) {
				writeFile(t, filepath.Join(component(cat), "component.yaml"), "name: "+fixtureComponent+"\n"+
					"description: Operational notes for the service.\nversion: 0.1.0\ncontrols: []\nquestions:\n  - name\n")
			}},
			{"Write its templates", func(t *testing.T, cat string) {
				writeFile(t, filepath.Join(component(cat), "files", "NOTES.md.tmpl"), "# Notes for {{ .name }}\n")
			}},
			{"Write its audit rules", func(t *testing.T, cat string) {
				// It claims no control yet: no rule yet (the control's
				// checklist adds it).
				writeFile(t, filepath.Join(component(cat), "checks.yaml"), "# Audit rules of "+fixtureComponent+" (docs/audit.md).\nchecks: []\n")
			}},
			{"Give it an add case", func(t *testing.T, cat string) {
				replaceIn(t, filepath.Join(cat, "blueprints", "go-service.yaml"), ", backstage]\n", ", backstage, "+fixtureComponent+"]\n")
				dir := filepath.Join(cat, "goldens", "add-"+fixtureComponent, "defaults")
				writeFile(t, filepath.Join(dir, "case.yaml"), "blueprint: go-service\nadd: "+fixtureComponent+"\n")
				writeFile(t, filepath.Join(dir, "answers.yaml"), "name: notes-demo\n")
			}},
		}},
		{"Add a question", []guideStep{
			{"Declare the question", func(t *testing.T, cat string) {
				appendFile(t, filepath.Join(cat, "templates", "questions.yaml"), "  # Who answers for the fixture component's notes.\n"+
					"  - name: "+fixtureQuestion+"\n    type: string\n    prompt: Team that owns the notes\n"+
					"    help: A team name.\n    default: platform\n    validate:\n      pattern: '[a-z][a-z0-9-]{0,39}'\n")
			}},
			{"Place it in a section", func(t *testing.T, cat string) {
				replaceIn(t, filepath.Join(cat, "templates", "questions.yaml"), "    prompt: Team that owns the notes\n", "    prompt: Team that owns the notes\n    section: notes\n")
				replaceIn(t, filepath.Join(cat, "templates", "catalog.yaml"), "sections:\n", "sections:\n  - {name: notes, title: Notes}\n")
			}},
			{"Ask it from the component", func(t *testing.T, cat string) {
				replaceIn(t, filepath.Join(component(cat), "component.yaml"), "  - name\n", "  - name\n  - "+fixtureQuestion+"\n")
			}},
			{"Use the answer in a template", func(t *testing.T, cat string) {
				appendFile(t, filepath.Join(component(cat), "files", "NOTES.md.tmpl"), "\nOwner: {{ markdown ."+fixtureQuestion+" }}\n")
			}},
		}},
		{"Add a control", []guideStep{
			{"Declare the control", func(t *testing.T, cat string) {
				appendFile(t, filepath.Join(cat, "templates", "controls.yaml"), "  - id: "+fixtureControl+"\n"+
					"    title: Every service has an owner on record\n    description: The notes name the team that answers for the service.\n")
			}},
			{"Claim it in the component", func(t *testing.T, cat string) {
				replaceIn(t, filepath.Join(component(cat), "component.yaml"), "controls: []\n", "controls: ["+fixtureControl+"]\n")
			}},
			{"Cite it in the template", func(t *testing.T, cat string) {
				replaceIn(t, filepath.Join(component(cat), "files", "NOTES.md.tmpl"), "\nOwner:", "\n<!-- "+fixtureControl+": the owning team. -->\nOwner:")
			}},
			{"Prove it with an audit rule", func(t *testing.T, cat string) {
				writeFile(t, filepath.Join(component(cat), "checks.yaml"), "checks:\n  - id: fixture-notes-owner\n    control: "+fixtureControl+"\n"+
					"    match: NOTES.md\n    expr: 'object.text.contains(\"Owner: \")'\n    severity: error\n"+
					"    message: the notes name no owner\n    fix: restore the Owner line of NOTES.md\n")
			}},
			{"Break it on purpose", func(t *testing.T, cat string) {
				writeFile(t, filepath.Join(component(cat), "breakages.yaml"), "breakages:\n  - name: owner line dropped\n"+
					"    rule: fixture-notes-owner\n    control: "+fixtureControl+"\n    golden: "+fixtureComponent+"/defaults\n"+
					"    edits:\n      - file: NOTES.md\n        regexp: \"Owner: .*\"\n        with: \"\"\n")
			}},
			{"Document it", func(t *testing.T, cat string) {
				appendFile(t, filepath.Join(cat, "docs", "audit.md"), "\n### "+fixtureControl+"\n\nEvery service has an owner on record.\n\n"+
					"The rule proves that NOTES.md names a team; not that the team exists.\n\nRules: `fixture-notes-owner` ("+fixtureComponent+").\n")
			}},
		}},
		{"Add a golden case", []guideStep{
			{"Write case.yaml", func(t *testing.T, cat string) {
				writeFile(t, filepath.Join(cat, "goldens", fixtureComponent, "defaults", "case.yaml"), "component: "+fixtureComponent+"\n")
			}},
			{"Write answers.yaml", func(t *testing.T, cat string) {
				writeFile(t, filepath.Join(cat, "goldens", fixtureComponent, "defaults", "answers.yaml"), fixtureQuestion+": team-a\n")
			}},
			{"Lint the catalog", func(t *testing.T, cat string) { secgen(t, "lint", cat) }},
			{"Record the goldens", func(t *testing.T, cat string) { secgen(t, "test", "--update", cat) }},
			{"Check the goldens", func(t *testing.T, cat string) { secgen(t, "test", cat) }},
		}},
	}
}

// secgenFails runs one secgen command that must fail, and returns what it
// printed.
func secgenFails(t *testing.T, args ...string) string {
	t.Helper()
	streams, out, errOut := testIO(false, nil)
	root := NewRoot(streams)
	root.SetArgs(args)
	if err := root.ExecuteContext(context.Background()); err == nil {
		t.Fatalf("secgen %s succeeded\n%s%s", strings.Join(args, " "), out, errOut)
	}
	return out.String() + errOut.String()
}

var (
	guideHeading = regexp.MustCompile(`^## (.+)$`)
	guideItem    = regexp.MustCompile(`^\d+\. \*\*([^*]+)\*\*`)
)

// parseGuide returns the bold titles of the numbered steps under each
// second-level heading that has any.
func parseGuide(doc string) map[string][]string {
	out := map[string][]string{}
	heading := ""
	for _, line := range strings.Split(doc, "\n") {
		if m := guideHeading.FindStringSubmatch(line); m != nil {
			heading = m[1]
			continue
		}
		if m := guideItem.FindStringSubmatch(line); m != nil && heading != "" {
			out[heading] = append(out[heading], m[1])
		}
	}
	return out
}

// secgen runs one secgen command in-process and fails the test on an error.
func secgen(t *testing.T, args ...string) {
	t.Helper()
	streams, out, errOut := testIO(false, nil)
	root := NewRoot(streams)
	root.SetArgs(args)
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("secgen %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, p, content string) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, p, string(data)+content)
}

func replaceIn(t *testing.T, p, old, new string) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q", p, old)
	}
	writeFile(t, p, strings.Replace(string(data), old, new, 1))
}

// copyDir copies a directory of regular files, keeping the executable bit
// and leaving out Go sources (the goldens package's tests).
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() || (filepath.Dir(rel) == "." && strings.HasSuffix(rel, ".go")) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}
