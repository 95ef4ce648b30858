package catalog_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/secgen/secgen/generator/builtin"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/failure"
)

const goodComponent = `name: c
description: test
version: 1.0.0
controls: [SEC-01]
questions:
  - {name: name, type: string, prompt: Name, required: true}
`

// testControls is the controls.yaml of the test catalogs.
const testControls = `controls:
  - {id: SEC-01, title: No secrets, description: No secret in any rendered file.}
  - {id: ORG-01, title: Owned, description: Every service names its owning team.}
`

func load(t *testing.T, tm, bp fstest.MapFS) (*catalog.Catalog, error) {
	t.Helper()
	if _, ok := tm["catalog.yaml"]; !ok {
		tm["catalog.yaml"] = &fstest.MapFile{Data: []byte("id: test\nversion: 1.0.0\n")}
	}
	if _, ok := tm["controls.yaml"]; !ok {
		tm["controls.yaml"] = &fstest.MapFile{Data: []byte(testControls)}
	}
	return catalog.Load(context.Background(), catalog.Source{Templates: tm, Blueprints: bp})
}

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestBuiltinCatalogLoads(t *testing.T) {
	cat, err := builtin.Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.Blueprint("go-service"); err != nil {
		t.Fatal(err)
	}
	if len(cat.Pins) == 0 {
		t.Fatal("the pins table is empty")
	}
}

func TestMalformedEntriesNameFileAndField(t *testing.T) {
	cases := []struct {
		name      string
		component string
		files     map[string]string
		blueprint string
		want      []string
	}{
		{"unknown field", goodComponent + "colour: red\n", nil, "", []string{"c/component.yaml", "colour"}},
		{"unknown control", strings.Replace(goodComponent, "SEC-01", "SEC-99", 1), nil, "", []string{"c/component.yaml", "SEC-99"}},
		{"name mismatch", strings.Replace(goodComponent, "name: c", "name: d", 1), nil, "", []string{"c/component.yaml", "directory"}},
		{"bad version", strings.Replace(goodComponent, "1.0.0", "one", 1), nil, "", []string{"version"}},
		{"bad question type", strings.Replace(goodComponent, "type: string", "type: float", 1), nil, "", []string{"questions[0]", "float"}},
		{"secret question", strings.Replace(goodComponent, "name: name,", "name: db_password,", 1), nil, "", []string{"SEC-02"}},
		{"no tmpl suffix", goodComponent, map[string]string{"x.go": "package x"}, "", []string{"x.go", ".tmpl"}},
		{"dead rule", goodComponent + "files:\n  - {match: nope/**, when: 'true'}\n", nil, "", []string{"files[0]", "matches no template"}},
		{"unknown blueprint component", goodComponent, nil, "name: b\ndescription: d\ncomponents: [c, zz]\n", []string{"blueprints/b.yaml", "zz"}},
		{"bad blueprint default", goodComponent, nil, "name: b\ndescription: d\ncomponents: [c]\ndefaults: {name: 5}\n", []string{"blueprints/b.yaml", "defaults", "name"}},
		{"unknown control in a mapping", strings.Replace(goodComponent, "[SEC-01]", "[{id: SEC-99, when: 'true'}]", 1), nil, "", []string{"c/component.yaml", "SEC-99"}},
		{"unknown control field", strings.Replace(goodComponent, "[SEC-01]", "[{id: SEC-01, if: 'true'}]", 1), nil, "", []string{"c/component.yaml", "if"}},
		{"control listed twice", strings.Replace(goodComponent, "[SEC-01]", "[SEC-01, {id: SEC-01, when: 'true'}]", 1), nil, "", []string{"SEC-01", "twice"}},
		{"undeclared section", strings.Replace(goodComponent, "prompt: Name,", "prompt: Name, section: nowhere,", 1), nil, "", []string{"c/component.yaml", "nowhere", "catalog.yaml"}},
		{"bad condition", strings.Replace(goodComponent, "prompt: Name,", "prompt: Name, when: 'yes',", 1), nil, "", []string{"questions[0]", "when"}},
		{"placeholder without reason", strings.Replace(goodComponent, "prompt: Name,", "prompt: Name, default: x, placeholder: true,", 1), nil, "", []string{"placeholder_reason"}},
		{"unknown blueprint default", goodComponent, nil, "name: b\ndescription: d\ncomponents: [c]\ndefaults: {nope: x}\n", []string{"nope"}},
	}
	for _, tc := range cases {
		tm := fstest.MapFS{"c/component.yaml": file(tc.component)}
		files := tc.files
		if files == nil {
			files = map[string]string{"a.tmpl": "a"}
		}
		for k, v := range files {
			tm["c/files/"+k] = file(v)
		}
		bp := fstest.MapFS{}
		if tc.blueprint != "" {
			bp["b.yaml"] = file(tc.blueprint)
		}
		_, err := load(t, tm, bp)
		if err == nil {
			t.Errorf("%s: loaded without error", tc.name)
			continue
		}
		if !failure.IsInvalidInput(err) {
			t.Errorf("%s: %v is not invalid input", tc.name, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", tc.name, err, w)
			}
		}
	}
}

