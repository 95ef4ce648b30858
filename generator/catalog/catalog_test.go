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
	"github.com/secgen/secgen/generator/controls"
	"github.com/secgen/secgen/generator/failure"
)

const goodComponent = `name: c
description: test
version: 1.0.0
controls: [SEC-01]
questions:
  - {name: name, type: string, prompt: Name, required: true}
`

func load(t *testing.T, tm, bp fstest.MapFS) (*catalog.Catalog, error) {
	t.Helper()
	reg, err := controls.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tm["catalog.yaml"]; !ok {
		tm["catalog.yaml"] = &fstest.MapFile{Data: []byte("id: test\nversion: 1.0.0\n")}
	}
	return catalog.Load(context.Background(), catalog.Source{Templates: tm, Blueprints: bp}, reg)
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

func TestConflictingQuestionTypesAcrossComponents(t *testing.T) {
	other := strings.NewReplacer("name: c", "name: d", "type: string", "type: int").Replace(goodComponent)
	_, err := load(t, fstest.MapFS{
		"c/component.yaml": file(goodComponent), "c/files/a.tmpl": file("a"),
		"d/component.yaml": file(other), "d/files/a.tmpl": file("a"),
	}, fstest.MapFS{})
	if err == nil || !strings.Contains(err.Error(), `question "name"`) {
		t.Fatalf("err = %v", err)
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
	must(os.WriteFile(filepath.Join(dir, "templates/c/component.yaml"), []byte(goodComponent), 0o644))
	must(os.Symlink("/etc/passwd", filepath.Join(dir, "templates/c/files/passwd.tmpl")))
	reg, _ := controls.Builtin()
	_, err := catalog.Load(context.Background(), catalog.Source{
		Templates: os.DirFS(filepath.Join(dir, "templates")), Blueprints: os.DirFS(filepath.Join(dir, "blueprints")),
	}, reg)
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
