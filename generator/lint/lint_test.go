package lint_test

import (
	"context"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/secgen/secgen/blueprints"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/lint"
	"github.com/secgen/secgen/templates"
)

// TestBuiltinCatalogLintsClean: secgen's own catalog passes every check.
func TestBuiltinCatalogLintsClean(t *testing.T) {
	findings, cat, err := lint.Check(context.Background(), catalog.Source{Templates: templates.FS, Blueprints: blueprints.FS})
	if err != nil {
		t.Fatal(err)
	}
	if cat == nil || cat.ID != "builtin" {
		t.Fatalf("Check did not load the built-in catalog: %v", cat)
	}
	for _, f := range findings {
		if f.Severity == lint.SeverityWarning && f.Check == lint.CheckUntested {
			t.Log(f) // a rule without a breakage yet: reported, not failed
			continue
		}
		t.Error(f)
	}
}

// errorsOnly drops warnings (rules without a breakage) from findings.
func errorsOnly(fs []lint.Finding) []lint.Finding {
	return slices.DeleteFunc(fs, func(f lint.Finding) bool { return f.Severity == lint.SeverityWarning })
}

// TestBuiltinCatalogWithARawDescription: the clean result above is not for
// want of looking. The built-in catalog with one quoting function removed
// has exactly one finding, at that line.
func TestBuiltinCatalogWithARawDescription(t *testing.T) {
	const (
		file = "k8s/files/deploy/k8s/base/deployment.yaml.tmpl"
		good = "{{ yamlString .description }}"
	)
	fsys := fstest.MapFS{}
	err := fs.WalkDir(templates.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(templates.FS, p)
		fsys[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	text := string(fsys[file].Data)
	i := strings.Index(text, good)
	if i < 0 {
		t.Fatalf("%s no longer quotes the description with %s", file, good)
	}
	fsys[file].Data = []byte(strings.Replace(text, good, "{{ .description }}", 1))
	line := strings.Count(text[:i], "\n") + 1

	ctx := context.Background()
	src := catalog.Source{Templates: fsys, Blueprints: blueprints.FS}
	cat, err := catalog.Load(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	findings, err := lint.Run(ctx, src, cat)
	if err != nil {
		t.Fatal(err)
	}
	want := []lint.Finding{{File: "templates/" + file, Line: line, Check: lint.CheckQuoting,
		Message: `free-text answer "description" reaches a YAML file unquoted; pipe it through yamlString`, Severity: lint.SeverityError}}
	if diff := cmp.Diff(want, errorsOnly(findings)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

const componentYAML = `name: demo
description: A fixture component.
version: 1.0.0
controls: [SEC-01, {id: ORG-01, when: '{{ eq .level "high" }}'}]
questions:
  - name
  - team
  - name: description
    type: string
    prompt: Description
    default: A demo.
    multiline: true
  - name: owners
    type: list
    prompt: Owners
    default: []
  - name: level
    type: enum
    prompt: Level
    choices: [low, high]
    default: low
  - name: forgotten
    type: string
    prompt: Nobody reads this
    default: x
    validate:
      pattern: '[a-z]+'
files:
  - match: docs/*
    when: '{{ eq .level "high" }}'
  - match: 'teams/{{ .owner }}.yaml'
    foreach: owners
    as: owner
`

// lintFixture lints a one-component catalog made of the given templates.
func lintFixture(t *testing.T, files map[string]string) []string {
	t.Helper()
	fsys := fstest.MapFS{
		"catalog.yaml":                            {Data: []byte("id: fixture\nversion: 1.0.0\n")},
		"controls.yaml":                           {Data: []byte(controlsYAML)},
		"questions.yaml":                          {Data: []byte(questionsYAML)},
		"pins.tsv":                                {Data: []byte("actions/checkout\tv4\t" + "0123456789012345678901234567890123456789\t2026-01-01\n")},
		"demo/component.yaml":                     {Data: []byte(componentYAML)},
		"demo/files/docs/keep.md.tmpl":            {Data: []byte("{{ markdown .description }}\n")},
		"demo/files/teams/{{ .owner }}.yaml.tmpl": {Data: []byte("owner: {{ yamlString .owner }}\n")},
	}
	for name, text := range files {
		fsys["demo/files/"+name+".tmpl"] = &fstest.MapFile{Data: []byte(text)}
	}
	src := catalog.Source{Templates: fsys, Blueprints: fstest.MapFS{}}
	ctx := context.Background()
	cat, err := catalog.Load(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	findings, err := lint.Run(ctx, src, cat)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range findings {
		out = append(out, f.String())
	}
	return out
}

func TestQuoting(t *testing.T) {
	got := lintFixture(t, map[string]string{
		"ok.yaml": "a: {{ .description | yamlString }}\n" +
			"b: {{ yamlString .description }}\n" +
			"{{ commentLines \"# \" .description }}\n" +
			"c: {{ .name }}-{{ .level }}\n" +
			"d: {{ .description | oneLine | yamlString }}\n" +
			"{{ range .owners }}- {{ yamlString . }}\n{{ end }}" +
			"{{ if .description }}e: yes{{ end }}\n" +
			"{{ .owners | len }}\n",
		"raw.yaml": "a: b\n" +
			"desc: {{ .description }}\n" +
			"{{ $d := .description }}x: {{ $d }}\n" +
			"{{ with .description }}y: {{ . }}{{ end }}\n" +
			"{{ range $i, $o := .owners }}{{ $o }}{{ end }}\n" +
			"z: {{ hclString .description }}\n" +
			"{{ printf \"%s!\" .description }}\n" +
			"{{ index . \"description\" }}\n" +
			"{{ commentLines \"// \" .description }}\n" +
			"{{ $.description | upper }}\n" +
			"{{ $x := \"\" }}{{ if .level }}{{ $x = .description }}{{ end }}{{ $x }}\n" +
			"{{ $y := \"\" }}{{ range .owners }}{{ $y }}{{ $y = $.description }}{{ end }}\n",
		"main.tf":                "description = {{ hclString .description }}\n# {{ commentLines \"# \" .description }}\nname = \"{{ .description }}\"\n",
		"main.go":                "const D = {{ goString .description }}\n{{ commentLines \"// \" .description }}\nconst E = {{ yamlString .description }}\n",
		"run.sh":                 "echo {{ shellArg .description }}\necho \"{{ .description }}\"\n",
		"README.md":              "{{ markdown .description }}\n{{ .description }}\n",
		"Dockerfile":             "LABEL x={{ .description }}\nLABEL n={{ .name }}\n",
		"{{ .description }}.txt": "safe\n",
		// owners is a free-text list: each item of the foreach is free text.
		"teams/{{ .owner }}.yaml": "owner: {{ yamlString .owner }}\nraw: {{ .owner }}\n",
	})
	want := []string{
		"templates/demo/files/Dockerfile.tmpl:1: free-text answer \"description\" reaches Dockerfile.tmpl, a file type without a quoting function; free text may not reach it (quoting)",
		"templates/demo/files/README.md.tmpl:2: free-text answer \"description\" reaches a Markdown file unquoted; pipe it through markdown (quoting)",
		"templates/demo/files/main.go.tmpl:3: free-text answer \"description\" is quoted with yamlString, which does not quote for Go; use goString (quoting)",
		"templates/demo/files/main.tf.tmpl:3: free-text answer \"description\" reaches a HCL file unquoted; pipe it through hclString (quoting)",
		"templates/demo/files/raw.yaml.tmpl:2: free-text answer \"description\" reaches a YAML file unquoted; pipe it through yamlString (quoting)",
		"templates/demo/files/raw.yaml.tmpl:3: free-text answer \"description\" reaches a YAML file unquoted; pipe it through yamlString (quoting)",
		"templates/demo/files/raw.yaml.tmpl:4: free-text answer \"description\" reaches a YAML file unquoted; pipe it through yamlString (quoting)",
		"templates/demo/files/raw.yaml.tmpl:5: free-text answer \"owners\" reaches a YAML file unquoted; pipe it through yamlString (quoting)",
		"templates/demo/files/raw.yaml.tmpl:6: free-text answer \"description\" is quoted with hclString, which does not quote for YAML; use yamlString (quoting)",
		"templates/demo/files/raw.yaml.tmpl:7: free-text answer \"description\" reaches a YAML file unquoted; pipe it through yamlString (quoting)",
		"templates/demo/files/raw.yaml.tmpl:8: free-text answer \"description\" reaches a YAML file unquoted; pipe it through yamlString (quoting)",
		"templates/demo/files/raw.yaml.tmpl:9: free-text answer \"description\" is quoted with commentLines, which does not quote for YAML; use yamlString (quoting)",
		"templates/demo/files/raw.yaml.tmpl:10: free-text answer \"description\" reaches a YAML file unquoted; pipe it through yamlString (quoting)",
		"templates/demo/files/raw.yaml.tmpl:11: free-text answer \"description\" reaches a YAML file unquoted; pipe it through yamlString (quoting)",
		"templates/demo/files/raw.yaml.tmpl:12: free-text answer \"description\" reaches a YAML file unquoted; pipe it through yamlString (quoting)",
		"templates/demo/files/run.sh.tmpl:2: free-text answer \"description\" reaches a shell file unquoted; pipe it through shellArg (quoting)",
		"templates/demo/files/teams/{{ .owner }}.yaml.tmpl:2: free-text answer \"owner\" reaches a YAML file unquoted; pipe it through yamlString (quoting)",
		"templates/demo/files/{{ .description }}.txt.tmpl:1: free-text answer \"description\" reaches a file path; free text may not name files (quoting)",
		"templates/demo/component.yaml:22: question \"forgotten\" is declared but no template, file rule or default reads it (unused-question)",
		"templates/questions.yaml:8: shared question \"team\" is declared but no template, file rule or default reads it (unused-question)",
		"templates/questions.yaml:14: shared question \"region\" is declared but no component asks it (unused-question)",
		// The fixture's controls have no audit rule (checks.yaml).
		"templates/demo/component.yaml:4: component demo claims control ORG-01 but its checks.yaml has no rule for it (unproven-control)",
		"templates/demo/component.yaml:4: component demo claims control SEC-01 but its checks.yaml has no rule for it (unproven-control)",
	}
	if diff := cmp.Diff(sortStrings(want), sortStrings(got)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestReferencesAndControls(t *testing.T) {
	got := lintFixture(t, map[string]string{
		"refs.yaml": "# SEC-01 and ORG-01 are defined; SEC-99 and ORG-07 are not; SHA-256 is no control area.\n" +
			"a: {{ controlTitle \"SEC-01\" | yamlString }}\n" +
			"b: {{ controlTitle \"ORG-02\" | yamlString }}\n" +
			"{{ if hasComponent \"nope\" }}c{{ end }}\n" +
			"uses: {{ pin \"actions/checkout\" }}\n" +
			"uses: {{ pin \"actions/unknown\" }}\n" +
			"{{ template \"missing\" . }}\n" +
			"{{ .name }}{{ .forgotten }}{{ len .owners }}{{ .team }}\n",
		"bad.yaml": "{{ if }}\n",
	})
	want := []string{
		"templates/demo/files/bad.yaml.tmpl:1: template: templates/demo/files/bad.yaml.tmpl:1: missing value for if (template-syntax)",
		"templates/demo/files/refs.yaml.tmpl:1: control \"SEC-99\" is not defined in the catalog's controls.yaml (undefined-control)",
		"templates/demo/files/refs.yaml.tmpl:1: control \"ORG-07\" is not defined in the catalog's controls.yaml (undefined-control)",
		"templates/demo/files/refs.yaml.tmpl:3: control \"ORG-02\" is not defined in the catalog's controls.yaml (undefined-control)",
		"templates/demo/files/refs.yaml.tmpl:4: hasComponent names unknown component \"nope\" (dangling-reference)",
		"templates/demo/files/refs.yaml.tmpl:6: pin: action \"actions/unknown\" is not in the catalog's pins table (dangling-reference)",
		"templates/demo/files/refs.yaml.tmpl:7: template \"missing\" is not defined in this file (dangling-reference)",
		"templates/questions.yaml:14: shared question \"region\" is declared but no component asks it (unused-question)",
		// The fixture's controls have no audit rule (checks.yaml).
		"templates/demo/component.yaml:4: component demo claims control ORG-01 but its checks.yaml has no rule for it (unproven-control)",
		"templates/demo/component.yaml:4: component demo claims control SEC-01 but its checks.yaml has no rule for it (unproven-control)",
	}
	if diff := cmp.Diff(sortStrings(want), sortStrings(got)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func sortStrings(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// controlsYAML is the fixture catalog's control registry, with an area of
// its own.
const controlsYAML = `controls:
  - id: SEC-01
    title: No secret values in generated files
    description: Secrets are referenced by name, never written.
  - id: ORG-01
    title: Every service declares its owner
    description: A platform team's own control area.
`

// questionsYAML are the fixture catalog's shared questions: name is read,
// team is asked but never read, region is asked by no component.
const questionsYAML = `questions:
  - name: name
    type: string
    prompt: Name
    default: demo
    validate:
      pattern: '[a-z]+'
  - name: team
    type: string
    prompt: Team
    default: core
    validate:
      pattern: '[a-z]+'
  - name: region
    type: string
    prompt: Region
    default: eu
    validate:
      pattern: '[a-z]+'
`
