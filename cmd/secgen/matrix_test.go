package main

import (
	"fmt"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// matrixSources are the catalog sources every verb is proven against: the
// built-in catalog, a directory, git over file://, git over smart HTTP
// (git http-backend on 127.0.0.1, started by the script), and a named
// catalog with a keyring (over HTTP).
var matrixSources = []string{"builtin", "dir", "file", "http", "named"}

// TestMatrix runs the lifecycle script of testdata/matrix once per catalog
// source: new, add, check, audit, update (through a fresh clone with its
// objects pruned), lint and test. The script selects the lines of a source
// with conditions: [builtin], [dir], [file], [http], [named], [git] (file,
// http and named) and [acme] (every source but the built-in one, which
// serve the same fixture catalog).
func TestMatrix(t *testing.T) {
	for _, src := range matrixSources {
		t.Run(src, func(t *testing.T) {
			// Each source's run has its own work directory, cache and
			// servers: the sources run side by side.
			t.Parallel()
			p := scriptParams("testdata/matrix")
			setup := p.Setup
			p.Setup = func(env *testscript.Env) error {
				env.Setenv("SOURCE", src)
				return setup(env)
			}
			p.Condition = func(cond string) (bool, error) {
				switch cond {
				case "builtin", "dir", "file", "http", "named":
					return cond == src, nil
				case "git":
					return src == "file" || src == "http" || src == "named", nil
				case "acme":
					return src != "builtin", nil
				}
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			testscript.Run(t, p)
		})
	}
}
