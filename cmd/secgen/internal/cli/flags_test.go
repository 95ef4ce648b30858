package cli

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/secgen/secgen/generator/failure"
)

// allFlags lists every flag of every secgen command.
func allFlags(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) { out[f.Name] = true })
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRoot(&IO{}))
	return out
}

// The generator speaks data, the CLI speaks flags: no string in the
// generator's code spells a flag of secgen's, and every field the
// generator's errors name maps to a flag some command has.
func TestTheGeneratorNamesNoFlags(t *testing.T) {
	t.Parallel()
	flags := allFlags(t)
	flag := regexp.MustCompile(`(?:^|[^A-Za-z0-9-])--([a-z][a-z-]*)`)
	fset := token.NewFileSet()
	err := filepath.WalkDir("../../../../generator", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for _, m := range flag.FindAllStringSubmatch(s, -1) {
				if flags[m[1]] {
					t.Errorf("%s: the string %q names the flag --%s; return a failure.Field and let the CLI name it", fset.Position(lit.Pos()), s, m[1])
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for field, names := range fieldFlags {
		if !flags[names[0]] {
			t.Errorf("field %q maps to --%s, which no command has", field, names[0])
		}
	}
}

// Every failure.Field constant has a flag.
func TestEveryFieldHasAFlag(t *testing.T) {
	t.Parallel()
	f, err := parser.ParseFile(token.NewFileSet(), "../../../../generator/failure/failure.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			v := spec.(*ast.ValueSpec)
			if id, ok := v.Type.(*ast.Ident); !ok || id.Name != "Field" {
				continue
			}
			lit := v.Values[0].(*ast.BasicLit)
			name, _ := strconv.Unquote(lit.Value)
			n++
			if _, ok := fieldFlags[failure.Field(name)]; !ok {
				t.Errorf("failure.%s (%q) has no flag in fieldFlags", v.Names[0].Name, name)
			}
		}
	}
	if n < 10 {
		t.Fatalf("found only %d fields", n)
	}
}

// A field error renders in flags, inside whatever context wraps it, and
// several at once.
func TestInFlags(t *testing.T) {
	t.Parallel()
	update := &cobra.Command{Use: "update"}
	update.Flags().String("catalog-ref", "", "")
	add := &cobra.Command{Use: "catalog add"}
	add.Flags().String("ref", "", "")
	ref := failure.Says("the built-in catalog has no refs; drop ", failure.FieldRef)
	if got := inFlags(ref, update); got != "the built-in catalog has no refs; drop --catalog-ref" {
		t.Errorf("update: %q", got)
	}
	if got := inFlags(ref, add); got != "the built-in catalog has no refs; drop --ref" {
		t.Errorf("catalog add: %q", got)
	}
	two := errors.Join(&failure.FieldError{Field: failure.FieldSet, Value: "x", Reason: "must have the form KEY=VALUE"},
		&failure.FieldError{Prefix: "read ", Field: failure.FieldSignKey, Value: "k.asc", Err: errors.New("no such file")})
	got := inFlags(fmt.Errorf("new: %w", two), nil)
	want := "new: --set \"x\" must have the form KEY=VALUE\nread --sign-key \"k.asc\": no such file"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	hint := &failure.Hint{Err: errors.New("missing required answers: a, b"), Plural: true,
		Ways: []failure.Way{{Field: failure.FieldSet, Example: "KEY=VALUE"}, {Field: failure.FieldAnswersFile, Example: "FILE"}}}
	if got := inFlags(hint, nil); got != "missing required answers: a, b (give them with --set KEY=VALUE or --answers FILE)" {
		t.Errorf("hint: %q", got)
	}
}
