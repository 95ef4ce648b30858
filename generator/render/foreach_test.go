package render

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/failure"
)

// foreachComponent asks a list question without a pattern (so that only the
// path checks stand between an item and the file system) and renders the
// env/ directory once per item.
const foreachComponent = `name: c
description: test component
version: 1.0.0
questions:
  - {name: envs, type: list, prompt: Environments, default: [a]}
  - {name: flag, type: bool, prompt: Flag, default: true}
files:
  - match: "env/{{ .env }}/**"
    foreach: envs
    as: env
    when: "{{ .flag }}"
  - match: "env/{{ .env }}/run.sh"
    executable: true
`

func foreachCatalog(t *testing.T, component string, files map[string]string) (*catalog.Catalog, error) {
	t.Helper()
	tm := fstest.MapFS{
		"catalog.yaml":     {Data: []byte("id: test\nversion: 1.0.0\n")},
		"controls.yaml":    {Data: []byte("controls: []\n")},
		"c/component.yaml": {Data: []byte(component)},
	}
	for k, v := range files {
		tm["c/files/"+k] = &fstest.MapFile{Data: []byte(v)}
	}
	return catalog.Load(context.Background(), catalog.Source{Templates: tm, Blueprints: fstest.MapFS{}})
}

var foreachFiles = map[string]string{
	"env/{{ .env }}/main.tf.tmpl": "# {{ .env }} of {{ len .envs }}\n",
	"env/{{ .env }}/run.sh.tmpl":  "#!/bin/sh\n",
	"README.md.tmpl":              "{{ range .envs }}{{ . }} {{ end }}\n",
}

func TestForeachRendersOncePerItem(t *testing.T) {
	cat, err := foreachCatalog(t, foreachComponent, foreachFiles)
	if err != nil {
		t.Fatal(err)
	}
	envs := []string{"dev", "staging", "production", "qa", "perf", "prod-eu"}
	in := Input{Catalog: cat, Present: []string{"c"}, Answers: answers.Values{"envs": envs, "flag": true}}
	files, err := Render(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]string{}
	for _, f := range files {
		byPath[f.Path] = string(f.Content)
		if strings.HasSuffix(f.Path, "/run.sh") && f.Mode.Perm() != 0o755 {
			t.Errorf("%s mode = %v: the executable rule did not apply to the loop's files", f.Path, f.Mode)
		}
	}
	if len(files) != 1+2*len(envs) {
		t.Fatalf("rendered %d files, want the README plus two per environment: %v", len(files), byPath)
	}
	for _, env := range envs {
		if got, want := byPath["env/"+env+"/main.tf"], "# "+env+" of 6\n"; got != want {
			t.Errorf("env/%s/main.tf = %q, want %q", env, got, want)
		}
	}
	if _, ok := in.Answers["env"]; ok {
		t.Error("the loop variable leaked into the caller's answers")
	}

	in.Answers["flag"] = false
	files, err = Render(context.Background(), in)
	if err != nil || len(files) != 1 {
		t.Fatalf("with when false: %d files, %v; want the README only", len(files), err)
	}
	in.Answers["flag"], in.Answers["envs"] = true, []string{}
	files, err = Render(context.Background(), in)
	if err != nil || len(files) != 1 {
		t.Fatalf("with no items: %d files, %v; want the README only", len(files), err)
	}
}

// TestForeachItemsMustBePathSegments: an item becomes part of a path, so one
// that is not a single safe segment is refused before anything renders.
func TestForeachItemsMustBePathSegments(t *testing.T) {
	cat, err := foreachCatalog(t, foreachComponent, foreachFiles)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"..", "../x", "a/b", `a\b`, ".git", ".", "", " a", "a\x00b", "a\nb"} {
		in := Input{Catalog: cat, Present: []string{"c"}, Answers: answers.Values{"envs": []string{"ok", bad}, "flag": true}}
		_, err := Render(context.Background(), in)
		if err == nil || !failure.IsInvalidInput(err) || !strings.Contains(err.Error(), "foreach envs") {
			t.Errorf("item %q: err = %v, want an invalid-input refusal naming the foreach rule", bad, err)
		}
	}
}

func TestForeachRulesAreValidated(t *testing.T) {
	rule := func(r string) string {
		head, _, _ := strings.Cut(foreachComponent, "files:\n")
		return head + "files:\n" + r
	}
	for name, tc := range map[string]struct {
		component string
		files     map[string]string
		want      string
	}{
		"no as":             {rule("  - {match: \"env/{{ .env }}/**\", foreach: envs}\n"), nil, "as"},
		"as without loop":   {rule("  - {match: \"env/{{ .env }}/**\", when: \"true\", as: env}\n"), nil, "as applies only with foreach"},
		"unknown list":      {rule("  - {match: \"env/{{ .env }}/**\", foreach: nope, as: env}\n"), nil, `"nope"`},
		"not a list":        {rule("  - {match: \"env/{{ .env }}/**\", foreach: flag, as: env}\n"), nil, "list question"},
		"as is a question":  {rule("  - {match: \"env/**\", foreach: envs, as: flag}\n"), map[string]string{"env/{{ .flag }}/x.tmpl": "x"}, `as "flag"`},
		"bad as":            {rule("  - {match: \"env/{{ .env }}/**\", foreach: envs, as: Env}\n"), nil, "as"},
		"path without item": {rule("  - {match: \"env/**\", foreach: envs, as: env}\n"), map[string]string{"env/x.tmpl": "x"}, "must use .env"},
		"prefix is not use": {rule("  - {match: \"env/**\", foreach: envs, as: en}\n"), map[string]string{"env/{{ .env }}.tmpl": "x"}, "must use .en"},
		"two loops":         {rule("  - {match: \"env/{{ .env }}/**\", foreach: envs, as: env}\n  - {match: \"env/{{ .env }}/main.tf\", foreach: envs, as: env}\n"), nil, "2 foreach rules"},
	} {
		files := tc.files
		if files == nil {
			files = foreachFiles
		}
		_, err := foreachCatalog(t, tc.component, files)
		if err == nil || !failure.IsInvalidInput(err) || !strings.Contains(err.Error(), "c/component.yaml") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want an invalid-input error naming c/component.yaml and %q", name, err, tc.want)
		}
	}
}

// TestForeachVariableMayNotShadowAnAnswer: the item sits beside every answer
// of the project, so it may not take the name of another component's question.
func TestForeachVariableMayNotShadowAnAnswer(t *testing.T) {
	tm := fstest.MapFS{
		"catalog.yaml":     {Data: []byte("id: test\nversion: 1.0.0\n")},
		"controls.yaml":    {Data: []byte("controls: []\n")},
		"c/component.yaml": {Data: []byte(foreachComponent)},
		"d/component.yaml": {Data: []byte("name: d\ndescription: d\nversion: 1.0.0\nquestions:\n  - {name: env, type: string, prompt: E, default: x}\n")},
		"d/files/d.tmpl":   {Data: []byte("{{ .env }}")},
	}
	for k, v := range foreachFiles {
		tm["c/files/"+k] = &fstest.MapFile{Data: []byte(v)}
	}
	_, err := catalog.Load(context.Background(), catalog.Source{Templates: tm, Blueprints: fstest.MapFS{}})
	if err == nil || !failure.IsInvalidInput(err) || !strings.Contains(err.Error(), `as "env"`) {
		t.Fatalf("err = %v, want a refusal of an item variable named like a question", err)
	}
}
