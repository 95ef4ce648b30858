package goldens

import (
	"bytes"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"path"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestAdversarialTextArrivesAsData renders every adversarial case and checks
// that each file still parses in its language and that the hostile
// description is carried as one value, not as structure: a Go string
// literal, a YAML scalar, escaped Markdown, in every one of those languages
// the case renders. (HCL is checked by the terraform
// verification module, which carries the HCL parser.)
func TestAdversarialTextArrivesAsData(t *testing.T) {
	cat := builtinCatalog(t)
	ran := 0
	for _, gc := range loadCases(t) {
		if !gc.Spec.Adversarial {
			continue
		}
		ran++
		t.Run(gc.Name, func(t *testing.T) {
			p := render(t, cat, gc)
			var desc string
			for _, f := range p.Files {
				if f.Path == ".secgen.yaml" {
					var m struct {
						Answers map[string]any `yaml:"answers"`
					}
					if err := yaml.Unmarshal(f.Content, &m); err != nil {
						t.Fatal(err)
					}
					desc, _ = m.Answers["description"].(string)
				}
			}
			if !strings.Contains(desc, "\n") || !strings.Contains(desc, "{{") {
				t.Fatalf("case must carry a hostile multi-line description, got %q", desc)
			}
			found, present := map[string]bool{}, map[string]bool{}
			for _, f := range p.Files {
				switch ext := path.Ext(f.Path); ext {
				case ".go":
					present["go"] = true
					if goHasString(t, f.Path, f.Content, desc) {
						found["go"] = true
					}
				case ".yaml", ".yml":
					present["yaml"] = true
					// The manifest is encoded by secgen, not by a template:
					// it must parse but does not count as carrying.
					if yamlHasString(t, f.Path, f.Content, desc) && f.Path != ".secgen.yaml" {
						found["yaml"] = true
					}
				case ".md":
					present["markdown"] = true
					text := string(f.Content)
					if strings.Contains(text, "<script>") {
						t.Errorf("%s: raw HTML from the description reached Markdown", f.Path)
					}
					if strings.Contains(text, "&lt;script&gt;") {
						found["markdown"] = true
					}
					for _, line := range strings.Split(text, "\n") {
						if line == "---" || strings.HasPrefix(line, "# Heading?") {
							t.Errorf("%s: the description became Markdown structure: %q", f.Path, line)
						}
					}
				}
				if bytes.Contains(f.Content, []byte("<no value>")) {
					t.Errorf("%s renders <no value>", f.Path)
				}
			}
			// The languages the case names must carry the description as
			// data, so the test cannot pass by not looking.
			for _, kind := range gc.Spec.Carries {
				if !present[kind] {
					t.Errorf("the case renders no %s file", kind)
				}
				if !found[kind] {
					t.Errorf("the description reaches no %s file as data", kind)
				}
			}
		})
	}
	if ran == 0 {
		t.Fatal("no adversarial golden case")
	}
}

func goHasString(t *testing.T, name string, src []byte, want string) bool {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ParseComments)
	if err != nil {
		t.Errorf("%s does not parse: %v", name, err)
		return false
	}
	found := false
	ast.Inspect(file, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil && s == want {
				found = true
			}
		}
		return true
	})
	return found
}

func yamlHasString(t *testing.T, name string, src []byte, want string) bool {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(src))
	found := false
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Errorf("%s does not parse as YAML: %v", name, err)
			return false
		}
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			if n.Kind == yaml.AliasNode || (n.Anchor != "" && n.Kind != yaml.DocumentNode) {
				t.Errorf("%s: YAML anchor or alias %q in rendered output", name, n.Anchor)
			}
			if n.Kind == yaml.ScalarNode && n.Value == want {
				found = true
			}
			for _, c := range n.Content {
				walk(c)
			}
		}
		walk(&doc)
	}
	return found
}
