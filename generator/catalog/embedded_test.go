package catalog

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/secgen/secgen/blueprints"
	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/templates"
)

// The embedded catalog is valid: Load, which validates everything a
// catalog read at run time must pass, accepts it. That is the proof
// LoadEmbedded relies on to skip the checks it skips, so LoadEmbedded must
// give the same catalog, component by component, rules and breakages
// included.
func TestLoadEmbeddedIsLoadOfAValidCatalog(t *testing.T) {
	src := Source{Templates: templates.FS, Blueprints: blueprints.FS}
	full, err := Load(context.Background(), src)
	if err != nil {
		t.Fatalf("the embedded catalog is not valid: %v", err)
	}
	lazy, err := LoadEmbedded(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	// Every field is compared, unexported ones included, but functions:
	// a component's rules and a question's compiled pattern are closures
	// (compared below by what they return).
	same := []cmp.Option{
		cmp.Exporter(func(reflect.Type) bool { return true }),
		cmp.FilterPath(func(p cmp.Path) bool { return p.Last().Type().Kind() == reflect.Func }, cmp.Ignore()),
	}
	if d := cmp.Diff(full, lazy, same...); d != "" {
		t.Errorf("LoadEmbedded and Load disagree (-Load +LoadEmbedded):\n%s", d)
	}
	for _, q := range allQuestions(full, lazy) {
		if q[0].Validate.Pattern == "" {
			continue
		}
		for _, v := range []string{"", "a", "example", q[0].Default.Value} {
			if (q[0].Check1(v) == nil) != (q[1].Check1(v) == nil) {
				t.Errorf("question %s: Load and LoadEmbedded disagree on whether %q matches its pattern", q[0].Name, v)
			}
		}
	}
	if len(full.components) != len(lazy.components) {
		t.Fatalf("Load has %d components, LoadEmbedded %d", len(full.components), len(lazy.components))
	}
	checks, breakages := 0, 0
	for name := range full.components {
		if _, ok := lazy.components[name]; !ok {
			t.Errorf("LoadEmbedded misses component %s", name)
			continue
		}
		f, l := mustComponent(t, full, name), mustComponent(t, lazy, name)
		// The catalogs' comparison above cannot see into components loaded
		// on first use: each is compared here.
		if d := cmp.Diff(f, l, same...); d != "" {
			t.Errorf("component %s: LoadEmbedded and Load disagree (-Load +LoadEmbedded):\n%s", name, d)
		}
		fc, err := f.Checks()
		if err != nil {
			t.Fatal(err)
		}
		lc, err := l.Checks()
		if err != nil {
			t.Fatalf("%s: checks: %v", name, err)
		}
		fb, _ := f.Breakages()
		lb, err := l.Breakages()
		if err != nil {
			t.Fatalf("%s: breakages: %v", name, err)
		}
		if !reflect.DeepEqual(fc, lc) || !reflect.DeepEqual(fb, lb) {
			t.Errorf("%s: LoadEmbedded and Load disagree on its checks or breakages", name)
		}
		checks, breakages = checks+len(fc), breakages+len(fb)
	}
	if checks < 50 || breakages < 50 {
		t.Errorf("%d checks and %d breakages: the embedded catalog's checks.yaml and breakages.yaml were not read", checks, breakages)
	}
}

// allQuestions pairs the questions of a and b (the same catalog loaded
// twice) by component and position.
func allQuestions(a, b *Catalog) [][2]*answers.Question {
	var out [][2]*answers.Question
	for name, qa := range a.Shared {
		out = append(out, [2]*answers.Question{qa, b.Shared[name]})
	}
	for name := range a.components {
		ca, _, _ := a.component(name)
		cb, _, _ := b.component(name)
		for i, q := range ca.Questions {
			out = append(out, [2]*answers.Question{q, cb.Questions[i]})
		}
	}
	return out
}

// mustComponent is cat's component name, loaded.
func mustComponent(t *testing.T, cat *Catalog, name string) *Component {
	t.Helper()
	comp, err := cat.Component(name)
	if err != nil {
		t.Fatalf("component %s: %v", name, err)
	}
	return comp
}

// LoadEmbedded decodes a component when it is first asked for, and only
// then: the others are never read (here, one that would not load).
func TestLoadEmbeddedLoadsComponentsOnFirstUse(t *testing.T) {
	src := Source{Templates: fstest.MapFS{
		"catalog.yaml":            {Data: []byte("id: test\nversion: 1.0.0\n")},
		"controls.yaml":           {Data: []byte("controls:\n  - {id: SEC-01, title: No secrets, description: No secret in any rendered file.}\n")},
		"a/component.yaml":        {Data: []byte("name: a\ndescription: test\nversion: 1.0.0\ncontrols: [SEC-01]\nquestions:\n  - name: greeting\n    prompt: \"Greeting\"\n    type: string\n    default: hello\n")},
		"a/files/README.md.tmpl":  {Data: []byte("{{ .greeting }}\n")},
		"broken/component.yaml":   {Data: []byte("name: [not, a, name]\n")},
		"broken/files/x.txt.tmpl": {Data: []byte("x\n")},
	}, Blueprints: fstest.MapFS{}}
	if _, err := Load(context.Background(), src); err == nil {
		t.Fatal("Load accepted a broken component")
	}
	cat, err := LoadEmbedded(context.Background(), src)
	if err != nil {
		t.Fatalf("LoadEmbedded read a component nothing asked for: %v", err)
	}
	if !cat.HasComponent("broken") || !slices.Equal(cat.ComponentNames(), []string{"a", "broken"}) {
		t.Fatalf("components %v", cat.ComponentNames())
	}
	qs, err := cat.Questions([]string{"a"})
	if err != nil || len(qs) != 1 || qs[0].Name != "greeting" || qs[0].Section != "general" {
		t.Fatalf("Questions(a) = %+v, %v", qs, err)
	}
	if _, err := cat.Component("broken"); err == nil {
		t.Fatal("the broken component loaded when asked for")
	}
}

// LoadEmbedded decodes checks.yaml only when a verb asks for the rules: a
// broken one does not stop the catalog loading, and is reported, as Load
// reports it, by Checks and Breakages. Load refuses the catalog outright.
func TestLoadEmbeddedDefersTheRules(t *testing.T) {
	src := func() Source {
		return Source{Templates: fstest.MapFS{
			"catalog.yaml":           {Data: []byte("id: test\nversion: 1.0.0\n")},
			"controls.yaml":          {Data: []byte("controls:\n  - {id: SEC-01, title: No secrets, description: No secret in any rendered file.}\n")},
			"c/component.yaml":       {Data: []byte("name: c\ndescription: test\nversion: 1.0.0\ncontrols: [SEC-01]\n")},
			"c/files/README.md.tmpl": {Data: []byte("hello\n")},
			"c/checks.yaml":          {Data: []byte("checks:\n  - {id: Bad_ID, control: SEC-01, match: README.md, expr: 'true', severity: high, message: m, fix: f}\n")},
		}, Blueprints: fstest.MapFS{}}
	}
	if _, err := Load(context.Background(), src()); err == nil {
		t.Fatal("Load accepted a check with an invalid id")
	}
	cat, err := LoadEmbedded(context.Background(), src())
	if err != nil {
		t.Fatalf("LoadEmbedded read checks.yaml while loading: %v", err)
	}
	comp, err := cat.Component("c")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := comp.Checks(); err == nil {
		t.Error("Checks accepted a check with an invalid id")
	}
	if _, err := comp.Breakages(); err == nil {
		t.Error("Breakages did not report the broken checks.yaml it depends on")
	}
}