func TestSectionsDefaultToTheFirst(t *testing.T) {
	cat, err := load(t, fstest.MapFS{
		"catalog.yaml":     file("id: test\nversion: 1.0.0\nsections:\n  - {name: main, title: Main}\n  - {name: extra, title: Extra}\n"),
		"c/component.yaml": file(goodComponent),
		"c/files/a.tmpl":   file("a"),
	}, fstest.MapFS{})
	if err != nil {
		t.Fatal(err)
	}
	qs, err := cat.Questions([]string{"c"})
	if err != nil {
		t.Fatal(err)
	}
	if qs[0].Section != "main" || cat.SectionTitle("extra") != "Extra" {
		t.Fatalf("section = %q, title = %q", qs[0].Section, cat.SectionTitle("extra"))
	}
	_, err = load(t, fstest.MapFS{
		"catalog.yaml":     file("id: test\nversion: 1.0.0\nsections:\n  - {name: main, title: Main}\n  - {name: main, title: Again}\n"),
		"c/component.yaml": file(goodComponent),
		"c/files/a.tmpl":   file("a"),
	}, fstest.MapFS{})
	if err == nil || !strings.Contains(err.Error(), "sections[1]") {
		t.Fatalf("err = %v, want a duplicate section refused", err)
	}
}

func TestControlsAreCatalogData(t *testing.T) {
	noControls := strings.Replace(goodComponent, "controls: [SEC-01]\n", "", 1)
	cat, err := load(t, fstest.MapFS{"c/component.yaml": file(noControls), "c/files/a.tmpl": file("a")}, fstest.MapFS{})
	if err != nil {
		t.Fatalf("a component without controls: %v", err)
	}
	if got := cat.Controls([]string{"c"}); len(got) != 0 {
		t.Errorf("controls of a component that claims none = %v", got)
	}
	org, ok := cat.Registry.Lookup("ORG-01")
	if !ok || org.Area() != "ORG" || org.Description == "" {
		t.Errorf("ORG-01 from controls.yaml = %+v, %v", org, ok)
	}

	for name, tc := range map[string]struct {
		controls string // "" leaves controls.yaml out
		want     string
	}{
		"missing":         {"", "controls.yaml"},
		"malformed id":    {"controls:\n  - {id: org-1, title: x, description: y}\n", "org-1"},
		"no description":  {"controls:\n  - {id: ORG-01, title: x}\n", "description"},
		"duplicate":       {"controls:\n  - {id: ORG-01, title: x, description: y}\n  - {id: ORG-01, title: x, description: y}\n", "twice"},
		"unknown field":   {"controls:\n  - {id: ORG-01, title: x, description: y, area: org}\n", "area"},
		"multiline title": {"controls:\n  - {id: ORG-01, title: \"a\\nb\", description: y}\n", "title"},
	} {
		tm := fstest.MapFS{
			"catalog.yaml":     file("id: test\nversion: 1.0.0\n"),
			"c/component.yaml": file(noControls), "c/files/a.tmpl": file("a"),
		}
		if tc.controls != "" {
			tm["controls.yaml"] = file(tc.controls)
		}
		_, err := catalog.Load(context.Background(), catalog.Source{Templates: tm, Blueprints: fstest.MapFS{}})
		if err == nil || !failure.IsInvalidInput(err) || !strings.Contains(err.Error(), "controls.yaml") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want an invalid-input error naming controls.yaml and %q", name, err, tc.want)
		}
	}
}

