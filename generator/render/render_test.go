package render

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"go.yaml.in/yaml/v3"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/plan"
)

const hostile = "a \"quote\" 'single' `tick` \\ back\n{{ .x }} ${HOME} %{ if } $(id) --- &a *b # c: [d] \u00fc\u65e5"

func TestForbiddenFunctionsAreAbsent(t *testing.T) {
	fm := baseFuncs()
	for _, name := range forbiddenFuncs {
		if _, ok := fm[name]; ok {
			t.Errorf("%s is available to templates", name)
		}
	}
	for _, name := range []string{"yamlString", "hclString", "goString", "shellArg", "markdown", "commentLines", "oneLine", "upper", "quote"} {
		if _, ok := fm[name]; !ok {
			t.Errorf("%s is missing", name)
		}
	}
}

func TestYAMLStringRoundTrips(t *testing.T) {
	for _, s := range []string{hostile, "", "\u2028\u0085\t", "null", "true", "0x10", "- item", "key: value"} {
		var doc struct{ V string }
		if err := yaml.Unmarshal([]byte("v: "+yamlString(s)), &doc); err != nil || doc.V != s {
			t.Fatalf("yamlString(%q) read back as %q (%v)", s, doc.V, err)
		}
	}
}

func TestHCLStringEscapesInterpolation(t *testing.T) {
	got := hclString("${var.x} %{ if } \"q\" \\ \n")
	want := `"$${var.x} %%{ if } \"q\" \\ \n"`
	if got != want {
		t.Fatalf("hclString = %s, want %s", got, want)
	}
}

func TestShellArgAndMarkdown(t *testing.T) {
	if got := shellArg("it's $(id)"); got != `'it'\''s $(id)'` {
		t.Fatalf("shellArg = %s", got)
	}
	md := markdown("# title\n    code\n<b>x</b> [l](u) ---")
	for _, bad := range []string{"\n#", "    code", "<b>", "[l](u)"} {
		if strings.Contains(md, bad) {
			t.Fatalf("markdown(...) = %q still contains %q", md, bad)
		}
	}
	if got := commentLines("# ", "a\nb"); got != "# a\n# b" {
		t.Fatalf("commentLines = %q", got)
	}
	if got := oneLine(" a \n b\t c "); got != "a b c" {
		t.Fatalf("oneLine = %q", got)
	}
}

