package lazyre

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// A pattern compiles on first use, once, whichever goroutines race to it,
// and matches as regexp does.
func TestCompilesOnceOnFirstUse(t *testing.T) {
	re := New(`^([a-z]+)-([0-9]+)$`)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if !re.MatchString("abc-12") {
				t.Error("abc-12 does not match")
			}
		})
	}
	wg.Wait()
	if first, again := re.Regexp(), re.Regexp(); first != again {
		t.Error("the expression was compiled twice")
	}
	if got := re.FindStringSubmatch("abc-12"); len(got) != 3 || got[1] != "abc" || got[2] != "12" {
		t.Errorf("FindStringSubmatch = %q", got)
	}
	if got := re.FindStringSubmatchIndex("abc-12"); len(got) != 6 || got[4] != 4 {
		t.Errorf("FindStringSubmatchIndex = %v", got)
	}
	if re.Match([]byte("ABC-12")) {
		t.Error("ABC-12 matches")
	}
	if got := New(`[0-9]`).ReplaceAllString("a1b2", "#"); got != "a#b#" {
		t.Errorf("ReplaceAllString = %q", got)
	}
	if got := New(`([A-Z])-([0-9])`).FindAllStringSubmatch("A-1 B-2", -1); len(got) != 2 || got[1][1] != "B" {
		t.Errorf("FindAllStringSubmatch = %q", got)
	}
	if re.String() != `^([a-z]+)-([0-9]+)$` {
		t.Errorf("String = %q", re.String())
	}
}

// An invalid pattern panics where it is first used, as regexp.MustCompile
// would have at initialisation.
func TestInvalidPatternPanicsOnUse(t *testing.T) {
	re := New(`(`)
	defer func() {
		if recover() == nil {
			t.Error("an invalid pattern did not panic")
		}
	}()
	re.MatchString("x")
}

// Every pattern the module gives New compiles, as regexp.MustCompile at
// initialisation used to prove on every start; and no package-level
// variable of the module's code compiles a pattern at initialisation
// again (each one costs every command, secgen version included).
func TestModulePatterns(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	patterns := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "testdata", "goldens", "tests", ".tools", ".git", "templates":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.VAR {
				continue
			}
			ast.Inspect(gen, func(n ast.Node) bool {
				if _, ok := n.(*ast.FuncLit); ok {
					return false // runs when called, not at initialisation
				}
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				pkg, ok := sel.X.(*ast.Ident)
				if !ok {
					return true
				}
				switch {
				case pkg.Name == "regexp" && (sel.Sel.Name == "MustCompile" || sel.Sel.Name == "Compile"):
					t.Errorf("%s: a package-level variable compiles a regular expression at initialisation: use lazyre.New", fset.Position(call.Pos()))
				case pkg.Name == "lazyre" && sel.Sel.Name == "New" && len(call.Args) == 1:
					lit, ok := call.Args[0].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Errorf("%s: lazyre.New of a non-constant pattern", fset.Position(call.Pos()))
						return true
					}
					expr, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := regexp.Compile(expr); err != nil {
						t.Errorf("%s: %v", fset.Position(call.Pos()), err)
					}
					patterns++
				}
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if patterns < 10 {
		t.Errorf("found %d lazy patterns in the module: the walk missed its code", patterns)
	}
}
