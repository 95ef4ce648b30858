package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/failure"
)

// testControls is the controls.yaml of the synthetic catalogs.
const testControls = "controls:\n  - {id: SEC-01, title: No secrets, description: No secret in any rendered file.}\n"

// syntheticCatalog has one component with n templates spread over
// directories, each a few hundred bytes using answers and functions.
func syntheticCatalog(tb testing.TB, n int) *catalog.Catalog {
	tb.Helper()
	tm := fstest.MapFS{
		"catalog.yaml":  {Data: []byte("id: synthetic\nversion: 1.0.0\n")},
		"controls.yaml": {Data: []byte(testControls)},
		"big/component.yaml": {Data: []byte(`name: big
description: synthetic load
version: 1.0.0
controls: [SEC-01]
questions:
  - {name: name, type: string, prompt: Name, default: svc}
  - {name: description, type: string, prompt: D, multiline: true, default: "some text"}
`)},
	}
	body := []byte("# {{ .name }}\n" + strings.Repeat("line of {{ .name | upper }} text\n", 8) + "desc: {{ yamlString .description }}\n")
	for i := range n {
		tm[fmt.Sprintf("big/files/d%03d/f%05d.yaml.tmpl", i%100, i)] = &fstest.MapFile{Data: body}
	}
	cat, err := catalog.Load(context.Background(), catalog.Source{Templates: tm, Blueprints: fstest.MapFS{}})
	if err != nil {
		tb.Fatal(err)
	}
	return cat
}

// BenchmarkSyntheticComponent renders and writes components of growing size;
// ns/op divided by the file count should stay flat (linear growth).
func BenchmarkSyntheticComponent(b *testing.B) {
	for _, n := range []int{500, 1000, 5000} {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			e := &Engine{Catalog: syntheticCatalog(b, n), Version: "bench"}
			dir := b.TempDir()
			i := 0
			for b.Loop() {
				i++
				target := filepath.Join(dir, fmt.Sprint(i))
				if _, err := e.New(context.Background(), NewRequest{Components: []string{"big"}, Target: target}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/file")
		})
	}
}

// BenchmarkSyntheticRender renders (plans, without writing) components of
// growing size: the engine's own cost, apart from the file system's.
func BenchmarkSyntheticRender(b *testing.B) {
	for _, n := range []int{500, 1000, 5000} {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			e := &Engine{Catalog: syntheticCatalog(b, n), Version: "bench"}
			target := filepath.Join(b.TempDir(), "x")
			for b.Loop() {
				if _, err := e.New(context.Background(), NewRequest{Components: []string{"big"}, Target: target, DryRun: true}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/file")
		})
	}
}

func TestSyntheticComponentRenders(t *testing.T) {
	t.Parallel()
	e := &Engine{Catalog: syntheticCatalog(t, 300), Version: "test"}
	res, err := e.New(context.Background(), NewRequest{Components: []string{"big"}, Target: filepath.Join(t.TempDir(), "x")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Plan.Files) != 301 {
		t.Fatalf("%d files, want 300 plus the manifest", len(res.Plan.Files))
	}
}

// TestEscapingRenderedPathIsRefused renders a catalog whose path template
// climbs out of the project: the error is invalid input and nothing is written.
func TestEscapingRenderedPathIsRefused(t *testing.T) {
	t.Parallel()
	for _, tmpl := range []string{`{{ print ".." }}/escape`, `{{ print "/etc" }}/passwd`, `a/{{ print ".git" }}/config`, `{{ print "a\\b" }}`, ".secgen.lock", ".secgen/base/x", ".secgen.yaml"} {
		tm := fstest.MapFS{
			"catalog.yaml":                 {Data: []byte("id: evil\nversion: 1.0.0\n")},
			"controls.yaml":                {Data: []byte(testControls)},
			"evil/component.yaml":          {Data: []byte("name: evil\ndescription: escapes\nversion: 1.0.0\ncontrols: [SEC-01]\n")},
			"evil/files/" + tmpl + ".tmpl": {Data: []byte("x")},
		}
		cat, err := catalog.Load(context.Background(), catalog.Source{Templates: tm, Blueprints: fstest.MapFS{}})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		_, err = (&Engine{Catalog: cat, Version: "test"}).New(context.Background(), NewRequest{Components: []string{"evil"}, Target: filepath.Join(dir, "p")})
		if !failure.IsInvalidInput(err) {
			t.Errorf("%s: err = %v, want invalid input", tmpl, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%s: wrote %v", tmpl, entries)
		}
	}
}