func testCatalog(t *testing.T, files map[string]string) *catalog.Catalog {
	t.Helper()
	tm := fstest.MapFS{
		"catalog.yaml":  {Data: []byte("id: test\nversion: 1.0.0\n")},
		"controls.yaml": {Data: []byte("controls:\n  - {id: SEC-01, title: No secrets, description: No secret in any rendered file.}\n")},
		"pins.tsv":      {Data: []byte("actions/checkout\tv7.0.1\t" + strings.Repeat("a", 40) + "\t2026-07-17\n")},
		"c/component.yaml": {Data: []byte(`name: c
description: test component
version: 1.0.0
controls: [SEC-01]
questions:
  - {name: name, type: string, prompt: Name, required: true}
  - {name: flag, type: bool, prompt: Flag, default: false}
files:
  - {match: "opt/**", when: "{{ .flag }}"}
  - {match: "run.sh", executable: true}
`)},
	}
	base := map[string]string{"opt/extra.txt.tmpl": "extra", "run.sh.tmpl": "#!/bin/sh\n"}
	for k, v := range base {
		tm["c/files/"+k] = &fstest.MapFile{Data: []byte(v)}
	}
	for k, v := range files {
		tm["c/files/"+k] = &fstest.MapFile{Data: []byte(v)}
	}
	cat, err := catalog.Load(context.Background(), catalog.Source{Templates: tm, Blueprints: fstest.MapFS{}})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestRenderPathsRulesAndFunctions(t *testing.T) {
	cat := testCatalog(t, map[string]string{
		"{{ .name }}/main.txt.tmpl": `{{ .name }} {{ pin "actions/checkout" }} {{ hasComponent "c" }} {{ controlTitle "SEC-01" | len | lt 0 }}`,
		"opt/extra.txt.tmpl":        "extra",
		"run.sh.tmpl":               "#!/bin/sh\n",
	})
	in := Input{Catalog: cat, Present: []string{"c"}, Answers: answers.Values{"name": "svc", "flag": false}}
	files, err := Render(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatalf("rendered %d files, want 2 (opt/ is conditional)", len(files))
	}
	byPath := map[string]string{}
	for _, f := range files {
		byPath[f.Path] = string(f.Content)
		if f.Path == "run.sh" && f.Mode.Perm() != 0o755 {
			t.Fatalf("run.sh mode = %v", f.Mode)
		}
	}
	want := "svc actions/checkout@" + strings.Repeat("a", 40) + " # v7.0.1 true true"
	if byPath["svc/main.txt"] != want {
		t.Fatalf("main.txt = %q, want %q", byPath["svc/main.txt"], want)
	}
	in.Answers["flag"] = true
	files, err = Render(context.Background(), in)
	if err != nil || len(files) != 3 {
		t.Fatalf("with flag: %d files, %v", len(files), err)
	}
}

func TestRenderErrors(t *testing.T) {
	cases := map[string]string{
		"missing key":     "{{ .nope }}",
		"unknown action":  `{{ pin "evil/action" }}`,
		"env is gone":     `{{ env "HOME" }}`,
		"targetName":      "{{ targetName }}",
		"unknown control": `{{ controlTitle "XXX-01" }}`,
		"parse error":     "{{ if }",
	}
	for name, tmpl := range cases {
		cat := testCatalog(t, map[string]string{"f.tmpl": tmpl})
		_, err := Render(context.Background(), Input{Catalog: cat, Present: []string{"c"}, Answers: answers.Values{"name": "x", "flag": false}})
		if err == nil {
			t.Errorf("%s: rendered without error", name)
		} else if !failure.IsInvalidInput(err) {
			t.Errorf("%s: %v is not invalid input", name, err)
		}
	}
}

func TestFailNamesTheInconsistencyOnly(t *testing.T) {
	cat := testCatalog(t, map[string]string{"f.tmpl": `{{ if .flag }}{{ fail "flag needs name" }}{{ end }}`})
	_, err := Render(context.Background(), Input{Catalog: cat, Present: []string{"c"}, Answers: answers.Values{"name": "x", "flag": true}})
	if err == nil || !failure.IsInvalidInput(err) || err.Error() != "the answers do not fit together: flag needs name" {
		t.Fatalf("err = %v, want the template's message as invalid input", err)
	}
}

func TestRenderDoesNotLetTemplatesMutateAnswers(t *testing.T) {
	cat := testCatalog(t, map[string]string{"a.tmpl": `{{ $_ := set . "name" "changed" }}`, "b.tmpl": "{{ .name }}"})
	ans := answers.Values{"name": "orig", "flag": false}
	files, err := Render(context.Background(), Input{Catalog: cat, Present: []string{"c"}, Answers: ans})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Path == "b" && string(f.Content) != "orig" {
			t.Fatalf("b = %q: a template changed another's answers", f.Content)
		}
	}
	if ans["name"] != "orig" {
		t.Fatal("the caller's answers changed")
	}
}

