package generator

import (
	"go/doc/comment"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// doc.go describes every package under generator in one line each: the
// test lists the directories holding non-test Go code and fails on any
// that the list misses, and on any the list names that is gone.
func TestDocListsEveryPackage(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "doc.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	var p comment.Parser
	for _, block := range p.Parse(f.Doc.Text()).Content {
		list, ok := block.(*comment.List)
		if !ok {
			continue
		}
		for _, item := range list.Items {
			var text strings.Builder
			for _, b := range item.Content {
				if para, ok := b.(*comment.Paragraph); ok {
					for _, x := range para.Text {
						if plain, ok := x.(comment.Plain); ok {
							text.WriteString(string(plain))
						}
					}
				}
			}
			name, desc, ok := strings.Cut(text.String(), ": ")
			if !ok || strings.TrimSpace(desc) == "" || strings.Contains(desc, "\n") {
				t.Errorf("doc.go item %q is not \"package: one line\"", text.String())
				continue
			}
			listed[name] = true
		}
	}
	found := map[string]bool{}
	err = filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() || p == "." {
			return err
		}
		if d.Name() == "testdata" {
			return filepath.SkipDir
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".go") && !strings.HasSuffix(e.Name(), "_test.go") {
				found[filepath.ToSlash(p)] = true
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p := range found {
		if !listed[p] {
			t.Errorf("package generator/%s is missing from doc.go: describe it in one line", p)
		}
	}
	for p := range listed {
		if !found[p] {
			t.Errorf("doc.go lists %s, which is not a package under generator", p)
		}
	}
	if len(found) < 20 {
		t.Fatalf("found only %d packages", len(found))
	}
}
