package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secgen/secgen/generator/builtin"
	"github.com/secgen/secgen/generator/catsource"
	"github.com/secgen/secgen/generator/engine"
	"github.com/secgen/secgen/generator/gitinit"
)

// TestEveryReleaseUpdatesToThisOne makes the default go-service project of
// every earlier release of the built-in catalog (its embedded history) and
// updates it with this secgen, as `secgen update` in that project would: a
// question this release added takes its default, and that default must fit
// the answers the earlier release recorded, or every such project's next
// update is refused.
func TestEveryReleaseUpdatesToThisOne(t *testing.T) {
	t.Parallel()
	versions := builtin.HistoryVersions()
	if len(versions) == 0 {
		t.Fatal("the embedded history holds no earlier release")
	}
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			cat, err := catsource.BuiltinVersion(ctx, v)
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "svc")
			old := &engine.Engine{Catalog: cat, Version: "0.0.0-test"}
			if _, err := old.New(ctx, engine.NewRequest{Blueprint: "go-service", Target: dir,
				Git: &engine.GitOptions{Author: gitinit.DefaultAuthor()}}); err != nil {
				t.Fatalf("new at %s: %v", v, err)
			}
			streams, out, errOut := testIO(false, nil)
			if code := Main(ctx, []string{"update", "-C", dir, "--no-input"}, streams); code != ExitOK {
				t.Fatalf("update from %s: exit %d\n%s%s", v, code, out, errOut)
			}
			if !strings.Contains(out.String(), "Updated ") {
				t.Errorf("update from %s did not say it updated:\n%s", v, out)
			}
		})
	}
}