func TestControlsFollowTheirConditions(t *testing.T) {
	tm := fstest.MapFS{
		"catalog.yaml": {Data: []byte("id: test\nversion: 1.0.0\n")},
		"controls.yaml": {Data: []byte(`controls:
  - {id: SEC-01, title: No secrets, description: No secret in any rendered file.}
  - {id: SEC-02, title: No secret taken, description: secgen takes no secret., secgen: true}
  - {id: K8S-10, title: mTLS, description: Strict mTLS with a mesh.}
  - {id: K8S-11, title: IRSA, description: AWS access through IRSA.}
`)},
		"c/component.yaml": {Data: []byte(`name: c
description: test component
version: 1.0.0
controls: [SEC-01, {id: K8S-10, when: '{{ eq .mesh "istio" }}'}, {id: K8S-11, when: '{{ ne .role "" }}'}]
questions:
  - {name: mesh, type: enum, prompt: Mesh, choices: [none, istio], default: none}
  - {name: role, type: string, prompt: Role, default: ""}
`)},
		"c/files/a.tmpl": {Data: []byte(`{{ join "," appliedControls }}`)},
		"d/component.yaml": {Data: []byte(`name: d
description: test component
version: 1.0.0
controls: [{id: SEC-01, when: 'maybe'}]
`)},
		"d/files/a.tmpl": {Data: []byte("a")},
		"e/component.yaml": {Data: []byte(`name: e
description: test component
version: 1.0.0
controls: [{id: SEC-01, when: '{{ gt (len appliedControls) 0 }}'}]
`)},
		"e/files/a.tmpl": {Data: []byte("a")},
	}
	cat, err := catalog.Load(context.Background(), catalog.Source{Templates: tm, Blueprints: fstest.MapFS{}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		answers       answers.Values
		want, applied string
	}{
		{answers.Values{"mesh": "none", "role": ""}, "SEC-01", "SEC-01,SEC-02"},
		{answers.Values{"mesh": "istio", "role": ""}, "SEC-01,K8S-10", "SEC-01,SEC-02,K8S-10"},
		{answers.Values{"mesh": "istio", "role": "arn"}, "SEC-01,K8S-10,K8S-11", "SEC-01,SEC-02,K8S-10,K8S-11"},
	}
	for _, tc := range cases {
		in := Input{Catalog: cat, Present: []string{"c"}, Answers: tc.answers}
		got, err := Controls(in)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("answers %v: controls %v, want %s", tc.answers, got, tc.want)
		}
		// What the project applies adds secgen's own controls; the template
		// function appliedControls sees the same list.
		applied, err := AppliedControls(in)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(applied, ",") != tc.applied {
			t.Errorf("answers %v: applied %v, want %s", tc.answers, applied, tc.applied)
		}
		p, err := Render(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != 1 || string(p[0].Content) != tc.applied {
			t.Errorf("answers %v: appliedControls rendered %q, want %s", tc.answers, p[0].Content, tc.applied)
		}
	}
	// A condition decides whether its control applies, so it cannot ask which do.
	_, err = Controls(Input{Catalog: cat, Present: []string{"e"}, Answers: answers.Values{}})
	if err == nil || !strings.Contains(err.Error(), "appliedControls is not available") {
		t.Errorf("a condition calling appliedControls: %v", err)
	}
	_, err = Controls(Input{Catalog: cat, Present: []string{"d"}, Answers: answers.Values{}})
	if err == nil || !failure.IsInvalidInput(err) || !strings.Contains(err.Error(), "controls[0].when") {
		t.Fatalf("a condition that is neither true nor false: %v", err)
	}
}

func TestRenderBoundsTemplateCalls(t *testing.T) {
	var deep strings.Builder
	for i := range MaxTemplateDepth + 1 {
		fmt.Fprintf(&deep, `{{ define "t%d" }}{{ template "t%d" . }}{{ end }}`, i, i+1)
	}
	deep.WriteString(`{{ define "t17" }}end{{ end }}{{ template "t0" . }}`)
	var ok strings.Builder
	for i := range MaxTemplateDepth - 1 {
		fmt.Fprintf(&ok, `{{ define "u%d" }}{{ template "u%d" . }}{{ end }}`, i, i+1)
	}
	fmt.Fprintf(&ok, `{{ define "u%d" }}fine{{ end }}{{ template "u0" . }}{{ template "u0" . }}`, MaxTemplateDepth-1)
	for name, tc := range map[string]struct{ tmpl, want string }{
		"self":     {`{{ define "a" }}{{ template "a" . }}{{ end }}{{ template "a" . }}`, "recursively"},
		"mutual":   {`{{ define "a" }}{{ if .flag }}{{ template "b" . }}{{ end }}{{ end }}{{ define "b" }}{{ range .x }}{{ template "a" . }}{{ end }}{{ end }}{{ template "a" . }}`, "recursively"},
		"too deep": {deep.String(), "more than 16 deep"},
	} {
		cat := testCatalog(t, map[string]string{"f.tmpl": tc.tmpl})
		_, err := Render(context.Background(), Input{Catalog: cat, Present: []string{"c"}, Answers: answers.Values{"name": "x", "flag": false}})
		if !failure.IsInvalidInput(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want invalid input containing %q", name, err, tc.want)
		}
	}
	cat := testCatalog(t, map[string]string{"f.tmpl": ok.String()})
	files, err := Render(context.Background(), Input{Catalog: cat, Present: []string{"c"}, Answers: answers.Values{"name": "x", "flag": false}})
	if err != nil || !slices.ContainsFunc(files, func(f plan.File) bool { return string(f.Content) == "finefine" }) {
		t.Fatalf("depth %d: %v", MaxTemplateDepth, err)
	}
}

func TestRenderBoundsTotalOutput(t *testing.T) {
	// Each file stays under MaxFileSize; together they exceed MaxTotalSize.
	files := map[string]string{}
	for i := range MaxTotalSize/MaxFileSize + 1 {
		files[fmt.Sprintf("big%d.txt.tmpl", i)] = fmt.Sprintf(`{{ repeat %d "x" }}`, MaxFileSize-1)
	}
	cat := testCatalog(t, files)
	_, err := Render(context.Background(), Input{Catalog: cat, Present: []string{"c"}, Answers: answers.Values{"name": "x", "flag": false}})
	if !failure.IsInvalidInput(err) || !strings.Contains(err.Error(), "more than 100 MiB in all") {
		t.Fatalf("err = %v", err)
	}
}