func TestAQuestionOfSeveralComponentsMustBeShared(t *testing.T) {
	other := strings.Replace(goodComponent, "name: c", "name: d", 1)
	_, err := load(t, fstest.MapFS{
		"c/component.yaml": file(goodComponent), "c/files/a.tmpl": file("a"),
		"d/component.yaml": file(other), "d/files/a.tmpl": file("a"),
	}, fstest.MapFS{})
	if err == nil || !failure.IsInvalidInput(err) || !strings.Contains(err.Error(), `question "name"`) || !strings.Contains(err.Error(), "questions.yaml") {
		t.Fatalf("err = %v, want a refusal asking for a shared question", err)
	}
}

// sharedQuestions is a questions.yaml declaring name and port.
const sharedQuestions = `questions:
  - {name: name, type: string, prompt: Service name, required: true, validate: {max_length: 5}}
  - {name: port, type: int, prompt: Port, default: 8080}
`

func TestSharedQuestionsAreReferencedByName(t *testing.T) {
	comp := func(name string, questions string) string {
		return "name: " + name + "\ndescription: test\nversion: 1.0.0\nquestions:\n" + questions
	}
	cat, err := load(t, fstest.MapFS{
		"questions.yaml":   file(sharedQuestions),
		"c/component.yaml": file(comp("c", "  - name\n  - {name: flag, type: bool, prompt: Flag, default: false}\n  - port\n")),
		"c/files/a.tmpl":   file("a"),
		"d/component.yaml": file(comp("d", "  - port\n  - name\n")),
		"d/files/a.tmpl":   file("a"),
	}, fstest.MapFS{"b.yaml": file("name: b\ndescription: d\ncomponents: [d, c]\ndefaults: {port: 9090}\n")})
	if err != nil {
		t.Fatal(err)
	}
	asked, err := cat.Questions([]string{"d", "c"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, q := range asked {
		names = append(names, q.Name)
	}
	if strings.Join(names, " ") != "port name flag" {
		t.Fatalf("questions of [d c] = %v, want port name flag (each once, in order)", names)
	}
	c, _ := cat.Component("c")
	d, _ := cat.Component("d")
	if c.Questions[0] != d.Questions[1] || c.Questions[0] != cat.Shared["name"] {
		t.Error("components referencing a shared question do not share its one declaration")
	}
	if err := asked[1].Check("toolong"); err == nil {
		t.Error("the shared declaration's validation did not apply")
	}

	for _, tc := range []struct {
		name, shared, questions string
		want                    []string
	}{
		{"unknown reference", sharedQuestions, "  - nmae\n", []string{"c/component.yaml", "questions[0]", `"nmae"`, `did you mean "name"`}},
		{"no questions.yaml", "", "  - name\n", []string{"c/component.yaml", "questions[0]", `"name"`}},
		{"redeclared shared name", sharedQuestions, "  - {name: port, type: int, prompt: P, default: 1}\n", []string{"c/component.yaml", "questions[0]", `"port"`, "shared"}},
		{"referenced twice", sharedQuestions, "  - name\n  - name\n", []string{"c/component.yaml", "questions[1]", "twice"}},
		{"not a string or mapping", sharedQuestions, "  - [name]\n", []string{"c/component.yaml", "shared question"}},
		{"strict local question", sharedQuestions, "  - {name: x, type: string, prompt: X, colour: red}\n", []string{"c/component.yaml", "colour"}},
		{"bad shared question", "questions:\n  - {name: x, type: float, prompt: X}\n", "  - x\n", []string{"questions.yaml", "questions[0]", "float"}},
		{"shared declared twice", sharedQuestions + "  - {name: port, type: int, prompt: P, default: 1}\n", "  - port\n", []string{"questions.yaml", `"port"`, "twice"}},
		{"unknown shared field", "questions:\n  - {name: x, type: string, prompt: X, colour: red}\n", "  - x\n", []string{"questions.yaml", "colour"}},
	} {
		tm := fstest.MapFS{"c/component.yaml": file(comp("c", tc.questions)), "c/files/a.tmpl": file("a")}
		if tc.shared != "" {
			tm["questions.yaml"] = file(tc.shared)
		}
		_, err := load(t, tm, fstest.MapFS{})
		if err == nil || !failure.IsInvalidInput(err) {
			t.Errorf("%s: err = %v, want invalid input", tc.name, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", tc.name, err, w)
			}
		}
	}
}

func TestSymlinksInACatalogAreRefused(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "templates/c/files"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, "blueprints"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "templates/catalog.yaml"), []byte("id: git\nversion: 1.0.0\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "templates/controls.yaml"), []byte(testControls), 0o644))
	must(os.WriteFile(filepath.Join(dir, "templates/c/component.yaml"), []byte(goodComponent), 0o644))
	must(os.Symlink("/etc/passwd", filepath.Join(dir, "templates/c/files/passwd.tmpl")))
	_, err := catalog.Load(context.Background(), catalog.Source{
		Templates: os.DirFS(filepath.Join(dir, "templates")), Blueprints: os.DirFS(filepath.Join(dir, "blueprints")),
	})
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("err = %v, want a symbolic link refusal", err)
	}
}

func TestUnknownNamesSuggestCloseOnes(t *testing.T) {
	cat, err := builtin.Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, err = cat.Blueprint("go-servce")
	if err == nil || !strings.Contains(err.Error(), `did you mean "go-service"`) || !failure.IsInvalidInput(err) {
		t.Fatalf("err = %v", err)
	}
}

func TestPinForSubActions(t *testing.T) {
	cat, err := builtin.Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p, err := cat.PinFor("github/codeql-action/init")
	if err != nil || len(p.Commit) != 40 {
		t.Fatalf("PinFor sub-action = %+v, %v", p, err)
	}
	if _, err := cat.PinFor("actions/checkout-evil"); err == nil {
		t.Fatal("an unpinned action resolved")
	}
}

func TestControlsTakeAnIDOrAConditionalMapping(t *testing.T) {
	comp := strings.Replace(goodComponent, "[SEC-01]", "[{id: ORG-01, when: '{{ .name }}'}, SEC-01]", 1)
	cat, err := load(t, fstest.MapFS{"c/component.yaml": file(comp), "c/files/a.tmpl": file("a")}, fstest.MapFS{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := cat.Component("c")
	if err != nil {
		t.Fatal(err)
	}
	want := []catalog.ControlRef{{ID: "ORG-01", When: "{{ .name }}"}, {ID: "SEC-01"}}
	if len(c.Controls) != len(want) || c.Controls[0] != want[0] || c.Controls[1] != want[1] {
		t.Fatalf("controls = %+v, want %+v", c.Controls, want)
	}
	if got := cat.Controls([]string{"c"}); strings.Join(got, ",") != "SEC-01,ORG-01" {
		t.Fatalf("Controls = %v, want every declared ID in registry order", got)
	}
}

// orgCatalog loads testdata/org, a platform team's catalog written without any
// Go: a new control area (ORG-01), a shared question, a component claiming
// ORG-01 and one claiming no control, with a foreach rule.
func orgCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Load(context.Background(), catalog.Source{
		Templates: os.DirFS(filepath.Join("testdata", "org", "templates")), Blueprints: os.DirFS(filepath.Join("testdata", "org", "blueprints")),
	})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestAnotherTeamsCatalogLoads(t *testing.T) {
	cat := orgCatalog(t)
	if cat.ID != "acme" || strings.Join(cat.ComponentNames(), " ") != "ownership runbook" || strings.Join(cat.BlueprintNames(), " ") != "service" {
		t.Fatalf("catalog %s: components %v, blueprints %v", cat.ID, cat.ComponentNames(), cat.BlueprintNames())
	}
	var ids []string
	for _, c := range cat.Registry.All() {
		ids = append(ids, c.ID)
	}
	if strings.Join(ids, " ") != "ORG-01" {
		t.Errorf("registry = %v, want the catalog's own ORG-01 only", ids)
	}
	if got := cat.Controls([]string{"ownership", "runbook"}); strings.Join(got, " ") != "ORG-01" {
		t.Errorf("controls of the blueprint = %v", got)
	}
	own, _ := cat.Component("ownership")
	run, _ := cat.Component("runbook")
	if own.Questions[0] != cat.Shared["name"] || run.Questions[0] != cat.Shared["name"] {
		t.Error("the shared question name is not shared")
	}
}
